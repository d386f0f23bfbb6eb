import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";

/** Environment as the launcher sees it: variable name → value (unset names are absent). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads a dotenv file (KEY=value lines, `#` comments, quoted values) with
 * Node's own parser. A missing file is an empty environment: `.env` is
 * optional, every setting has an embedded default.
 */
export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const parsed = parseEnv(readFileSync(path, "utf8"));
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (value !== undefined) result[key] = value;
  }
  return result;
}

/**
 * Layers environments, later ones winning. The launcher calls it as
 * (generated secrets, .env, process environment): what a user exports in the
 * shell overrides the file, which overrides what was generated.
 */
export function layerEnv(...layers: Env[]): Env {
  const merged: Record<string, string | undefined> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) merged[key] = value;
    }
  }
  return merged;
}
