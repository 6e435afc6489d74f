import { defineConfig } from "vite";
import { portalConfig } from "../vite.shared.ts";

export default defineConfig(portalConfig(5173));
