export {
  DEFAULT_EMBEDDED_CONFIG,
  type EmbeddedConfig,
  embeddedConfigFromEnv,
  validateEmbeddedConfig,
} from "./config.ts";
export { EmbeddedError, type EmbeddedErrorKind } from "./errors.ts";
export { EmbeddedServer } from "./server.ts";
export { type EmbeddedTestServer, type StartEmbeddedOptions, startEmbeddedForTest } from "./testing.ts";
