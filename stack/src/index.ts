export {
  type ArchiverTarget,
  type GatewayTarget,
  type HotStoreTarget,
  LOG_LEVELS,
  type ObjectStoreTarget,
  type RedisTarget,
  type RolePasswords,
  type S3Credentials,
  type StackConfig,
  stackConfigFromEnv,
} from "./config.ts";
export { type Env, layerEnv, readEnvFile } from "./env.ts";
export { StackError, type StackErrorKind } from "./errors.ts";
export { freeTcpPort, freeUdpPort } from "./ports.ts";
export { SupervisedProcess } from "./process.ts";
export type { EndpointLine, Health, Service, ServiceContext } from "./service.ts";
export { s3Client } from "./services/bucket.ts";
export {
  type ObjectStoreEndpoint,
  type PostgresEndpoint,
  type StackEndpoints,
  type StackHandle,
  type StartStackOptions,
  startStack,
} from "./stack.ts";
export { type StackStatus, stackStatus } from "./status.ts";
export { testStackEnv } from "./testing.ts";
