// A tiny static server for the built portals: files from `dist/`, `index.html` for
// every other path (client-side routes), and `/config.json` telling the portal
// where the API (Envoy's grpc-web port) is. It proxies nothing.
import { createReadStream, existsSync, statSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json",
};

export function serveStatic(root: string, config: { apiBaseUrl: string }, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(config));
      return;
    }
    const file = join(root, normalize(path).replace(/^(\.\.[/\\])+/, ""));
    const target = file.startsWith(root) && existsSync(file) && statSync(file).isFile() ? file : join(root, "index.html");
    res.writeHead(200, { "content-type": TYPES[extname(target)] ?? "application/octet-stream" });
    createReadStream(target).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}
