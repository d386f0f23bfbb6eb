// Test helpers other components reuse: real SeaweedFS S3, a throwaway Postgres 15, free ports,
// and the Python interop scripts. Import as "@netflow/iceberg/testing".
export { freePort, freePorts } from "./free-port.ts";
export { startTestPostgres, type TestPostgres } from "./postgres.ts";
export { runPythonScript, TEST_PY_DIR } from "./python.ts";
export { type SeaweedOptions, type SeaweedServer, startSeaweed } from "./seaweed.ts";
