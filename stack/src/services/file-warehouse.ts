import { accessSync, constants, mkdirSync } from "node:fs";
import { StackError } from "../errors.ts";
import type { EndpointLine, Health, Service } from "../service.ts";

/** WAREHOUSE=file:///path: the cold tier in a local folder instead of S3 (no SeaweedFS). */
export class FileWarehouse implements Service {
  readonly name = "warehouse";
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async preflight(): Promise<void> {
    try {
      mkdirSync(this.path, { recursive: true });
      accessSync(this.path, constants.W_OK);
    } catch (error) {
      throw new StackError("config", `WAREHOUSE: ${this.path} is not a writable folder (${(error as Error).message})`, {
        variable: "WAREHOUSE",
        cause: error,
      });
    }
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  endpoints(): EndpointLine[] {
    return [{ service: this.name, label: "warehouse (WAREHOUSE)", value: `file://${this.path}` }];
  }

  async check(): Promise<Health> {
    try {
      accessSync(this.path, constants.W_OK);
      return { service: this.name, ok: true, detail: `${this.path} is writable` };
    } catch (error) {
      return { service: this.name, ok: false, detail: (error as Error).message };
    }
  }
}
