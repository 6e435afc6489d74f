//! Where the API is: `/config.json` written next to the built portal by whoever
//! serves it (`{ "apiBaseUrl": "http://127.0.0.1:8080" }`), else the build-time base
//! URL the portal passes in (`VITE_API_BASE_URL`). Validated with zod before anything
//! calls Canopy.
import { z } from "zod";

const PortalConfig = z.object({ apiBaseUrl: z.url({ protocol: /^https?$/ }) });
export type PortalConfig = z.infer<typeof PortalConfig>;

export async function loadConfig(buildTimeBaseUrl: string | undefined): Promise<PortalConfig> {
  const res = await fetch("/config.json", { cache: "no-store" }).catch(() => undefined);
  if (res?.ok && (res.headers.get("content-type") ?? "").includes("json")) {
    return PortalConfig.parse(await res.json());
  }
  return PortalConfig.parse({ apiBaseUrl: buildTimeBaseUrl });
}
