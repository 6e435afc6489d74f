import { type PortalConfig, createPortalApp } from "@canopy/ui";
import { createPortalRouter } from "./router";

/** Everything the admin portal needs, wired once at start-up. */
export function createApp(config: PortalConfig) {
  document.title = "Canopy admin";
  return createPortalApp({ config, sessionKey: "canopy.admin.session", createRouter: createPortalRouter });
}
