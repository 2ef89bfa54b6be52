import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The metrics of one process or node. Each owner gets its own Registry (never prom-client's
 * global one), so several nodes in one process or test do not collide.
 */
export interface VectorDbMetrics {
  registry: Registry;
  operations: Counter<'operation' | 'status'>;
  operationDuration: Histogram<'operation'>;
  collectionSize: Gauge<'collection'>;
  batchSize: Histogram<'operation'>;
  grpcHandled: Counter<'grpc_method' | 'grpc_code'>;
  grpcHandlingSeconds: Histogram<'grpc_method'>;
}

export interface MetricsOptions {
  /** Labels added to every series, e.g. `{ node_id: 'n1' }`. */
  defaultLabels?: Record<string, string>;
  /** prom-client's process metrics (CPU, memory, event loop); default true. */
  processMetrics?: boolean;
  /** Read at every scrape to fill vectordb_collection_size; failures leave the last values. */
  collectionSizes?: () => Promise<Array<{ name: string; count: number }>>;
}

export function createMetrics(options: MetricsOptions = {}): VectorDbMetrics {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    operations: new Counter({
      name: 'vectordb_operations_total',
      help: 'Database operations by operation and outcome (ok or an error code).',
      labelNames: ['operation', 'status'],
      registers,
    }),
    operationDuration: new Histogram({
      name: 'vectordb_operation_duration_seconds',
      help: 'Time spent in database operations.',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    collectionSize: new Gauge({
      name: 'vectordb_collection_size',
      help: 'Points per collection.',
      labelNames: ['collection'],
      registers,
      async collect() {
        if (!options.collectionSizes) return;
        try {
          const sizes = await options.collectionSizes();
          // Reset first so deleted collections disappear from the output.
          this.reset();
          for (const { name, count } of sizes) this.set({ collection: name }, count);
        } catch {
          return;
        }
      },
    }),
    batchSize: new Histogram({
      name: 'vectordb_batch_size',
      help: 'Points per batch operation.',
      labelNames: ['operation'],
      buckets: [1, 10, 50, 100, 500, 1000, 5000, 10000],
      registers,
    }),
    grpcHandled: new Counter({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed on the server, by method and status code.',
      labelNames: ['grpc_method', 'grpc_code'],
      registers,
    }),
    grpcHandlingSeconds: new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Time from an RPC arriving until its status was sent.',
      labelNames: ['grpc_method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}
