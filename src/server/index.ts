/** `vectorxlite/server`: run the gRPC server in-process, or reuse its parts. */
export { startServer, SERVICE_NAME, type RunningServer, type StartServerOptions, type OpenEngine } from './server.js';
export { parseCommandLine, helpText, DEFAULT_CONFIG, type ServerConfig, type ParsedCommandLine } from './config.js';
export { CallAdapter, type CallContext, type CallAdapterOptions, type MethodOptions } from './adapter.js';
export { HealthService, ServingStatus } from './health-service.js';
export { VectorXLiteService, type VectorXLiteServiceOptions } from './vectorxlite-service.js';
export { BearerTokenAuth } from './auth.js';
export { grpcStatusByErrorCode, errorCodeForStatus, statusForError, ERROR_CODE_METADATA_KEY } from './status.js';
export { parseDistance } from './distance.js';
export { DEFAULT_LIMITS, type RequestLimits } from './limits.js';
export { withSafeDecoding, MalformedRequest } from './malformed.js';
export type { Engine } from './engine.js';
export {
  createLogger,
  createMetrics,
  startObservabilityHttp,
  LogLevels,
  type Logger,
  type LogLevel,
  type LoggerOptions,
  type VectorDbMetrics,
  type MetricsOptions,
  type ObservabilityHttpOptions,
  type ObservabilityHttpServer,
} from '../observability/index.js';
export { snapshotChunks, SnapshotStreamAssembler, readContainerHeader, metadataFromWire, metadataToWire } from '../snapshot/index.js';
