// A TCP relay between the browser and Envoy that the test can cut: `sever()`
// destroys every open connection at once, as a network drop or a proxy restart
// would, while the listener stays up so the client can reconnect through it.
import { type Server, type Socket, connect, createServer } from "node:net";

export interface SeverableProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Destroys every open connection (both sides); returns how many were open. */
  sever(): number;
  close(): Promise<void>;
}

export function startSeverableProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<SeverableProxy> {
  const open = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = connect(targetPort, targetHost);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (!address || typeof address === "string") throw new Error("no address");
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        connections: () => accepted,
        sever: () => {
          const count = open.size / 2;
          for (const socket of [...open]) socket.destroy();
          open.clear();
          return count;
        },
        close: () =>
          new Promise((done) => {
            for (const socket of open) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
