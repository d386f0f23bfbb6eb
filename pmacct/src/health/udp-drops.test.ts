import { createSocket } from "node:dgram";
import { describe, expect, it } from "vitest";
import { parseProcNetUdp, UdpDropCounter, udpSocketsOnPort } from "./udp-drops.ts";

const SAMPLE = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0100007F:0807 00000000:0000 07 00000000:00001A00 00:00000000 00000000     0        0 4242 2 0000000000000000 17
  456: 00000000:18BB 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4243 2 0000000000000000 0
`;

describe("kernel UDP counters", () => {
  it("parse /proc/net/udp lines", () => {
    expect(parseProcNetUdp(SAMPLE)).toEqual([
      { localPort: 2055, inode: 4242, rxQueueBytes: 0x1a00, drops: 17 },
      { localPort: 6331, inode: 4243, rxQueueBytes: 0, drops: 0 },
    ]);
  });

  it("see the drops of a real socket whose receive buffer overflows", async () => {
    const receiver = createSocket({ type: "udp4", recvBufferSize: 4096 });
    // Bound but never read: the kernel queues datagrams until the buffer is full, then drops.
    receiver.on("message", () => {});
    await new Promise<void>((resolve) => receiver.bind(0, "127.0.0.1", () => resolve()));
    receiver.setRecvBufferSize(4096);
    const port = receiver.address().port;
    const counter = new UdpDropCounter(port);
    expect((await counter.read()).drops).toBe(0);
    const sender = createSocket("udp4");
    const payload = Buffer.alloc(1200, 1);
    const busyUntil = (ms: number): void => {
      const end = Date.now() + ms;
      while (Date.now() < end) {}
    };
    for (let i = 0; i < 200; i++) sender.send(payload, port, "127.0.0.1");
    busyUntil(300); // sends are flushed by libuv; the receiver cannot read while we spin
    await new Promise((r) => setTimeout(r, 50));
    busyUntil(1);
    const sockets = await udpSocketsOnPort(port);
    expect(sockets).toHaveLength(1);
    const live = await counter.read();
    expect(live.drops).toBeGreaterThan(0);
    expect(live.drops).toBe(sockets[0]?.drops);
    sender.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    // The socket is gone (as after a daemon restart): its count is kept.
    const after = await counter.read();
    expect(after.sockets).toBe(0);
    expect(after.drops).toBe(live.drops);
  });
});
