import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";

/** A UDP socket bound to one exporter address, so the collector sees that address as the exporter. */
export class ExporterSocket {
  private readonly socket: Socket;

  private constructor(
    socket: Socket,
    readonly address: string,
  ) {
    this.socket = socket;
  }

  static async open(address: string): Promise<ExporterSocket> {
    const socket = createSocket({ type: isIP(address) === 6 ? "udp6" : "udp4", sendBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address, port: 0, exclusive: true }, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return new ExporterSocket(socket, address);
  }

  send(datagram: Buffer, host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(datagram, port, host, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
