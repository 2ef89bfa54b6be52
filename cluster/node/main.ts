#!/usr/bin/env node
/** The `vectorxlite-cluster` command: one cluster node, serving until SIGTERM or SIGINT. */
import { VectorXLiteError } from '../../src/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import { helpText, parseNodeCommandLine, type ParsedNodeCommandLine } from './config.js';
import { startClusterNode, type RunningClusterNode } from './start.js';

async function main(): Promise<void> {
  let parsed: ParsedNodeCommandLine;
  try {
    parsed = parseNodeCommandLine(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`vectorxlite-cluster: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(helpText());
    return;
  }
  const { config } = parsed;
  const logger = createLogger({ level: config.logLevel, base: { service: 'vectorxlite-cluster', nodeId: config.id } });
  let running: RunningClusterNode;
  try {
    running = await startClusterNode(config, logger);
  } catch (error) {
    logger.fatal({ err: error, code: error instanceof VectorXLiteError ? error.code : undefined }, 'cluster node failed to start');
    process.exit(1);
  }
  // Handlers run once: a second signal during shutdown gets Node's default and ends the process at once.
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'signal received');
    running.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
