//! Where the API is: `/config.json` written next to the built portal by whoever
//! serves it (`{ "apiBaseUrl": "http://127.0.0.1:8080" }`), else the build-time base
//! URL the portal passes in (`VITE_API_BASE_URL`). Validated with zod before anything
//! calls Canopy.
import { z } from "zod";

const PortalConfig = z.object({ apiBaseUrl: z.url({ protocol: /^https?$/ }) });
export type PortalConfig = z.infer<typeof PortalConfig>;

/** A configuration that cannot be used, said in words an operator can act on. */
export class PortalConfigError extends Error {}

function parse(value: unknown, source: string): PortalConfig {
  const result = PortalConfig.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "the file"}: ${issue.code === "invalid_type" ? "missing" : "not an http(s) URL"}`);
  throw new PortalConfigError(`${source} — ${problems.join("; ")}`);
}

export async function loadConfig(buildTimeBaseUrl: string | undefined): Promise<PortalConfig> {
  const res = await fetch("/config.json", { cache: "no-store" }).catch(() => undefined);
  if (res?.ok && (res.headers.get("content-type") ?? "").includes("json")) {
    return parse(await res.json().catch(() => undefined), "/config.json");
  }
  return parse({ apiBaseUrl: buildTimeBaseUrl }, "no /config.json and VITE_API_BASE_URL");
}
