import pg from "pg";
import { startEmbeddedForTest } from "./src/embedded/testing.ts";
const s = await startEmbeddedForTest({ env: { LOG_LEVEL: "debug" } });
try {
  const a = new pg.Client(s.url); await a.connect();
  const b = new pg.Client(s.url); await b.connect();
  await a.query("CREATE TABLE ledger (client int, seq int)");
  console.log("created");
  await a.query("BEGIN");
  await a.query("INSERT INTO ledger VALUES (100, 1)");
  console.log("a inserted");
  let bDone = 0;
  const bp = b.query("INSERT INTO ledger VALUES (200, 1)").then(() => { bDone = Date.now(); console.log("b done"); });
  await new Promise((r) => setTimeout(r, 500));
  console.log("bDone", bDone);
  const seen = await Promise.race([a.query("SELECT client FROM ledger"), new Promise((r) => setTimeout(() => r("TIMEOUT"), 5000))]);
  console.log("seen", JSON.stringify((seen as any).rows ?? seen));
  await Promise.race([a.query("COMMIT"), new Promise((r) => setTimeout(() => r("TIMEOUT"), 5000))]);
  await Promise.race([bp, new Promise((r) => setTimeout(() => r("TIMEOUT"), 5000))]);
  console.log("end");
} finally {
  console.log(s.stderr().split("\n").slice(-30).join("\n"));
  await s.stop();
  process.exit(0);
}
