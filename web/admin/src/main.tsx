import "@canopy/ui/styles.css";
import { mountPortal } from "@canopy/ui";

import { createApp } from "./app/app";

mountPortal(createApp, import.meta.env.VITE_API_BASE_URL);
