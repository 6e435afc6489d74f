import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@canopy/ui/styles.css";
import { createApp } from "./app/app";
import { loadConfig } from "./config/env";

const root = createRoot(document.getElementById("root")!);
loadConfig().then(
  (config) => {
    const App = createApp(config);
    root.render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.render(<p role="alert">This portal is not configured: {String(error)}</p>);
  },
);
