// Errors the layer decides on while the client is inside a transaction are raised by the
// engine itself, so the transaction really aborts and the next ReadyForQuery says so.

import { quoteLiteral } from "./protocol.ts";

export function raiseSql(error: { code: string; message: string; hint?: string }): string {
  const hint = error.hint ? `, HINT = ${quoteLiteral(error.hint)}` : "";
  return `DO $embedded_raise$ BEGIN RAISE EXCEPTION USING ERRCODE = ${quoteLiteral(error.code)}, MESSAGE = ${quoteLiteral(error.message)}${hint}; END $embedded_raise$`;
}
