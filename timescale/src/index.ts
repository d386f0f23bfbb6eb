export { type HotStoreConfig, hotStoreConfigFromEnv, SERVICE_ROLES, type ServiceRole } from "./config.ts";
export { connectWithRetry } from "./connect.ts";
export { HotStoreError, type HotStoreErrorKind } from "./errors.ts";
export { type MigrateOptions, type MigrateResult, migrate, redactUrl } from "./migrate.ts";
export { loadMigrations, type Migration } from "./migrations.ts";
export { scramVerifier } from "./scram.ts";
