import { hotStoreConfigFromEnv, migrate } from "@netflow/timescale";
import pg from "pg";
import { startEmbeddedForTest } from "../timescale/src/embedded/testing.ts";
const db = await startEmbeddedForTest();
await migrate(db.url, { config: hotStoreConfigFromEnv({}) });
const c = new pg.Client(db.url); await c.connect();
const N = 30000;
const ins = `INSERT INTO flows_ingest (peer_ip_src, iface_in, iface_out, ip_src, ip_dst, port_src, port_dst, ip_proto, tos, tcp_flags, packets, bytes, as_src, as_dst, sampling_rate, timestamp_start, timestamp_start_residual, timestamp_end, timestamp_end_residual, timestamp_arrival, timestamp_arrival_residual)
    SELECT '127.0.0.1', 1, 2, '10.0.0.1', '10.0.0.2', g % 65535, 80, 6, 0, 2, 10, 1000, 1, 2, 1, (now() at time zone 'UTC')::timestamp - interval '3 hours' * (g % 2), 0, (now() at time zone 'UTC')::timestamp, 0, (now() at time zone 'UTC')::timestamp, 5 FROM generate_series(1, ${N}) g`;
for (let i = 0; i < 4; i++) { const t = Date.now(); await c.query(ins); console.log("staging+statement trigger", Math.round(N / ((Date.now() - t) / 1000)), "rows/s"); }
console.log((await c.query("select count(*), count(*) filter (where ts_clamped) as clamped from flows")).rows, (await c.query("select count(*) from flows_ingest")).rows);
await c.query("VACUUM flows_ingest");
await c.end(); await db.stop();
