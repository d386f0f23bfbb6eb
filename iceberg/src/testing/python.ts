/** Runs the Python interop scripts in iceberg/test-py and parses their JSON output exactly (64-bit ints kept). */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type JsonValue, parseJson, stringifyJson } from "../json/exact-json.ts";

const run = promisify(execFile);
export const TEST_PY_DIR = fileURLToPath(new URL("../../test-py/", import.meta.url));

export async function runPythonScript(script: string, args: JsonValue): Promise<JsonValue> {
  try {
    const { stdout } = await run("python3", [`${TEST_PY_DIR}${script}`, stringifyJson(args)], {
      cwd: TEST_PY_DIR,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    const lines = stdout.trim().split("\n");
    return parseJson(lines[lines.length - 1] ?? "null");
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${script} failed: ${err.message}\n${err.stderr ?? ""}`);
  }
}
