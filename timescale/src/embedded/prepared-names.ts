// Every client shares the engine's one session, so protocol-level prepared statement and
// portal names are renamed per connection (a prefix) in Parse, Bind, Describe, Close and
// Execute. The unnamed statement/portal ("") stays unnamed: it only lives until the next
// Sync, and a connection holds the engine from its first extended message until then.

import { concat, readCString } from "./protocol.ts";

const encoder = new TextEncoder();

/** What a renamed message did to the connection's set of named statements. */
export interface Renamed {
  message: Uint8Array;
  /** The engine-side name of a statement created by Parse. */
  parsed?: string;
  /** The engine-side name of a statement dropped by Close. */
  closed?: string;
}

function frame(type: number, parts: Uint8Array[]): Uint8Array {
  const body = concat(parts);
  const out = new Uint8Array(body.byteLength + 5);
  out[0] = type;
  new DataView(out.buffer).setInt32(1, body.byteLength + 4);
  out.set(body, 5);
  return out;
}

function cstring(value: string): Uint8Array {
  return concat([encoder.encode(value), new Uint8Array(1)]);
}

export class PreparedNames {
  readonly #prefix: string;

  constructor(connectionId: number) {
    this.#prefix = `c${connectionId}:`;
  }

  engineName(name: string): string {
    return name === "" ? "" : `${this.#prefix}${name}`;
  }

  /** Renames the names in one extended-protocol message; other messages come back unchanged. */
  rename(msg: Uint8Array): Renamed {
    const type = msg[0];
    switch (type) {
      case 0x50: {
        // Parse: name, query, parameter types.
        const [name, rest] = readCString(msg, 5);
        if (name === "") return { message: msg };
        const engine = this.engineName(name);
        return { message: frame(type, [cstring(engine), msg.subarray(rest)]), parsed: engine };
      }
      case 0x42: {
        // Bind: portal, statement, the rest.
        const [portal, afterPortal] = readCString(msg, 5);
        const [statement, rest] = readCString(msg, afterPortal);
        if (portal === "" && statement === "") return { message: msg };
        return {
          message: frame(type, [
            cstring(this.engineName(portal)),
            cstring(this.engineName(statement)),
            msg.subarray(rest),
          ]),
        };
      }
      case 0x44:
      case 0x43: {
        // Describe / Close: 'S' or 'P', then the name.
        const kind = msg[5] ?? 0;
        const [name] = readCString(msg, 6);
        if (name === "") return { message: msg };
        const engine = this.engineName(name);
        const renamed = frame(type, [new Uint8Array([kind]), cstring(engine)]);
        return type === 0x43 && kind === 0x53 ? { message: renamed, closed: engine } : { message: renamed };
      }
      case 0x45: {
        // Execute: portal, max rows.
        const [portal, rest] = readCString(msg, 5);
        if (portal === "") return { message: msg };
        return { message: frame(type, [cstring(this.engineName(portal)), msg.subarray(rest)]) };
      }
      default:
        return { message: msg };
    }
  }
}
