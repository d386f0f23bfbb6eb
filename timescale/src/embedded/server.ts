// The embedded TimescaleDB server: the engine behind a Postgres wire-protocol listener.
// pg-gateway frames messages, answers SSLRequest with 'N' and runs the SCRAM exchange;
// everything after authentication goes through ClientConnection.

import net from "node:net";
import { verifyScramSha256Password } from "pg-gateway";
import { fromNodeSocket } from "pg-gateway/node";
import pino, { type Logger } from "pino";
import { decoyVerifier, type LoginRole, lookupLogin } from "./auth.ts";
import { type EmbeddedConfig, validateEmbeddedConfig } from "./config.ts";
import { ClientConnection, startupSettings } from "./connection.ts";
import { Engine } from "./engine.ts";
import { EmbeddedError } from "./errors.ts";
import { EngineLock } from "./lock.ts";
import { EmbeddedMetrics } from "./metrics.ts";
import { errorResponse } from "./protocol.ts";
import { SessionSwitch, SessionSwitchError } from "./session-switch.ts";

/** A client that has not authenticated within this time is disconnected (like authentication_timeout). */
const STARTUP_TIMEOUT_MS = 60_000;

const CANCEL_REQUEST = 80877102;
const GSSENC_REQUEST = 80877104;

function requestCode(msg: Uint8Array): number | undefined {
  if (msg.byteLength < 8) return undefined;
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  return view.getInt32(4);
}

export class EmbeddedServer {
  readonly config: EmbeddedConfig;
  readonly metrics = new EmbeddedMetrics();
  readonly #logger: Logger;
  readonly #engine: Engine;
  readonly #lock = new EngineLock();
  readonly #sessions: SessionSwitch;
  readonly #sockets = new Set<net.Socket>();
  readonly #clients = new Set<ClientConnection>();
  #server: net.Server | undefined;
  #nextId = 1;
  #ready: Promise<void> = new Promise(() => undefined);
  #checkpointTimer: NodeJS.Timeout | undefined;
  #stopping = false;

  /**
   * `onEngineFailure` is called when the WASM engine itself breaks; the engine is unusable
   * then and the process should exit so its supervisor restarts it on the same data dir.
   */
  constructor(config: EmbeddedConfig, opts: { logger?: Logger; onEngineFailure?: (err: EmbeddedError) => void } = {}) {
    this.config = validateEmbeddedConfig(config);
    this.#logger = opts.logger ?? pino({ name: "embedded-timescale" });
    this.#engine = new Engine(config.dataDir, this.#logger, {
      syncCommit: config.syncCommit,
      onFailure: opts.onEngineFailure ?? (() => undefined),
      onWalSync: () => {
        this.metrics.walFlushesTotal++;
      },
    });
    this.#sessions = new SessionSwitch(this.#engine, this.#logger);
  }

  /** Binds the port first (so a busy port fails fast), then opens the engine; resolves once serving. */
  async start(): Promise<{ host: string; port: number }> {
    const server = net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
    this.#server = server;
    let markReady: () => void = () => undefined;
    this.#ready = new Promise((resolve) => {
      markReady = resolve;
    });
    const address = await new Promise<net.AddressInfo>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) => {
        const where = `${this.config.host}:${this.config.port}`;
        if (err.code === "EADDRINUSE") {
          reject(
            new EmbeddedError("port_in_use", `port ${where} is already in use (set EMBEDDED_PG_PORT)`, { cause: err }),
          );
        } else reject(new EmbeddedError("listen", `cannot listen on ${where}: ${err.message}`, { cause: err }));
      });
      server.listen(this.config.port, this.config.host, () => resolve(server.address() as net.AddressInfo));
    });
    try {
      await this.#engine.open(this.config.password);
      await this.#lock.acquire();
      try {
        await this.#sessions.reset();
      } finally {
        this.#lock.release();
      }
    } catch (err) {
      await new Promise((resolve) => server.close(resolve));
      throw err;
    }
    markReady();
    this.#scheduleCheckpoint();
    this.#logger.info({ host: this.config.host, port: address.port }, "serving");
    return { host: this.config.host, port: address.port };
  }

  /** Runs CHECKPOINT between transactions every checkpointIntervalMs (see the config). */
  #scheduleCheckpoint(): void {
    const interval = this.config.checkpointIntervalMs;
    if (interval <= 0 || this.#stopping) return;
    this.#checkpointTimer = setTimeout(() => {
      void this.checkpoint()
        .catch((err: unknown) => this.#logger.error({ err }, "checkpoint failed"))
        .finally(() => this.#scheduleCheckpoint());
    }, interval);
    this.#checkpointTimer.unref();
  }

  /** Waits for the engine between transactions and runs CHECKPOINT. */
  async checkpoint(): Promise<void> {
    await this.#lock.acquire();
    try {
      if (this.#stopping) return;
      const started = Date.now();
      await this.#sessions.enterInternal();
      const result = await this.#engine.simple("CHECKPOINT");
      if (result.error) throw new EmbeddedError("engine", `checkpoint failed: ${result.error.message}`);
      this.metrics.checkpointsTotal++;
      this.#logger.debug({ ms: Date.now() - started }, "checkpoint");
    } finally {
      this.#lock.release();
    }
  }

  /** Terminates client connections (rolling back open transactions) and closes the engine cleanly. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearTimeout(this.#checkpointTimer);
    const server = this.#server;
    const closed = server ? new Promise((resolve) => server.close(resolve)) : Promise.resolve();
    await Promise.all(
      [...this.#clients].map((client) =>
        client.close({
          severity: "FATAL",
          code: "57P01",
          message: "terminating connection due to administrator command",
        }),
      ),
    );
    // end() lets the termination notices go out; whoever does not close in time is cut off.
    for (const socket of this.#sockets) socket.end();
    const cutOff = setTimeout(() => {
      for (const socket of this.#sockets) socket.destroy();
    }, 1000);
    await closed;
    clearTimeout(cutOff);
    await this.#lock.acquire();
    try {
      await this.#engine.close();
    } finally {
      this.#lock.release();
    }
    this.#logger.info({ metrics: this.metrics.snapshot() }, "stopped");
  }

  #accept(socket: net.Socket): void {
    if (this.#stopping) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    this.metrics.connectionsTotal++;
    this.metrics.connectionsActive++;
    const id = this.#nextId++;
    const log = this.#logger.child({ connection: id });
    let client: ClientConnection | undefined;
    let login: LoginRole | undefined;
    let writer: { write(bytes: Uint8Array): Promise<void> } | undefined;
    const startupTimer = setTimeout(() => socket.destroy(), STARTUP_TIMEOUT_MS);
    startupTimer.unref();
    socket.on("error", (err) => log.debug({ err }, "socket error"));
    socket.on("close", () => {
      clearTimeout(startupTimer);
      this.#sockets.delete(socket);
      this.metrics.connectionsActive--;
      if (client) {
        const c = client;
        this.#clients.delete(c);
        void c.close().catch((err: unknown) => log.error({ err }, "close failed"));
      }
    });
    const fatal = (code: string, message: string) => {
      socket.end(errorResponse({ severity: "FATAL", code, message }));
    };

    const authenticated = async (clientParams: Record<string, string> | undefined) => {
      if (!login) throw new Error("authenticated without a login role");
      const params = clientParams ?? { user: login.name };
      client = new ClientConnection(id, login.name, login.superuser, startupSettings(params), {
        engine: this.#engine,
        lock: this.#lock,
        sessions: this.#sessions,
        metrics: this.metrics,
        logger: log,
        idleInTransactionTimeoutMs: this.config.idleInTransactionTimeoutMs,
        copyMaxBytes: this.config.copyMaxBytes,
        send: (bytes) => socket.write(bytes),
        end: () => socket.end(),
      });
      this.#clients.add(client);
      log.debug({ user: login.name, application: params.application_name }, "authenticated");
      const status = await client.start();
      if (writer) await writer.write(status);
      else socket.write(status);
    };

    const serve = async () => {
      await this.#ready;
      const connection = await fromNodeSocket(socket, {
        auth: {
          method: "scram-sha-256",
          getScramSha256Data: async ({ username }) => {
            login = await lookupLogin(this.#engine, this.#lock, this.#sessions, username);
            return login?.verifier ?? decoyVerifier();
          },
          validateCredentials: async ({ authMessage, clientProof, scramSha256Data }) => {
            const ok =
              login !== undefined &&
              (await verifyScramSha256Password({ authMessage, clientProof, storedKey: scramSha256Data.storedKey }));
            if (!ok) {
              this.metrics.authFailuresTotal++;
              log.info({ user: login?.name }, "authentication failed");
            }
            return ok;
          },
        },
        onAuthenticated: async (state) => {
          clearTimeout(startupTimer);
          try {
            await authenticated(state.clientParams);
          } catch (err) {
            log.error({ err }, "session start failed");
            const fields =
              err instanceof SessionSwitchError
                ? { ...err.fields, severity: "FATAL" as const }
                : { severity: "FATAL" as const, code: "XX000", message: "internal error in the embedded server" };
            socket.end(errorResponse(fields));
          }
        },
        onMessage: async (data, state) => {
          if (!state.hasStarted) {
            const code = requestCode(data);
            if (code === GSSENC_REQUEST) return new TextEncoder().encode("N");
            if (code === CANCEL_REQUEST) {
              // Statements run synchronously inside the engine: there is nothing to cancel.
              setImmediate(() => socket.destroy());
              return new Uint8Array(0);
            }
            if (this.#clients.size >= this.config.maxConnections) {
              setImmediate(() => fatal("53300", "sorry, too many clients already"));
              return new Uint8Array(0);
            }
            return undefined;
          }
          if (!state.isAuthenticated || !client) return undefined;
          return client.handle(data);
        },
      });
      writer = connection.streamWriter;
    };
    serve().catch((err: unknown) => {
      log.error({ err }, "connection setup failed");
      fatal("XX000", "internal error in the embedded server");
    });
  }
}
