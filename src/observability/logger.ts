import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LogLevels)[number];

export interface LoggerOptions {
  level?: LogLevel;
  /** Fields on every line, e.g. `{ component: 'server', nodeId: 'n1' }`. */
  base?: Record<string, unknown>;
  /** Where lines go; default stdout. Tests pass a stream to read the JSON back. */
  destination?: DestinationStream;
}

/** A JSON logger; components take `logger.child({ component })` from the one made here. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
