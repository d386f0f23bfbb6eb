import { createSocket } from "node:dgram";
import type { CapturedDatagram } from "../pcap/pcap-writer.ts";

/** A UDP socket on 127.0.0.1 that records every datagram it receives (test support). */
export class UdpSink {
  readonly received: CapturedDatagram[] = [];
  private readonly socket = createSocket({ type: "udp4", recvBufferSize: 16 * 1024 * 1024 });
  port = 0;

  async start(): Promise<void> {
    this.socket.on("message", (payload, rinfo) => {
      this.received.push({
        timeMs: Date.now(),
        srcAddress: rinfo.address,
        srcPort: rinfo.port,
        dstAddress: "127.0.0.1",
        dstPort: this.port,
        payload,
      });
    });
    await new Promise<void>((resolve) => this.socket.bind({ address: "127.0.0.1", port: 0 }, () => resolve()));
    this.port = this.socket.address().port;
  }

  /** Waits until `count` datagrams arrived or the timeout passed. */
  async waitFor(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
