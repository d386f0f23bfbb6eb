import type { Logger } from "pino";
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

  async start(): Promise<void> {
    for (const service of this.services) await service.preflight?.();
    for (const service of this.services) {
      const begin = Date.now();
      this.#log.info({ service: service.name }, "starting service");
      try {
        await service.start();
      } catch (error) {
        this.#log.error({ service: service.name, err: error }, "service failed to start; stopping the others");
        // The failed service may have spawned a process before failing.
        this.#started.push(service);
        await this.stop();
        throw error;
      }
      this.#started.push(service);
      this.#log.info({ service: service.name, ms: Date.now() - begin }, "service started");
    }
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
