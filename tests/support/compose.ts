// Shared by the compose tests: the compose file, .env_example and helpers to run entrypoints.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ComposeService, readCompose, readEnvFile } from "../../deploy/src/compose.ts";
import { readDockerfile } from "../../deploy/src/dockerfile.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const COMPOSE_PATH = join(ROOT, "docker-compose.yml");
export const COMPOSE_TEXT = readFileSync(COMPOSE_PATH, "utf8");
export const compose = readCompose(COMPOSE_PATH);
export const example = readEnvFile(join(ROOT, ".env_example"));

/** Secrets that a URL written by hand would break on ('/', '+'), as openssl rand -base64 makes them. */
export function secret(name: string): string {
  return `${name.toLowerCase().replace(/_/g, "")}/Se+cret`;
}

/** The operator's .env: .env_example with every change-me replaced. */
export const dotEnv: Record<string, string> = Object.fromEntries(
  [...example.values].map(([name, value]) => [name, value === "change-me" ? secret(name) : value]),
);
/** Secrets of .env_example (the ones that must be replaced). */
export const SECRETS = [...example.values].filter(([, v]) => v === "change-me").map(([n]) => n);

/** Our services: the workspaces their image holds (where the code that reads their env lives). */
export const OURS: Record<string, { workspaces: string[] }> = {
  migrate: { workspaces: ["timescale", "schema"] },
  collector: { workspaces: ["pmacct", "timescale", "schema"] },
  archiver: { workspaces: ["archiver", "iceberg", "timescale", "schema"] },
  gateway: { workspaces: ["query-gateway", "iceberg", "timescale", "schema"] },
};

export function service(name: string): ComposeService {
  const s = compose.services[name];
  if (s === undefined) throw new Error(`no service ${name} in docker-compose.yml`);
  return s;
}

export function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/);
}

/**
 * A path inside one of our images, mapped to the repository (the images copy the repo to /app),
 * or to `appDir`, a laid-out image tree (deploy/src/image-layout.ts).
 */
export function repoPath(imagePath: string, appDir = ROOT): string {
  if (imagePath.startsWith("/app/")) return join(appDir, imagePath.slice("/app/".length));
  if (imagePath.startsWith("/netflow/")) return join(ROOT, "deploy/docker", imagePath.slice("/netflow/".length));
  throw new Error(`not a path of our images: ${imagePath}`);
}

/** The entrypoint a service runs: compose's, else its Dockerfile's final ENTRYPOINT. */
export function entrypointOf(name: string): string[] {
  const s = service(name);
  if (s.entrypoint !== undefined) return list(s.entrypoint);
  if (s.build === undefined) return [];
  const df = readDockerfile(join(ROOT, s.build.context, s.build.dockerfile ?? "Dockerfile"));
  const stage = s.build.target ? df.stages.find((st) => st.name === s.build?.target) : df.stages.at(-1);
  const ep = stage?.instructions.filter((i) => i.keyword === "ENTRYPOINT").at(-1);
  return ep ? (JSON.parse(ep.args) as string[]) : [];
}

export function nonCommentText(path: string): string {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("#"))
    .join("\n");
}

export function sourcesOf(workspaces: string[]): string {
  const texts: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "testing" && entry.name !== "node_modules") walk(path);
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
        texts.push(readFileSync(path, "utf8"));
      }
    }
  };
  for (const w of workspaces) walk(join(ROOT, w, "src"));
  return texts.join("\n");
}

export function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): { code: number | null; stdout: string; stderr: string } {
  // The timeout turns an entrypoint that should have refused (and runs instead) into a failure, not a hang.
  const r = spawnSync(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The entrypoint command of a service, runnable here (image paths mapped into the repo or an image tree). */
export function nativeCommand(name: string, appDir = ROOT): string[] {
  const [entry, ...rest] = entrypointOf(name);
  return [repoPath(entry as string, appDir), ...rest];
}
