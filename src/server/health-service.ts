import type { Server } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService as HealthServiceDefinition,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from '../gen/grpc/health/v1/health.js';
import { VectorXLiteError } from '../errors.js';
import type { CallAdapter, CallContext } from './adapter.js';
import { withSafeDecoding } from './malformed.js';

export { ServingStatus };

/**
 * The standard `grpc.health.v1.Health` service. Services are registered by full name; the
 * empty name stands for the whole server. Health calls never need the auth token.
 */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<(service: string) => void>();
  private readonly openWatches = new Set<() => void>();

  constructor(private readonly adapter: CallAdapter, services: Record<string, ServingStatus>) {
    for (const [name, status] of Object.entries(services)) this.statuses.set(name, status);
  }

  setStatus(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const notify of this.watchers) notify(service);
  }

  /** Marks every service NOT_SERVING and ends open watches, so shutdown need not wait for them. */
  shutdown(): void {
    for (const name of [...this.statuses.keys()]) this.setStatus(name, ServingStatus.NOT_SERVING);
    for (const end of [...this.openWatches]) end();
  }

  addTo(server: Server): void {
    const handlers: HealthServer = {
      check: this.adapter.unary('Health/Check', async (r: HealthCheckRequest) => this.check(r), { authenticate: false }),
      watch: this.adapter.serverStreaming(
        'Health/Watch',
        (r: HealthCheckRequest, send: (m: HealthCheckResponse) => Promise<void>, ctx: CallContext) => this.watch(r, send, ctx),
        { authenticate: false },
      ),
    };
    server.addService(withSafeDecoding(HealthServiceDefinition), handlers);
  }

  private check(r: HealthCheckRequest): HealthCheckResponse {
    const status = this.statuses.get(r.service);
    if (status === undefined) throw new VectorXLiteError('NOT_FOUND', `no health status for service "${r.service}"`);
    return { status };
  }

  /** Sends the current status, then every change, until the client cancels or the server shuts down. */
  private async watch(r: HealthCheckRequest, send: (m: HealthCheckResponse) => Promise<void>, ctx: CallContext): Promise<void> {
    const current = (): HealthCheckResponse => ({ status: this.statuses.get(r.service) ?? ServingStatus.SERVICE_UNKNOWN });
    let last = current().status;
    await send({ status: last });
    await new Promise<void>((resolve) => {
      const notify = (service: string): void => {
        if (service !== r.service || current().status === last) return;
        last = current().status;
        // A failed send means the watcher went away; the abort listener below ends the call.
        send({ status: last }).catch(() => undefined);
      };
      const end = (): void => {
        this.watchers.delete(notify);
        this.openWatches.delete(end);
        resolve();
      };
      this.watchers.add(notify);
      this.openWatches.add(end);
      ctx.signal.addEventListener('abort', end, { once: true });
    });
  }
}
