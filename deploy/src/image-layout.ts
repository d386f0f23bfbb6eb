/**
 * Lays out, in a local folder, the /app tree one of our Node images would
 * contain — without a docker engine — so CI can run the container entrypoint
 * from exactly the files and production dependencies the image gets:
 *   - the `deps` stage's `npm ci --omit=dev` over the manifests it copies,
 *   - the `tsx` stage's install (its RUN script, run as written),
 *   - the final stage's COPY instructions (context files and the two stages' node_modules).
 * Paths outside WORKDIR /app and stages other than deps/tsx (e.g. the node binary) are skipped:
 * the host's Node runs the result.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { contextCopySources, readDockerfile, type Stage } from "./dockerfile.ts";

export interface BuiltStages {
  /** Folder whose node_modules is the deps stage's /app/node_modules. */
  deps: string;
  /** Folder whose node_modules is the tsx stage's /tsx/node_modules. */
  tsx: string;
}

function stage(path: string, name: string): Stage {
  const found = readDockerfile(path).stages.find((s) => s.name === name);
  if (found === undefined) throw new Error(`${path} has no stage ${name}`);
  return found;
}

function copyDest(args: string): string {
  return args.split(/\s+/).at(-1) as string;
}

/** Runs the deps and tsx stages of `dockerfile` into `workDir` (reusable by images whose stages are equal). */
export function buildStages(root: string, dockerfile: string, workDir: string): BuiltStages {
  const deps = join(workDir, "deps");
  mkdirSync(deps, { recursive: true });
  const depsStage = stage(dockerfile, "deps");
  for (const ins of depsStage.instructions.filter((i) => i.keyword === "COPY")) {
    const dest = copyDest(ins.args);
    for (const source of contextCopySources({ ...depsStage, instructions: [ins] })) {
      const target = dest.endsWith("/") ? join(deps, dest, source.split("/").at(-1) as string) : join(deps, dest);
      mkdirSync(join(target, ".."), { recursive: true });
      cpSync(join(root, source), target);
    }
  }
  // The stage's install, without its `npm cache clean` (that would empty the host's npm cache).
  execFileSync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund"], { cwd: deps, stdio: "pipe" });

  const tsx = join(workDir, "tsx");
  mkdirSync(tsx, { recursive: true });
  const tsxStage = stage(dockerfile, "tsx");
  const run = tsxStage.instructions.find((i) => i.keyword === "RUN");
  if (run === undefined) throw new Error(`${dockerfile}: the tsx stage has no RUN`);
  const script = run.args
    .replaceAll("/tmp/package-lock.json", join(root, "package-lock.json"))
    .replace(/\s*&&\s*npm cache clean --force/, "");
  execFileSync("sh", ["-ec", script], { cwd: tsx, stdio: "pipe" });
  return { deps, tsx };
}

/** Lays out the final stage's /app of `dockerfile` into `appDir`, hard-linking node_modules from `stages`. */
export function layOutImage(root: string, dockerfile: string, stages: BuiltStages, appDir: string): void {
  const df = readDockerfile(dockerfile);
  const final = df.stages.at(-1) as Stage;
  const workdir = final.instructions.filter((i) => i.keyword === "WORKDIR").at(-1)?.args ?? "/";
  if (workdir !== "/app") throw new Error(`${dockerfile}: expected WORKDIR /app, got ${workdir}`);
  mkdirSync(appDir, { recursive: true });
  const inApp = (dest: string): string | null => {
    if (dest.startsWith("/app/")) return join(appDir, dest.slice("/app/".length));
    if (dest.startsWith("/")) return null;
    return join(appDir, dest);
  };
  for (const ins of final.instructions.filter((i) => i.keyword === "COPY")) {
    const from = /--from=(\S+)/.exec(ins.args)?.[1];
    const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
    const dest = inApp(words.at(-1) as string);
    if (dest === null) continue;
    if (from !== undefined) {
      const base = from === "deps" ? stages.deps : from === "tsx" ? stages.tsx : null;
      if (base === null) continue; // e.g. the node binary: the host's node stands in
      const source = (words[0] as string).replace(/^\/(app|tsx)\//, "");
      // Hard links: cheap, and the tree is a real copy as far as module resolution goes.
      mkdirSync(dest, { recursive: true });
      execFileSync("cp", ["-al", `${join(base, source)}/.`, dest]);
      continue;
    }
    for (const source of words.slice(0, -1)) {
      // `COPY dir/ dest/` copies the folder's contents; `COPY file... dest/` puts files into dest.
      const target = source.endsWith("/") || !dest.endsWith("/") ? dest : join(dest, basename(source));
      mkdirSync(source.endsWith("/") ? target : dirname(target), { recursive: true });
      cpSync(join(root, source), target, { recursive: true });
    }
  }
  if (!existsSync(join(appDir, "node_modules", "tsx"))) throw new Error(`${appDir}: no tsx after the layout`);
  writeFileSync(join(appDir, ".image-layout"), `${dockerfile}\n`);
}
