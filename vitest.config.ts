import { defineConfig } from "vitest/config";

// Integration tests start real services (embedded TimescaleDB, redis-server,
// SeaweedFS, nfacctd) as child processes; two cores cannot run many at once.
export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    pool: "forks",
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ["default"],
  },
});
