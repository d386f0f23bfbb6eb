import { decodeContainer } from "../src/manifest/avro-io.ts";
for (const s of ["Obj\u0001garbage", "garbage", "", "Obj\u0001"]) {
  try { const r = await decodeContainer(new TextEncoder().encode(s), "x"); console.log(JSON.stringify(s), "ok", r); } catch (e) { console.log(JSON.stringify(s), "err", (e as Error).message); }
}
