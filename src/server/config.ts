import { parseArgs } from 'node:util';
import { VectorXLiteError } from '../errors.js';
import { LogLevels, type LogLevel } from '../observability/logger.js';
import { DEFAULT_LIMITS, type RequestLimits } from './limits.js';

export interface ServerConfig {
  host: string;
  /** 0 picks a free port (logged at startup). */
  port: number;
  /** Database file, created with its folder if missing, or `:memory:`. */
  dataPath: string;
  logLevel: LogLevel;
  /** HTTP /metrics and /health/*; 0 turns the endpoint off. */
  metricsPort: number;
  authToken?: string;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  maxMessageBytes: number;
  limits: RequestLimits;
  /** How long shutdown waits for in-flight calls before cancelling them. */
  shutdownTimeoutMs: number;
}

export const DEFAULT_CONFIG: ServerConfig = {
  host: '0.0.0.0',
  port: 50051,
  dataPath: './data/vectorxlite.db',
  logLevel: 'info',
  metricsPort: 9091,
  maxMessageBytes: 4 * 1024 * 1024,
  limits: DEFAULT_LIMITS,
  shutdownTimeoutMs: 10_000,
};

interface FlagSpec {
  env?: string;
  value: string;
  help: string;
}

/** Every flag, its environment variable and its help line; `--help` prints this table. */
const FLAGS: Record<string, FlagSpec> = {
  host: { env: 'VXL_HOST', value: '<addr>', help: `address to listen on (default ${DEFAULT_CONFIG.host})` },
  port: { env: 'VXL_PORT', value: '<n>', help: `gRPC port; 0 picks a free one (default ${DEFAULT_CONFIG.port})` },
  data: { env: 'VXL_DATA', value: '<path>', help: `database file, created if missing, or :memory: (default ${DEFAULT_CONFIG.dataPath})` },
  'log-level': { env: 'VXL_LOG_LEVEL', value: '<level>', help: `${LogLevels.join('|')} (default ${DEFAULT_CONFIG.logLevel})` },
  'metrics-port': { env: 'VXL_METRICS_PORT', value: '<n>', help: `HTTP port for /metrics, /health/live, /health/ready; 0 turns it off (default ${DEFAULT_CONFIG.metricsPort})` },
  'auth-token': { env: 'VXL_AUTH_TOKEN', value: '<token>', help: 'require metadata "authorization: Bearer <token>" on every call but health checks' },
  'tls-cert': { env: 'VXL_TLS_CERT', value: '<file>', help: 'PEM certificate chain; with --tls-key the server speaks TLS only' },
  'tls-key': { env: 'VXL_TLS_KEY', value: '<file>', help: 'PEM private key for --tls-cert' },
  'max-message-bytes': { env: 'VXL_MAX_MESSAGE_BYTES', value: '<n>', help: `largest request or response message (default ${DEFAULT_CONFIG.maxMessageBytes})` },
  'max-top-k': { env: 'VXL_MAX_TOP_K', value: '<n>', help: `largest top_k a search may ask for (default ${DEFAULT_LIMITS.maxTopK})` },
  'max-dimension': { env: 'VXL_MAX_DIMENSION', value: '<n>', help: `largest vector dimension accepted (default ${DEFAULT_LIMITS.maxDimension})` },
  'max-batch-points': { env: 'VXL_MAX_BATCH_POINTS', value: '<n>', help: `most points in one InsertBatch (default ${DEFAULT_LIMITS.maxBatchPoints})` },
  'shutdown-timeout-ms': { env: 'VXL_SHUTDOWN_TIMEOUT_MS', value: '<n>', help: `how long SIGTERM/SIGINT wait for in-flight calls (default ${DEFAULT_CONFIG.shutdownTimeoutMs})` },
};

export function helpText(): string {
  const lines = Object.entries(FLAGS).map(([name, f]) => {
    const flag = `  --${name} ${f.value}`.padEnd(32);
    return `${flag}${f.help}${f.env ? ` [env ${f.env}]` : ''}`;
  });
  return [
    'Usage: vectorxlite-server [options]',
    '',
    'Serves the VectorXLite gRPC API (vectorxlite_pb.VectorXLitePB) and grpc.health.v1.',
    'Flags override environment variables, which override the defaults.',
    '',
    ...lines,
    '  --help                        print this help and exit',
    '',
  ].join('\n');
}

export type ParsedCommandLine = { help: true } | { help: false; config: ServerConfig };

/** Flags, then environment variables, then defaults; throws INVALID_ARGUMENT naming the bad setting. */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommandLine {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.keys(FLAGS).map((name) => [name, { type: 'string' as const }]));
    values = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new VectorXLiteError('INVALID_ARGUMENT', `${(err as Error).message}; run with --help for the options`);
  }
  if (values.help) return { help: true };
  const setting = (name: string): string | undefined => {
    const fromFlag = values[name];
    if (typeof fromFlag === 'string') return fromFlag;
    const envName = FLAGS[name].env;
    const fromEnv = envName ? env[envName] : undefined;
    return fromEnv === '' ? undefined : fromEnv;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = setting(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new VectorXLiteError('INVALID_ARGUMENT', `--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    return n;
  };
  const logLevel = setting('log-level') ?? DEFAULT_CONFIG.logLevel;
  if (!(LogLevels as readonly string[]).includes(logLevel)) {
    throw new VectorXLiteError('INVALID_ARGUMENT', `--log-level must be one of ${LogLevels.join(', ')}, got "${logLevel}"`);
  }
  const tlsCertPath = setting('tls-cert');
  const tlsKeyPath = setting('tls-key');
  if ((tlsCertPath === undefined) !== (tlsKeyPath === undefined)) {
    throw new VectorXLiteError('INVALID_ARGUMENT', '--tls-cert and --tls-key must be given together');
  }
  const dataPath = setting('data') ?? DEFAULT_CONFIG.dataPath;
  const config: ServerConfig = {
    host: setting('host') ?? DEFAULT_CONFIG.host,
    port: integer('port', DEFAULT_CONFIG.port, 0, 65535),
    dataPath,
    logLevel: logLevel as LogLevel,
    metricsPort: integer('metrics-port', DEFAULT_CONFIG.metricsPort, 0, 65535),
    authToken: setting('auth-token'),
    tlsCertPath,
    tlsKeyPath,
    // The floor keeps a default 64 KiB snapshot chunk within one message.
    maxMessageBytes: integer('max-message-bytes', DEFAULT_CONFIG.maxMessageBytes, 128 * 1024, 2 ** 31 - 1),
    limits: {
      maxTopK: integer('max-top-k', DEFAULT_LIMITS.maxTopK, 1, 1_000_000),
      maxDimension: integer('max-dimension', DEFAULT_LIMITS.maxDimension, 1, 1_000_000),
      maxBatchPoints: integer('max-batch-points', DEFAULT_LIMITS.maxBatchPoints, 1, 10_000_000),
    },
    shutdownTimeoutMs: integer('shutdown-timeout-ms', DEFAULT_CONFIG.shutdownTimeoutMs, 0, 3_600_000),
  };
  if (dataPath === '') throw new VectorXLiteError('INVALID_ARGUMENT', '--data must be a file path or :memory:');
  return { help: false, config };
}
