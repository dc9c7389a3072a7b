export {
  type CallTuning,
  type ClientConstructor,
  type CreateClientOptions,
  checkHealth,
  createClient,
  fromServiceError,
  type GrpcClient,
  HealthCheckResult,
  type UnaryCall,
} from "./client.js";
export { HealthImpl, HealthStatus, OVERALL_HEALTH } from "./health.js";
export {
  contextFromMetadata,
  contextToMetadata,
  type ErrorTrailers,
  errorFromTrailers,
  errorToTrailers,
  MetadataKey,
  type ReadContextOptions,
} from "./metadata.js";
export { createGrpcServer, type GrpcServer, type GrpcServerOptions, serviceNameOf } from "./server.js";
export type {
  BidiStreamHandler,
  ClientStreamHandler,
  HandlerOf,
  MethodShape,
  RequestOf,
  ResponseOf,
  ServerStreamHandler,
  ServiceImpl,
  ServiceShape,
  UnaryHandler,
  UnaryMethodName,
} from "./types.js";
