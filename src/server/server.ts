import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { IndexProgress } from '../embedded/types.js';
import { VectorXLiteError } from '../errors.js';
import { startObservabilityHttp, type ObservabilityHttpServer } from '../observability/http.js';
import { createMetrics, type VectorDbMetrics } from '../observability/metrics.js';
import { CallAdapter } from './adapter.js';
import { drain } from './drain.js';
import { BearerTokenAuth } from './auth.js';
import type { ServerConfig } from './config.js';
import type { Engine } from './engine.js';
import { HealthService, ServingStatus } from './health-service.js';
import { VectorXLiteService } from './vectorxlite-service.js';

export const SERVICE_NAME = 'vectorxlite_pb.VectorXLitePB';

/** Opens the engine the server serves; `onProgress` reports index rebuilds during open. */
export type OpenEngine = (path: string, options: { onProgress: (progress: IndexProgress) => void }) => Promise<Engine>;

export interface StartServerOptions {
  config: ServerConfig;
  openEngine: OpenEngine;
  logger: Logger;
}

export interface RunningServer {
  /** The bound gRPC port (the chosen one when the config asked for 0). */
  port: number;
  /** The bound HTTP port, or undefined when the endpoint is off. */
  metricsPort: number | undefined;
  metrics: VectorDbMetrics;
  /**
   * Stops accepting calls, waits up to `shutdownTimeoutMs` for in-flight ones (then cancels
   * them), closes the database so its index files are saved, and stops the HTTP endpoint.
   * Safe to call more than once.
   */
  shutdown(): Promise<void>;
}

/** Opens the database and serves it over gRPC (and HTTP for metrics and health). */
export async function startServer({ config, openEngine, logger }: StartServerOptions): Promise<RunningServer> {
  const log = logger.child({ component: 'server' });
  if (config.dataPath !== ':memory:') await mkdir(dirname(config.dataPath), { recursive: true });
  const engine = await openEngine(config.dataPath, {
    onProgress: (p) => log.info({ collection: p.collection, reason: p.reason, done: p.done, total: p.total }, 'rebuilding index'),
  });
  let ready = true;
  const metrics = createMetrics({
    collectionSizes: async () => (ready ? (await engine.listCollections()).map((c) => ({ name: c.name, count: c.count })) : []),
  });
  const adapter = new CallAdapter({
    logger: log,
    metrics,
    auth: config.authToken === undefined ? undefined : new BearerTokenAuth(config.authToken),
  });
  const health = new HealthService(adapter, { '': ServingStatus.SERVING, [SERVICE_NAME]: ServingStatus.SERVING });
  const server = new Server({
    'grpc.max_receive_message_length': config.maxMessageBytes,
    'grpc.max_send_message_length': config.maxMessageBytes,
  });
  new VectorXLiteService({ engine, adapter, metrics, limits: config.limits, maxMessageBytes: config.maxMessageBytes, stagingDir: tmpdir() }).addTo(server);
  health.addTo(server);

  let http: ObservabilityHttpServer | undefined;
  let port: number;
  try {
    port = await bind(server, `${formatHost(config.host)}:${config.port}`, await credentials(config));
    if (config.metricsPort !== 0) {
      http = await startObservabilityHttp({ host: config.host, port: config.metricsPort, registry: metrics.registry, isReady: () => ready });
    }
  } catch (err) {
    server.forceShutdown();
    await engine.close();
    throw err;
  }
  log.info(
    { host: config.host, port, metricsPort: http?.port, tls: config.tlsCertPath !== undefined, auth: config.authToken !== undefined, data: config.dataPath },
    'vectorxlite server listening',
  );

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      log.info({ timeoutMs: config.shutdownTimeoutMs }, 'shutting down: refusing new calls, finishing in-flight ones');
      ready = false;
      health.shutdown();
      await drain(server, config.shutdownTimeoutMs, log);
      await engine.close();
      await http?.close();
      log.info('database closed; server stopped');
    })();
    return stopping;
  };
  return { port, metricsPort: http?.port, metrics, shutdown };
}


async function credentials(config: ServerConfig): Promise<ServerCredentials> {
  if (config.tlsCertPath === undefined || config.tlsKeyPath === undefined) return ServerCredentials.createInsecure();
  const [cert, key] = await Promise.all([readFile(config.tlsCertPath), readFile(config.tlsKeyPath)]).catch((err: Error) => {
    throw new VectorXLiteError('INVALID_ARGUMENT', `cannot read the TLS certificate or key: ${err.message}`, { cause: err });
  });
  return ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
}

function bind(server: Server, address: string, creds: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => {
      if (err) reject(new VectorXLiteError('UNAVAILABLE', `cannot listen on ${address}: ${err.message}`, { cause: err }));
      else resolve(port);
    });
  });
}

/** IPv6 literals need brackets in a gRPC address. */
function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
