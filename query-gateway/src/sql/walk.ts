/**
 * A generic walk over a libpg-query parse tree. The tree is plain JSON where a
 * node is `{TypeName: payload}`; some children are stored inline (a
 * SelectStmt's `larg`, an IntoClause's `rel`), so the walk reports every object
 * under the key that holds it and lets the caller decide what the key means.
 * Walking everything, rather than the fields we know, is what makes the
 * lockdown safe against node types we did not think of.
 */

export type Visitor = (key: string, payload: Record<string, unknown>) => void;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function walk(value: unknown, visit: Visitor): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (isRecord(child)) visit(key, child);
    walk(child, visit);
  }
}

/** The string values of a `[{String: {sval}}]` name list, e.g. a function or type name. */
export function nameList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const names: string[] = [];
  for (const item of value) {
    if (isRecord(item) && isRecord(item.String) && typeof item.String.sval === "string") {
      names.push(item.String.sval);
    }
  }
  return names;
}
