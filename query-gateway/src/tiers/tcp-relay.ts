/**
 * For tests: a TCP relay in front of a database URL, to cut its connections the way a killed
 * server or a broken network would, without stopping the server other tests share.
 */
import { createServer, type Socket, connect as tcpConnect } from "node:net";

export interface TcpRelay {
  /** The database URL with the relay's port. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Destroys every relayed connection; with `refuse`, also stops accepting new ones. */
  cut(refuse?: boolean): void;
  close(): void;
}

export async function startTcpRelay(databaseUrl: string): Promise<TcpRelay> {
  const target = new URL(databaseUrl);
  const sockets: Socket[] = [];
  let connections = 0;
  const server = createServer((inbound) => {
    connections++;
    const outbound = tcpConnect(Number(target.port), target.hostname);
    sockets.push(inbound, outbound);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("error", () => undefined);
    outbound.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(typeof address === "object" && address !== null ? address.port : 0);
  return {
    url: url.href,
    get connections() {
      return connections;
    },
    cut(refuse = false) {
      if (refuse) server.close();
      for (const socket of sockets.splice(0)) socket.destroy();
    },
    close() {
      server.close();
      for (const socket of sockets.splice(0)) socket.destroy();
    },
  };
}
