export { createLogger, LogLevels, type Logger, type LogLevel, type LoggerOptions } from './logger.js';
export { createMetrics, type VectorDbMetrics, type MetricsOptions } from './metrics.js';
export {
  startObservabilityHttp,
  type ObservabilityHttpOptions,
  type ObservabilityHttpServer,
} from './http.js';
