/**
 * Server benchmark (issue 3): the same data and queries through the gRPC server and through
 * the embedded engine in this process, in one run. Measures batch insert throughput, and
 * search QPS with p50/p99 latency at 1, 8 and 64 concurrent clients. Prints a table with
 * the ratio gRPC/embedded and writes the numbers as JSON.
 *
 * npm run bench:server                   20,000 × 128-dim cosine, writes bench/results/server.json
 * BENCH_N=2000 npm run bench:server      quick check; writes to the OS temp dir unless BENCH_OUT is set
 * Other knobs: BENCH_QUERIES (per concurrency level), BENCH_BATCH, BENCH_OUT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { VectorXLite } from '../src/index.js';
import { VectorXLiteClient } from '../src/client/index.js';

const FULL_N = 20_000;
const n = Number(process.env.BENCH_N ?? FULL_N);
const dimension = 128;
const queriesPerLevel = Number(process.env.BENCH_QUERIES ?? 2_000);
const batchSize = Number(process.env.BENCH_BATCH ?? 1_000);
const concurrencyLevels = [1, 8, 64];
const topK = 10;
const output =
  process.env.BENCH_OUT ??
  (n === FULL_N ? fileURLToPath(new URL('results/server.json', import.meta.url)) : join(tmpdir(), `vectorxlite-bench-server-n${n}.json`));

/** What both sides expose to the benchmark: the shared subset of the embedded API and the client. */
interface Target {
  createCollection(o: { name: string; dimension: number; distance: 'cosine'; maxElements: number }): Promise<void>;
  insertBatch(collection: string, points: Array<{ id: number; vector: Float32Array }>): Promise<void>;
  search(o: { collection: string; vector: Float32Array; topK: number }): Promise<unknown[]>;
}

interface SearchRun {
  concurrency: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
}

interface SideResult {
  insertsPerSecond: number;
  search: SearchRun[];
}

/** Deterministic vectors (xorshift), so every run measures the same data. */
function vectors(count: number, seed: number): Float32Array[] {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => Float32Array.from({ length: dimension }, () => next() * 2 - 1));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(name: string, targets: Target[], data: Float32Array[], queries: Float32Array[]): Promise<SideResult> {
  const [first] = targets;
  await first.createCollection({ name: 'bench', dimension, distance: 'cosine', maxElements: n });
  const insertStart = performance.now();
  for (let i = 0; i < data.length; i += batchSize) {
    await first.insertBatch('bench', data.slice(i, i + batchSize).map((vector, j) => ({ id: i + j, vector })));
  }
  const insertsPerSecond = data.length / ((performance.now() - insertStart) / 1000);
  console.error(`${name}: ${insertsPerSecond.toFixed(0)} inserts/s`);

  const search: SearchRun[] = [];
  for (const concurrency of concurrencyLevels) {
    // An untimed warm-up pass, so neither side pays for being first.
    await Promise.all(queries.slice(0, 20).map((vector) => first.search({ collection: 'bench', vector, topK })));
    const latencies: number[] = [];
    let next = 0;
    const worker = async (target: Target): Promise<void> => {
      for (let q = next++; q < queries.length; q = next++) {
        const start = performance.now();
        await target.search({ collection: 'bench', vector: queries[q], topK });
        latencies.push(performance.now() - start);
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(targets[w % targets.length])));
    const seconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    const run = { concurrency, qps: queries.length / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
    search.push(run);
    console.error(`${name}: c=${concurrency} qps=${run.qps.toFixed(0)} p50=${run.p50Ms.toFixed(2)}ms p99=${run.p99Ms.toFixed(2)}ms`);
  }
  return { insertsPerSecond, search };
}

/** A server child process on a free loopback port with an in-memory database. */
async function startServer(): Promise<{ child: ChildProcess; address: string }> {
  const main = fileURLToPath(new URL('../src/server/main.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import=tsx', main, '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--data', ':memory:', '--log-level', 'info'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'vectorxlite server listening' && entry.port) resolve(entry.port);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return { child, address: `127.0.0.1:${port}` };
}

const data = vectors(n, 1);
const queries = vectors(queriesPerLevel, 2);

const db = await VectorXLite.open(':memory:');
const embedded = await measure('embedded', [db], data, queries);
await db.close();

const server = await startServer();
// One client per concurrent caller at most 8 channels: beyond that callers share channels, as real services do.
const clients = Array.from({ length: 8 }, () => new VectorXLiteClient(server.address, { maxMessageBytes: 64 * 1024 * 1024 }));
let grpc: SideResult;
try {
  grpc = await measure('grpc', clients, data, queries);
} finally {
  await Promise.all(clients.map((c) => c.close()));
  server.child.kill('SIGTERM');
}

const rows = [
  ['metric', 'embedded', 'gRPC', 'gRPC/embedded'],
  ['batch insert (points/s)', embedded.insertsPerSecond.toFixed(0), grpc.insertsPerSecond.toFixed(0), (grpc.insertsPerSecond / embedded.insertsPerSecond).toFixed(2)],
];
for (const [i, e] of embedded.search.entries()) {
  const g = grpc.search[i];
  rows.push([`search QPS, ${e.concurrency} clients`, e.qps.toFixed(0), g.qps.toFixed(0), (g.qps / e.qps).toFixed(2)]);
  rows.push([`  p50 ms, ${e.concurrency} clients`, e.p50Ms.toFixed(2), g.p50Ms.toFixed(2), (g.p50Ms / e.p50Ms).toFixed(2)]);
  rows.push([`  p99 ms, ${e.concurrency} clients`, e.p99Ms.toFixed(2), g.p99Ms.toFixed(2), (g.p99Ms / e.p99Ms).toFixed(2)]);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
const table = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
console.log(`VectorXLite server benchmark: ${n} × ${dimension}-dim cosine, top_k ${topK}, ${queries.length} queries per level, batches of ${batchSize}\n`);
console.log(table);

const result = {
  benchmark: 'server',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` },
  parameters: { n, dimension, distance: 'cosine', topK, queriesPerLevel, batchSize, concurrencyLevels, grpcChannels: clients.length },
  embedded,
  grpc,
  ratios: {
    batchInsert: grpc.insertsPerSecond / embedded.insertsPerSecond,
    searchQps: Object.fromEntries(embedded.search.map((e, i) => [String(e.concurrency), grpc.search[i].qps / e.qps])),
  },
};
await writeFile(output, `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nwritten to ${output}`);
