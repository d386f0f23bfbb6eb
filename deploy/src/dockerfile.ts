/**
 * A small Dockerfile reader for the structured checks hadolint does not make
 * (pinned bases from build args, non-root final stage, `npm ci --omit=dev`,
 * every COPY source present in the repository).
 */
import { readFileSync } from "node:fs";

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Map<string, string>;
  stages: Stage[];
}

export function readDockerfile(path: string): Dockerfile {
  const lines = readFileSync(path, "utf8").split("\n");
  const instructions: Instruction[] = [];
  let buffer = "";
  let start = 0;
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (buffer === "" && (line.trim() === "" || line.trimStart().startsWith("#"))) return;
    if (buffer !== "" && line.trimStart().startsWith("#")) return; // comments inside a continuation
    if (buffer === "") start = i + 1;
    if (line.endsWith("\\")) {
      buffer += `${line.slice(0, -1)} `;
      return;
    }
    buffer += line;
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(buffer);
    if (m) instructions.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: start });
    buffer = "";
  });
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: m?.[1] ?? ins.args, name: m?.[2] ?? null, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword === "ARG") {
        // Split at the first "=" only: a value may hold one (a module sum ends in "=").
        const eq = ins.args.indexOf("=");
        const [name, value] = eq < 0 ? [ins.args, ""] : [ins.args.slice(0, eq), ins.args.slice(eq + 1)];
        globalArgs.set(name.trim(), value.trim());
      }
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** `${NAME}` / `$NAME` in a FROM line resolved with the global ARG defaults (or overrides). */
export function resolveFrom(from: string, args: ReadonlyMap<string, string>): string {
  return from.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a?: string, b?: string) => {
    return args.get((a ?? b) as string) ?? "";
  });
}

/** Source paths of the COPY instructions that copy from the build context (not --from=). */
export function contextCopySources(stage: Stage): string[] {
  const sources: string[] = [];
  for (const ins of stage.instructions) {
    if (ins.keyword !== "COPY" || /--from=/.test(ins.args)) continue;
    const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
    sources.push(...words.slice(0, -1));
  }
  return sources;
}
