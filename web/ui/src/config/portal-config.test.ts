import { afterEach, describe, expect, it, vi } from "vitest";
import { PortalConfigError, loadConfig } from "./portal-config";

function serve(body: string | undefined, contentType = "application/json") {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => (body === undefined ? new Response("not found", { status: 404 }) : new Response(body, { headers: { "content-type": contentType } }))),
  );
}

describe("loadConfig", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("reads apiBaseUrl from /config.json before the build-time value", async () => {
    serve(JSON.stringify({ apiBaseUrl: "https://api.example.com" }));
    expect(await loadConfig("http://127.0.0.1:8080")).toEqual({ apiBaseUrl: "https://api.example.com" });
  });

  it("falls back to the build-time URL when nothing serves /config.json (an SPA fallback's HTML does not count)", async () => {
    serve("<!doctype html>", "text/html");
    expect(await loadConfig("http://127.0.0.1:8080")).toEqual({ apiBaseUrl: "http://127.0.0.1:8080" });
    serve(undefined);
    expect(await loadConfig("http://127.0.0.1:9090")).toEqual({ apiBaseUrl: "http://127.0.0.1:9090" });
  });

  it("names the file and the field that cannot be used", async () => {
    serve(JSON.stringify({ apiBaseUrl: "ftp://nope" }));
    await expect(loadConfig(undefined)).rejects.toThrow(new PortalConfigError("/config.json — apiBaseUrl: not an http(s) URL"));
    serve(undefined);
    await expect(loadConfig(undefined)).rejects.toThrow(/no \/config.json and VITE_API_BASE_URL — apiBaseUrl: missing/);
  });
});
