#!/usr/bin/env node
/** The `vectorxlite-server` command: parses flags and environment, serves until SIGTERM or SIGINT. */
import { VectorXLite } from '../embedded/database.js';
import { VectorXLiteError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { helpText, parseCommandLine } from './config.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`vectorxlite-server: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(helpText());
    return;
  }
  const { config } = parsed;
  const logger = createLogger({ level: config.logLevel, base: { service: 'vectorxlite-server' } });
  let running;
  try {
    running = await startServer({ config, logger, openEngine: (path, options) => VectorXLite.open(path, options) });
  } catch (err) {
    logger.fatal({ err, code: err instanceof VectorXLiteError ? err.code : undefined }, 'server failed to start');
    process.exit(1);
  }
  const server = running;
  // Handlers run once: a second signal during shutdown gets Node's default and ends the process at once.
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'signal received');
    server.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
