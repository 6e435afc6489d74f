// Vite settings both portals share: React through Vite's own JSX transform (no
// plugin needed), Tailwind (its theme lives in `ui/src/styles.css`), and
// `@canopy/sdk` compiled from its TypeScript source so the portals never depend on
// a stale `sdk/ts/dist`.
import { fileURLToPath } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import type { UserConfig } from "vite";

export const sdkSource = fileURLToPath(new URL("../sdk/ts/src/index.ts", import.meta.url));

export function portalConfig(port: number): UserConfig {
  return {
    plugins: [tailwindcss()],
    resolve: { alias: { "@canopy/sdk": sdkSource } },
    oxc: { jsx: { runtime: "automatic" } },
    server: { port, fs: { allow: [fileURLToPath(new URL("..", import.meta.url))] } },
    build: {
      outDir: "dist",
      emptyOutDir: true,
      sourcemap: true,
      // One small app per portal: a single chunk is fine.
      chunkSizeWarningLimit: 1024,
      rolldownOptions: {
        // TanStack Query's "use client" markers mean nothing in a client-only bundle.
        onwarn(warning, warn) {
          if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
        },
      },
    },
  };
}
