/**
 * The Postgres wire front end of the gateway: psql, Grafana, pandas and every
 * libpq/JDBC/node-pg client connect here. pg-gateway frames messages and
 * upgrades to TLS; WireConnection does authentication and queries. A
 * CancelRequest with a connection's key cancels its running statement.
 */
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import type { PostgresConnection } from "pg-gateway";
import { fromNodeSocket } from "pg-gateway/node";
import pino, { type Logger } from "pino";
import { type PgWireConfig, validatePgWireConfig } from "./config.ts";
import { WireConnection } from "./connection.ts";
import {
  CANCEL_REQUEST,
  errorResponse,
  GSSENC_REQUEST,
  MessageReader,
  PROTOCOL_3,
  readStartup,
  startupCode,
} from "./messages.ts";
import { type ScramVerifier, scramVerifier } from "./scram.ts";
import type { SessionBackend } from "./session.ts";

/** A client that has not authenticated within this time is disconnected (Postgres authentication_timeout). */
const STARTUP_TIMEOUT_MS = 60_000;

export class PgWireServer {
  readonly metrics = { connectionsTotal: 0, connectionsActive: 0, authFailuresTotal: 0, cancelsTotal: 0 };
  private readonly config: PgWireConfig;
  private readonly log: Logger;
  private server: net.Server | undefined;
  private verifier: ScramVerifier | undefined;
  private tls: { key: ArrayBuffer; cert: ArrayBuffer } | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly byKey = new Map<string, WireConnection>();
  private nextPid = 1;

  constructor(
    config: PgWireConfig,
    private readonly backend: SessionBackend,
    options: { readonly log?: Logger } = {},
  ) {
    this.config = validatePgWireConfig(config);
    this.log = options.log ?? pino({ level: "silent" });
  }

  async start(): Promise<{ host: string; port: number }> {
    this.verifier = await scramVerifier(this.config.password);
    if (this.config.tls !== undefined) {
      const buffer = (path: string) => {
        const b = readFileSync(path);
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      };
      this.tls = { key: buffer(this.config.tls.keyFile), cert: buffer(this.config.tls.certFile) };
    }
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    const address = await new Promise<net.AddressInfo>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.config.port, this.config.host, () => resolve(server.address() as net.AddressInfo));
    });
    this.log.info({ host: this.config.host, port: address.port, tls: this.tls !== undefined }, "pg wire listening");
    return { host: this.config.host, port: address.port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
  }

  private accept(socket: net.Socket): void {
    const verifier = this.verifier;
    if (verifier === undefined || this.sockets.size >= this.config.maxConnections) {
      socket.end(errorResponse({ severity: "FATAL", code: "53300", message: "sorry, too many clients already" }));
      return;
    }
    this.sockets.add(socket);
    this.metrics.connectionsTotal++;
    this.metrics.connectionsActive++;
    const pid = this.nextPid++;
    const secret = randomInt(0, 2 ** 31 - 1);
    const key = `${pid}:${secret}`;
    const log = this.log.child({ connection: pid });
    let pgConnection: PostgresConnection | undefined;
    const end = () => {
      const writer = pgConnection?.streamWriter;
      if (writer !== undefined) void writer.close().catch(() => undefined);
      // Whatever does not close by itself (TLS shutdown) is cut off.
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    const connection = new WireConnection({
      backend: this.backend,
      user: this.config.user,
      verifier,
      pid,
      secret,
      log,
      end,
      onAuthFailure: () => {
        this.metrics.authFailuresTotal++;
      },
    });
    const startupTimer = setTimeout(() => socket.destroy(), STARTUP_TIMEOUT_MS);
    startupTimer.unref();
    let authenticated = false;
    socket.on("error", (err) => log.debug({ err }, "socket error"));
    socket.on("close", () => {
      clearTimeout(startupTimer);
      this.sockets.delete(socket);
      this.byKey.delete(key);
      this.metrics.connectionsActive--;
      connection.close();
    });
    // Statements of one connection run one after another, in message order.
    let chain: Promise<unknown> = Promise.resolve();
    const serial = <T>(fn: () => Promise<T>): Promise<T> => {
      const next = chain.then(fn, fn);
      chain = next.catch(() => undefined);
      return next;
    };

    fromNodeSocket(socket, {
      ...(this.tls === undefined ? {} : { tls: this.tls }),
      onMessage: (data, state) => {
        if (!state.hasStarted) {
          const code = startupCode(data);
          if (code === GSSENC_REQUEST) return new TextEncoder().encode("N");
          if (code === CANCEL_REQUEST) {
            const r = new MessageReader(data, 8);
            const target = this.byKey.get(`${r.int32()}:${r.int32()}`);
            if (target !== undefined) {
              this.metrics.cancelsTotal++;
              target.cancel();
            }
            setImmediate(() => socket.destroy());
            return new Uint8Array(0);
          }
          if (code !== PROTOCOL_3) return undefined; // SSLRequest: pg-gateway answers and upgrades.
          if (this.tls !== undefined && state.tlsInfo === undefined) {
            setImmediate(end);
            return errorResponse({ severity: "FATAL", code: "28000", message: "SSL connection is required" });
          }
          return connection.startup(readStartup(data));
        }
        return serial(async () => {
          const out = await connection.handle(data);
          if (!authenticated && out.length > 1) {
            authenticated = true;
            clearTimeout(startupTimer);
            this.byKey.set(key, connection);
          }
          return out.length === 0 ? new Uint8Array(0) : Buffer.concat(out);
        }).catch((error: unknown) => {
          log.error({ err: error }, "wire connection failed");
          setImmediate(end);
          return errorResponse({ severity: "FATAL", code: "XX000", message: "internal error" });
        });
      },
    }).then(
      (c) => {
        pgConnection = c;
      },
      (error: unknown) => {
        log.error({ err: error }, "wire connection setup failed");
        socket.destroy();
      },
    );
  }
}
