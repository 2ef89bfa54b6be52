/**
 * Cluster benchmark (issue 5): a 3-node VectorXLite cluster and, in the same run, a 3-member
 * etcd cluster as the reference for a Raft-replicated write path, both on loopback with their
 * data on the same disk. Measures write throughput and p50/p99 commit latency at several
 * client counts (single writes, and batches committed as one entry), and linearizable vs weak
 * read QPS. Prints a table with ours/etcd ratios and writes the numbers as JSON.
 *
 * npm run bench:cluster                      full run (about 3 minutes), writes bench/results/cluster.json
 * BENCH_SECONDS=1 BENCH_WARMUP_SECONDS=0 npm run bench:cluster
 *                                            quick check; writes to the OS temp dir unless BENCH_OUT is set
 * Other knobs: BENCH_CONCURRENCY (e.g. 1,16,64), BENCH_BATCH, BENCH_READ_POINTS, BENCH_OUT,
 * BENCH_NODE_ARGS (Node.js flags for the VectorXLite nodes, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof').
 */
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/report.js';
import { cleanUp } from './cluster/children.js';
import { startEtcdCluster } from './cluster/etcd-cluster.js';
import { runLoad, type LoadResult } from './cluster/load.js';
import { failures, ratios, table, type SystemResults, type WriteMode } from './cluster/report.js';
import { etcdTarget, vectorXLiteTarget, type ReadLevel, type Target } from './cluster/targets.js';
import { startVectorXLiteCluster } from './cluster/vectorxlite-cluster.js';
import { DIMENSION, etcdValue, payloadInsert } from './cluster/workload.js';

const KNOBS = ['BENCH_SECONDS', 'BENCH_WARMUP_SECONDS', 'BENCH_CONCURRENCY', 'BENCH_BATCH', 'BENCH_READ_POINTS', 'BENCH_NODE_ARGS'];
const fullRun = KNOBS.every((knob) => process.env[knob] === undefined);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const concurrencyLevels = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const batchSize = Number(process.env.BENCH_BATCH ?? 100);
const readPoints = Number(process.env.BENCH_READ_POINTS ?? 2_000);
const output =
  process.env.BENCH_OUT ?? (fullRun ? fileURLToPath(new URL('results/cluster.json', import.meta.url)) : join(tmpdir(), 'vectorxlite-bench-cluster.json'));
const NODES = 3;

for (const [name, value] of Object.entries({ seconds, warmupSeconds, batchSize, readPoints })) {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${value}`);
}
if (!concurrencyLevels.every((c) => Number.isSafeInteger(c) && c > 0)) throw new Error('BENCH_CONCURRENCY must list positive integers, e.g. 1,16,64');
if (!(batchSize >= 1 && batchSize <= 128)) throw new Error("BENCH_BATCH must be 1..128 (etcd's default limit of operations per txn)");

/** A stuck cluster must not hang the run: past this, everything started is killed and the run fails. */
const loads = concurrencyLevels.length * 8;
const limitMs = (180 + loads * (seconds + warmupSeconds + 30)) * 1000;
const watchdog = setTimeout(() => {
  console.error(`the benchmark did not finish within ${limitMs / 1000} s; stopping`);
  process.exit(1);
}, limitMs);
watchdog.unref();

const emptyResults = (): SystemResults => ({ writes: { single: [], batch: [] }, reads: { linearizable: [], weak: [] } });

function logLoad(target: Target, what: string, r: LoadResult): void {
  const errors = r.errors > 0 ? ` errors=${r.errors}` : '';
  console.error(`${target.name}: ${what} c=${r.concurrency} ${r.itemsPerSecond.toFixed(0)}/s p50=${r.p50Ms.toFixed(2)}ms p99=${r.p99Ms.toFixed(2)}ms${errors}`);
}

async function measureWrites(target: Target, mode: WriteMode, concurrency: number): Promise<LoadResult> {
  const phase = await target.beginWrites(`w_${mode}_c${concurrency}`);
  try {
    return await runLoad({
      concurrency,
      seconds,
      warmupSeconds,
      itemsPerOperation: mode === 'single' ? 1 : batchSize,
      operation: mode === 'single' ? (s) => phase.writeOne(s) : (s) => phase.writeBatch(s, batchSize),
    });
  } finally {
    await phase.end();
  }
}

function measureReads(target: Target, level: ReadLevel, concurrency: number): Promise<LoadResult> {
  return runLoad({ concurrency, seconds, warmupSeconds, itemsPerOperation: 1, operation: (s) => target.read(level, s) });
}

async function run(): Promise<void> {
  const started = new Date();
  const loadAtStart = loadavg();
  console.error(`starting ${NODES} VectorXLite nodes and ${NODES} etcd members (load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')})`);
  // Both starts settle before anything is stopped, so no node is spawned after the cleanup.
  const [vxlStart, etcdStart] = await Promise.allSettled([startVectorXLiteCluster(NODES), startEtcdCluster(NODES)]);
  if (vxlStart.status === 'rejected' || etcdStart.status === 'rejected') {
    throw vxlStart.status === 'rejected' ? vxlStart.reason : (etcdStart as PromiseRejectedResult).reason;
  }
  const vectorxlite = vxlStart.value;
  const etcd = etcdStart.value;
  const ours = vectorXLiteTarget(vectorxlite.addresses);
  const reference = etcdTarget(etcd.leaderEndpoint);
  const results = new Map<Target, SystemResults>([
    [ours, emptyResults()],
    [reference, emptyResults()],
  ]);
  try {
    // Each measurement runs on both systems back to back, so load from other work on the machine hits both alike.
    for (const mode of ['single', 'batch'] as const) {
      for (const c of concurrencyLevels) {
        for (const target of results.keys()) {
          const r = await measureWrites(target, mode, c);
          results.get(target)!.writes[mode].push(r);
          logLoad(target, `write ${mode}`, r);
        }
      }
    }
    for (const target of results.keys()) await target.preloadReads(readPoints);
    for (const level of ['linearizable', 'weak'] as const) {
      for (const c of concurrencyLevels) {
        for (const target of results.keys()) {
          const r = await measureReads(target, level, c);
          results.get(target)!.reads[level].push(r);
          logLoad(target, `read ${level}`, r);
        }
      }
    }
  } finally {
    await Promise.all([ours.close(), reference.close()]);
    await Promise.all([vectorxlite.stop(), etcd.stop()]);
  }
  const loadAtEnd = loadavg();

  const oursResults = results.get(ours)!;
  const etcdResults = results.get(reference)!;
  console.log(
    `\nVectorXLite cluster benchmark: ${NODES} VectorXLite nodes vs ${NODES} etcd ${etcd.version} members on loopback, ` +
      `${DIMENSION}-dim points, ${seconds} s per measurement after ${warmupSeconds} s warm-up, ` +
      `load average ${loadAtStart[0]!.toFixed(2)} at start, ${loadAtEnd[0]!.toFixed(2)} at end\n`,
  );
  console.log(table(oursResults, etcdResults, batchSize));
  const failed = [...failures('VectorXLite', oursResults), ...failures('etcd', etcdResults)];
  if (failed.length > 0) console.log(`\n${failed.join('\n')}`);

  const require = createRequire(import.meta.url);
  const sample = 'w_single_c1';
  const result = {
    benchmark: 'cluster',
    date: started.toISOString(),
    durationSeconds: (Date.now() - started.getTime()) / 1000,
    machine: { ...machineInfo(), etcd: etcd.version, etcd3Client: (require('etcd3/package.json') as { version: string }).version },
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    parameters: {
      nodes: NODES,
      dimension: DIMENSION,
      vectorBytes: DIMENSION * 4,
      payloadSqlBytes: Buffer.byteLength(payloadInsert(sample)),
      etcdValueBytes: etcdValue(sample, 0).length,
      batchSize,
      concurrencyLevels,
      secondsPerMeasurement: seconds,
      warmupSeconds,
      readPoints,
      readTopK: 10,
      clientsPerSystem: 8,
      vectorxlite: 'default Raft settings (100 ms tick), ClusterClient, writes and reads to the leader',
      etcd: 'default settings (fsync on), etcd3 client connected to the leader; weak read = serializable range',
    },
    vectorxlite: oursResults,
    etcd: etcdResults,
    ratios: ratios(oursResults, etcdResults),
  };
  await writeFile(output, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten to ${output}`);
}

try {
  await run();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanUp();
  clearTimeout(watchdog);
}
