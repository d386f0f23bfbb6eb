import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { StackError } from "./errors.ts";

/**
 * Fails with a message naming `variable` when something already listens on
 * the TCP port. Checked before spawning, because a child that cannot bind dies
 * with an error buried in its own log.
 */
export async function assertTcpPortFree(host: string, port: number, variable: string): Promise<void> {
  const error = await new Promise<NodeJS.ErrnoException | undefined>((done) => {
    const server = createServer();
    server.once("error", (e: NodeJS.ErrnoException) => done(e));
    server.listen({ host, port, exclusive: true }, () => server.close(() => done(undefined)));
  });
  if (error !== undefined) throw portError(`TCP ${host}:${port}`, variable, error);
}

/** Same for a UDP port (the collector's). */
export async function assertUdpPortFree(host: string, port: number, variable: string): Promise<void> {
  const error = await new Promise<NodeJS.ErrnoException | undefined>((done) => {
    const socket = createSocket("udp4");
    socket.once("error", (e: NodeJS.ErrnoException) => {
      socket.close();
      done(e);
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => done(undefined)));
  });
  if (error !== undefined) throw portError(`UDP ${host}:${port}`, variable, error);
}

function portError(what: string, variable: string, error: NodeJS.ErrnoException): StackError {
  const reason =
    error.code === "EADDRINUSE"
      ? "is already in use (another stack, or a system service?)"
      : `cannot be bound (${error.code ?? error.message})`;
  return new StackError("port-in-use", `${what} ${reason}; set ${variable} to a free port`, {
    variable,
    cause: error,
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1 (tests start stacks on these). */
export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A UDP port that was free a moment ago on 0.0.0.0. */
export async function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind({ address: "0.0.0.0", port: 0 }, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
