import type { Logger } from "pino";
import { StackError } from "./errors.ts";
import type { Service } from "./service.ts";

/**
 * Starts services one after the other (each may need the previous ones: the
 * migrations need the database, the collector needs the migrations) and stops
 * them in reverse. A failed start stops what was already started, so a bad
 * run leaves no processes behind.
 */
export class Supervisor {
  readonly services: readonly Service[];
  readonly #log: Logger;
  #started: Service[] = [];

  constructor(services: readonly Service[], log: Logger) {
    this.services = services;
    this.#log = log;
  }

  /**
   * Starts every service; `signal` (Ctrl-C during a first start can take a
   * while) abandons the start, stops what runs and rejects with kind "aborted".
   */
  async start(signal?: AbortSignal): Promise<void> {
    for (const service of this.services) await service.preflight?.();
    // One promise for the whole start, marked handled: an abort after the last
    // race must not surface as an unhandled rejection.
    const interrupted = signal === undefined ? undefined : aborted(signal);
    interrupted?.catch(() => {});
    for (const service of this.services) {
      if (signal?.aborted) await this.#abandon();
      const begin = Date.now();
      this.#log.info({ service: service.name }, "starting service");
      // Listed before it starts: a failed or abandoned start may have spawned a process already.
      this.#started.push(service);
      const starting = service.start();
      try {
        await (interrupted === undefined ? starting : Promise.race([starting, interrupted]));
      } catch (error) {
        // Whatever the abandoned start does next (it fails once stop() kills its process) is moot.
        starting.catch(() => {});
        if (signal?.aborted) await this.#abandon();
        this.#log.error({ service: service.name, err: error }, "service failed to start; stopping the others");
        await this.stop();
        throw error;
      }
      this.#log.info({ service: service.name, ms: Date.now() - begin }, "service started");
    }
  }

  async #abandon(): Promise<never> {
    this.#log.info("start interrupted; stopping what runs");
    await this.stop();
    throw new StackError("aborted", "start interrupted");
  }

  async stop(): Promise<void> {
    const started = this.#started.reverse();
    this.#started = [];
    for (const service of started) {
      try {
        await service.stop();
        this.#log.info({ service: service.name }, "service stopped");
      } catch (error) {
        this.#log.error({ service: service.name, err: error }, "service failed to stop cleanly");
      }
    }
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new StackError("aborted", "start interrupted"));
    signal.addEventListener("abort", () => reject(new StackError("aborted", "start interrupted")), { once: true });
  });
}
