//! Starting a portal: load its configuration, then render the app it builds from it,
//! or say plainly that the portal is not configured.
import { type ComponentType, StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { type PortalConfig, loadConfig } from "./portal-config";

export function mountPortal(createApp: (config: PortalConfig) => ComponentType, buildTimeBaseUrl: string | undefined) {
  const root = createRoot(document.getElementById("root")!);
  loadConfig(buildTimeBaseUrl).then(
    (config) => {
      const App = createApp(config);
      root.render(
        <StrictMode>
          <App />
        </StrictMode>,
      );
    },
    (error: unknown) => {
      root.render(
        <p role="alert" className="m-8">
          This portal is not configured: {error instanceof Error ? error.message : String(error)}. Its operator sets <code>apiBaseUrl</code> (where
          grpc-web is served) in <code>/config.json</code>.
        </p>,
      );
    },
  );
}
