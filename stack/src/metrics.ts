import { createServer, type Server } from "node:http";
import { assertTcpPortFree } from "./ports.ts";
import type { SupervisedProcess } from "./process.ts";
import type { EndpointLine, Health, Service } from "./service.ts";

/** A service with its own Prometheus text (the collector's daemons and exporters). */
export interface MetricsSource {
  metricsText(): string;
}

/**
 * The launcher's metrics in Prometheus text format (0.0.4): one `up` gauge and
 * one restart counter per supervised process.
 */
export function renderStackMetrics(processes: ReadonlyMap<string, SupervisedProcess>): string {
  const lines = [
    "# HELP netflow_stack_process_up 1 while the supervised process runs.",
    "# TYPE netflow_stack_process_up gauge",
  ];
  for (const [service, process] of processes) {
    lines.push(`netflow_stack_process_up{service="${service}"} ${process.pid === undefined ? 0 : 1}`);
  }
  lines.push(
    "# HELP netflow_stack_process_restarts_total Restarts after the process exited on its own.",
    "# TYPE netflow_stack_process_restarts_total counter",
  );
  for (const [service, process] of processes) {
    lines.push(`netflow_stack_process_restarts_total{service="${service}"} ${process.restarts}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * GET /metrics on 127.0.0.1 (env STACK_METRICS_PORT, default 9464): the
 * launcher's own metrics followed by those of services that have some. Started
 * last, so it only answers for a stack that is up.
 */
export class MetricsEndpoint implements Service {
  readonly name = "metrics";
  readonly host = "127.0.0.1";
  readonly port: number;
  readonly #processes: ReadonlyMap<string, SupervisedProcess>;
  readonly #sources: readonly MetricsSource[];
  #server: Server | undefined;

  constructor(port: number, processes: ReadonlyMap<string, SupervisedProcess>, sources: readonly MetricsSource[]) {
    this.port = port;
    this.#processes = processes;
    this.#sources = sources;
  }

  get url(): string {
    return `http://${this.host}:${this.port}/metrics`;
  }

  preflight(): Promise<void> {
    return assertTcpPortFree(this.host, this.port, "STACK_METRICS_PORT");
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      if (request.method !== "GET" || request.url !== "/metrics") {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
        return;
      }
      const body = [renderStackMetrics(this.#processes), ...this.#sources.map((source) => source.metricsText())].join(
        "",
      );
      response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(body);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: this.host, port: this.port }, () => resolve());
    });
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  endpoints(): EndpointLine[] {
    return [{ service: this.name, label: "prometheus metrics", value: this.url }];
  }

  async check(): Promise<Health> {
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(3000) });
      return { service: this.name, ok: response.ok, detail: `HTTP ${response.status} from ${this.url}` };
    } catch (error) {
      return { service: this.name, ok: false, detail: (error as Error).message };
    }
  }
}
