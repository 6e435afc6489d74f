import { type PortalConfig, createPortalApp } from "@canopy/ui";
import { BrandingProvider } from "../features/branding/branding-provider";
import { createPortalRouter } from "./router";

/** Everything the portal needs, wired once at start-up; branding first, so even sign-in is branded. */
export function createApp(config: PortalConfig) {
  return createPortalApp({ config, sessionKey: "canopy.customer.session", createRouter: createPortalRouter, Frame: BrandingProvider });
}
