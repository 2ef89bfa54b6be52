/**
 * A closed-loop load: `concurrency` workers each issue one operation, wait for its answer and
 * issue the next, for a fixed time. Reports throughput and the latency of each operation.
 */

export interface LoadResult {
  concurrency: number;
  /** From the first operation to the last answer (the last operations end after the time is up). */
  seconds: number;
  operations: number;
  /** Points or keys written, or reads done: operations × items per operation. */
  items: number;
  itemsPerSecond: number;
  operationsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Operations that failed; they count in neither throughput nor latency. */
  errors: number;
  firstError?: string;
}

export interface LoadOptions {
  concurrency: number;
  seconds: number;
  /** An untimed run first, so neither system is measured while warming up connections and caches. */
  warmupSeconds: number;
  itemsPerOperation: number;
  /** One operation; `sequence` is unique within the load (warm-up included), e.g. for ids. */
  operation: (sequence: number) => Promise<void>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  let sequence = 0;
  const pass = async (seconds: number) => {
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const end = performance.now() + seconds * 1000;
    const worker = async (): Promise<void> => {
      while (performance.now() < end) {
        const start = performance.now();
        try {
          await o.operation(sequence++);
          latencies.push(performance.now() - start);
        } catch (error) {
          errors++;
          firstError ??= (error as Error).message;
        }
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    return { latencies, errors, firstError, seconds: (performance.now() - start) / 1000 };
  };

  if (o.warmupSeconds > 0) await pass(o.warmupSeconds);
  const { latencies, errors, firstError, seconds } = await pass(o.seconds);
  latencies.sort((a, b) => a - b);
  return {
    concurrency: o.concurrency,
    seconds,
    operations: latencies.length,
    items: latencies.length * o.itemsPerOperation,
    itemsPerSecond: (latencies.length * o.itemsPerOperation) / seconds,
    operationsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}
