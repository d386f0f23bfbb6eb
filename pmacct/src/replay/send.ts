import { createSocket } from "node:dgram";

export interface ReplayTarget {
  host: string;
  port: number;
  /** Local address to send from: it becomes the exporter address NetFlow collectors record. Default 127.0.0.1. */
  sourceAddress?: string;
  /** Pause between datagrams, ms; keeps the order and spares the receive buffer. Default 1. */
  gapMs?: number;
}

/**
 * Sends payloads in order to a collector over UDP. Only loopback targets are
 * allowed: replays are for tests and local checks, never for the network.
 */
export async function replayPayloads(payloads: readonly Buffer[], target: ReplayTarget): Promise<void> {
  if (!/^(127\.|::1$)/.test(target.host)) throw new Error(`replay target ${target.host} is not a loopback address`);
  const socket = createSocket(target.host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ address: target.sourceAddress ?? (target.host.includes(":") ? "::1" : "127.0.0.1"), port: 0 }, () =>
      resolve(),
    );
  });
  try {
    for (const payload of payloads) {
      await new Promise<void>((resolve, reject) =>
        socket.send(payload, target.port, target.host, (error) => (error ? reject(error) : resolve())),
      );
      await new Promise((resolve) => setTimeout(resolve, target.gapMs ?? 1));
    }
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
