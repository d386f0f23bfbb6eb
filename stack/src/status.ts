import { join } from "node:path";
import pino from "pino";
import type { Env } from "./env.ts";
import { lockHolder, processAlive } from "./lock.ts";
import type { Health } from "./service.ts";
import { buildStack, loadStackConfig, REPO_ROOT } from "./stack.ts";

export interface StackStatus {
  /** PID of the running launcher, if any. */
  launcherPid: number | undefined;
  health: Health[];
}

/**
 * Asks every configured service whether it answers, from outside the
 * launcher (any process can run it). Generates nothing: a stack that never ran
 * simply reports its services down.
 */
export async function stackStatus(env: Env, repoRoot: string = REPO_ROOT): Promise<StackStatus> {
  const { config } = loadStackConfig(env, repoRoot, { generate: false });
  const built = buildStack(config, {}, process.env, pino({ level: "silent" }));
  const holder = lockHolder(join(config.dataDir, "stack.lock"));
  const health = await Promise.all(built.services.map((service) => service.check()));
  return { launcherPid: holder !== undefined && processAlive(holder) ? holder : undefined, health };
}
