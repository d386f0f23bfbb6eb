/**
 * Reading docker-compose.yml without a docker engine: YAML with anchors and
 * merge keys, and the Compose Specification's variable interpolation, so the
 * tests see the same values `docker compose config` would.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";

export interface ComposeHealthcheck {
  test?: string | string[];
  disable?: boolean;
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string; args?: Record<string, string> };
  entrypoint?: string | string[];
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | { target: number; published?: string; protocol?: string }>;
  volumes?: Array<string | { type: string; source?: string; target: string }>;
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: ComposeHealthcheck;
  restart?: string;
  profiles?: string[];
  user?: string;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [extension: `x-${string}`]: unknown;
}

/** Parses a compose file (anchors and `<<` merge keys resolved), not yet interpolated. */
export function readCompose(path: string): ComposeFile {
  return parse(readFileSync(path, "utf8"), { merge: true, maxAliasCount: -1 }) as ComposeFile;
}

export class InterpolationError extends Error {}

/**
 * Compose interpolation of one string: `$$` is a literal `$`; `$VAR`, `${VAR}`;
 * `${VAR:-default}` / `${VAR-default}` (default when unset-or-empty / unset);
 * `${VAR:?message}` / `${VAR?message}` (error). Unset plain variables become "".
 */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^}\\]|\\.)*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (match === "$$") return "$";
      const name = (braced ?? bare) as string;
      const value = env[name];
      const missing = colon === ":" ? value === undefined || value === "" : value === undefined;
      if (op === "-") return missing ? interpolate(arg ?? "", env) : (value as string);
      if (op === "?") {
        if (missing) throw new InterpolationError(`required variable ${name} is missing a value: ${arg ?? ""}`);
        return value as string;
      }
      return value ?? "";
    },
  );
}

/** Variables a compose text refers to (not `$$` escapes). */
export function referencedVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.replace(/\$\$/g, "").matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
    names.add((m[1] ?? m[2]) as string);
  }
  return names;
}

/** A service's environment after interpolation with `env` (as the container sees it). */
export function serviceEnvironment(
  service: ComposeService,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = service.environment ?? {};
  const entries: Array<[string, unknown]> = Array.isArray(raw)
    ? raw.map((line) => {
        const i = line.indexOf("=");
        return i < 0 ? [line, env[line]] : [line.slice(0, i), line.slice(i + 1)];
      })
    : Object.entries(raw);
  for (const [name, value] of entries) {
    if (value === null || value === undefined) continue;
    out[name] = interpolate(String(value), env);
  }
  return out;
}

export interface PublishedPort {
  hostIp: string | null;
  published: string;
  target: number;
  protocol: "tcp" | "udp";
}

/** Short-syntax ports ("[ip:]published:target[/proto]") after interpolation. */
export function publishedPorts(service: ComposeService, env: Record<string, string | undefined>): PublishedPort[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== "string") {
      return {
        hostIp: null,
        published: port.published ?? "",
        target: port.target,
        protocol: port.protocol === "udp" ? "udp" : "tcp",
      };
    }
    const text = interpolate(port, env);
    const [spec, protocol = "tcp"] = text.split("/");
    const parts = (spec ?? "").split(":");
    const target = Number(parts.at(-1));
    const published = parts.length >= 2 ? (parts.at(-2) as string) : "";
    const hostIp = parts.length === 3 ? (parts[0] as string) : null;
    return { hostIp, published, target, protocol: protocol === "udp" ? "udp" : "tcp" };
  });
}

/** Lines `NAME=value` of an env file (comments and blanks skipped; commented-out `# NAME=` lines listed separately). */
export function readEnvFile(path: string): { values: Map<string, string>; commented: Set<string> } {
  const values = new Map<string, string>();
  const commented = new Set<string>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const set = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (set) values.set(set[1] as string, set[2] as string);
    const off = /^#\s*([A-Z_][A-Z0-9_]*)=/.exec(line.trim());
    if (off) commented.add(off[1] as string);
  }
  return { values, commented };
}
