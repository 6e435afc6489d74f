// Component tests for every workspace: jsdom + Testing Library.
import { defineConfig } from "vitest/config";
import { sdkSource } from "./vite.shared.ts";

export default defineConfig({
  resolve: { alias: { "@canopy/sdk": sdkSource } },
  oxc: { jsx: { runtime: "automatic" } },
  test: {
    environment: "jsdom",
    include: ["{ui,customer,admin}/src/**/*.test.{ts,tsx}", "lint/**/*.test.ts"],
    setupFiles: ["./vitest.setup.ts"],
    // The default 5 s is too tight for the longest interaction tests (a dozen typed
    // filters) on a 2-core CI machine that is also compiling: one timed out so.
    testTimeout: 30_000,
  },
});
