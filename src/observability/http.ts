import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ObservabilityHttpOptions {
  host: string;
  /** 0 picks a free port; read the chosen one from `port` on the result. */
  port: number;
  registry: Registry;
  /** Whether the process can serve requests now (e.g. its database is open). */
  isReady: () => boolean;
}

export interface ObservabilityHttpServer {
  port: number;
  close(): Promise<void>;
}

/**
 * HTTP endpoints for operators: `/metrics` (Prometheus text), `/health/live` (the process
 * answers) and `/health/ready` (200 only when `isReady()`; 503 otherwise).
 */
export async function startObservabilityHttp(options: ObservabilityHttpOptions): Promise<ObservabilityHttpServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
      );
    } else if (path === '/health/live') {
      sendJson(res, 200, { status: 'ok' });
    } else if (path === '/health/ready') {
      const ready = options.isReady();
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
    } else {
      sendJson(res, 404, { error: 'not found; try /metrics, /health/live or /health/ready' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}
