/**
 * Embedded benchmark (issue 2): insertBatch throughput, then search QPS, median time per
 * query and recall@10 at several ef values, for this package and for raw vectorlite through
 * better-sqlite3 on the same data with the same M, efConstruction and ef. Prints a table
 * with ours/baseline ratios and writes the same numbers as JSON, with the load average
 * (the machine is shared: other processes' load moves absolute numbers and means).
 *
 * npm run bench                      full run: 100,000 × 128-dim, writes bench/results/embedded.json
 * BENCH_N=5000 npm run bench         quick check; writes to the OS temp dir unless BENCH_OUT is set
 * Other knobs: BENCH_QUERIES, BENCH_EF (comma-separated), BENCH_BATCH, BENCH_BLOCK, BENCH_PASSES, BENCH_OUT.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cosineGroundTruth, meanRecall, randomVectors } from './lib/data.js';
import { openRawVectorlite, openVectorXLite, type BenchEngine, type HnswParameters } from './lib/engines.js';
import { formatTable, machineInfo } from './lib/report.js';

const FULL_N = 100_000;
const n = Number(process.env.BENCH_N ?? FULL_N);
const queryCount = Number(process.env.BENCH_QUERIES ?? 200);
const batchSize = Number(process.env.BENCH_BATCH ?? 1_000);
const queryBlock = Number(process.env.BENCH_BLOCK ?? 20);
const searchPasses = Number(process.env.BENCH_PASSES ?? 3);
const efValues = (process.env.BENCH_EF ?? '64,256,1536').split(',').map(Number);
const topK = 10;
const seeds = { data: 1, queries: 2 };
const params: HnswParameters = { dimension: 128, maxElements: n, m: 16, efConstruction: 200 };
const output =
  process.env.BENCH_OUT ??
  (n === FULL_N ? fileURLToPath(new URL('results/embedded.json', import.meta.url)) : join(tmpdir(), `vectorxlite-bench-n${n}.json`));

interface SearchRun {
  qps: number;
  /** The median over blocks of a block's time per query: what load spikes that hit one block do not move. */
  medianMicroseconds: number;
  recall: number;
}

interface EngineResult {
  insertSeconds: number;
  insertsPerSecond: number;
  search: Record<number, SearchRun>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `work` and returns its duration in seconds. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** Which engine goes first in this round: alternating, so a drift in machine load favours neither. */
function turnOrder(round: number, count: number): number[] {
  const order = Array.from({ length: count }, (_, e) => e);
  return round % 2 === 0 ? order : order.reverse();
}

/**
 * Measures both engines interleaved, insert batch by insert batch and in blocks of queries
 * (several passes), the engine going first alternating, so load from other processes on a
 * shared machine falls on both alike and the ratios stay meaningful. Blocks rather than single
 * queries: alternating every query makes each async call start on a cold, just-woken worker
 * thread, which measures the scheduler, not the engine.
 */
async function measure(engines: BenchEngine[], vectors: Float32Array[], queries: Float32Array[], truth: number[][]): Promise<EngineResult[]> {
  const insertSeconds = engines.map(() => 0);
  for (let start = 0; start < vectors.length; start += batchSize) {
    const batch = vectors.slice(start, start + batchSize);
    for (const e of turnOrder(start / batchSize, engines.length)) insertSeconds[e]! += await timed(() => engines[e]!.insertBatch(batch, start));
  }
  for (const [e, engine] of engines.entries()) console.error(`${engine.name}: inserted ${vectors.length} in ${insertSeconds[e]!.toFixed(1)} s`);

  const searches: Array<Record<number, SearchRun>> = engines.map(() => ({}));
  for (const ef of efValues) {
    // An untimed pass warms caches, so neither engine pays for going first.
    for (const engine of engines) for (const query of queries.slice(0, 10)) await engine.search(query, topK, ef);
    const seconds = engines.map(() => 0);
    const perQuery: number[][] = engines.map(() => []);
    const found: number[][][] = engines.map(() => []);
    for (let pass = 0; pass < searchPasses; pass++) {
      for (let start = 0, block = 0; start < queries.length; start += queryBlock, block++) {
        const slice = queries.slice(start, start + queryBlock);
        for (const e of turnOrder(block + pass, engines.length)) {
          const blockSeconds = await timed(async () => {
            for (const query of slice) {
              const ids = await engines[e]!.search(query, topK, ef);
              if (pass === 0) found[e]!.push(ids);
            }
          });
          seconds[e]! += blockSeconds;
          perQuery[e]!.push(blockSeconds / slice.length);
        }
      }
    }
    for (const [e, engine] of engines.entries()) {
      const run = { qps: (searchPasses * queries.length) / seconds[e]!, medianMicroseconds: median(perQuery[e]!) * 1e6, recall: meanRecall(found[e]!, truth) };
      searches[e]![ef] = run;
      console.error(`${engine.name}: ef=${ef} qps=${run.qps.toFixed(1)} median=${run.medianMicroseconds.toFixed(1)}µs recall=${run.recall.toFixed(3)}`);
    }
  }
  return engines.map((_, e) => ({ insertSeconds: insertSeconds[e]!, insertsPerSecond: vectors.length / insertSeconds[e]!, search: searches[e]! }));
}

const vectors = randomVectors(n, params.dimension, seeds.data);
const queries = randomVectors(queryCount, params.dimension, seeds.queries);
console.error(`ground truth: brute force over ${n} vectors for ${queryCount} queries`);
const truth = cosineGroundTruth(vectors, queries, topK);

/** The 1-minute load average: on a shared machine, how much else competed for the cores. */
const loadAverage = () => Math.round(loadavg()[0]! * 100) / 100;
const load = { start: loadAverage(), end: 0 };
const dir = await mkdtemp(join(tmpdir(), 'vectorxlite-bench-'));
const engines: BenchEngine[] = [];
let ours: EngineResult;
let baseline: EngineResult;
try {
  engines.push(await openVectorXLite(dir, params), await openRawVectorlite(dir, params));
  [ours, baseline] = (await measure(engines, vectors, queries, truth)) as [EngineResult, EngineResult];
} finally {
  for (const engine of engines) await engine.close();
  await rm(dir, { recursive: true, force: true });
}
load.end = loadAverage();

const ratio = (a: number, b: number) => a / b;
const fixed = (x: number, digits: number) => x.toFixed(digits);
const rows = [
  ['insertBatch (vectors/s)', fixed(ours.insertsPerSecond, 0), fixed(baseline.insertsPerSecond, 0), fixed(ratio(ours.insertsPerSecond, baseline.insertsPerSecond), 3)],
  ...efValues.flatMap((ef) => [
    [`search ef=${ef} (QPS)`, fixed(ours.search[ef]!.qps, 1), fixed(baseline.search[ef]!.qps, 1), fixed(ratio(ours.search[ef]!.qps, baseline.search[ef]!.qps), 3)],
    // Inverted, so that above 1 means faster here too.
    [`search ef=${ef} median µs/query`, fixed(ours.search[ef]!.medianMicroseconds, 1), fixed(baseline.search[ef]!.medianMicroseconds, 1), fixed(ratio(baseline.search[ef]!.medianMicroseconds, ours.search[ef]!.medianMicroseconds), 3)],
    [`search ef=${ef} recall@${topK}`, fixed(ours.search[ef]!.recall, 4), fixed(baseline.search[ef]!.recall, 4), fixed(ratio(ours.search[ef]!.recall, baseline.search[ef]!.recall), 3)],
  ]),
];
console.log(
  `VectorXLite embedded vs raw vectorlite: ${n} random ${params.dimension}-dim vectors, cosine, M=${params.m}, efConstruction=${params.efConstruction}, topK=${topK}, ${queryCount} queries, ` +
    `1-min load average ${load.start} at start, ${load.end} at end (${machineInfo().cpuCount} cores)`,
);
console.log('ours/baseline: a ratio of rates (QPS) or, for median µs/query, baseline/ours; above 1 means VectorXLite was faster.');
console.log(formatTable(['metric', 'vectorxlite', 'vectorlite', 'ours/baseline'], rows));

const report = {
  benchmark: 'embedded',
  date: new Date().toISOString(),
  machine: { ...machineInfo(), loadAverage1m: load },
  parameters: { n, ...params, distance: 'cosine', topK, queries: queryCount, batchSize, queryBlock, searchPasses, efValues, seeds, storage: 'file database in a temp dir' },
  method:
    'both engines open at once; inserts interleaved batch by batch; searches in blocks of queryBlock queries, the engine going first alternating, searchPasses passes over the queries (recall from the first); ' +
    'qps = all queries / all block time; medianMicroseconds = median over blocks of block time / queries in the block',
  baseline: 'vectorlite virtual table through better-sqlite3 (no payload table, no durable vector copy)',
  results: {
    insert: {
      vectorxlite: { seconds: ours.insertSeconds, perSecond: ours.insertsPerSecond },
      vectorlite: { seconds: baseline.insertSeconds, perSecond: baseline.insertsPerSecond },
      ratio: ratio(ours.insertsPerSecond, baseline.insertsPerSecond),
    },
    search: efValues.map((ef) => ({
      ef,
      vectorxlite: ours.search[ef]!,
      vectorlite: baseline.search[ef]!,
      qpsRatio: ratio(ours.search[ef]!.qps, baseline.search[ef]!.qps),
      medianSpeedRatio: ratio(baseline.search[ef]!.medianMicroseconds, ours.search[ef]!.medianMicroseconds),
      recallRatio: ratio(ours.search[ef]!.recall, baseline.search[ef]!.recall),
    })),
  },
  table: rows,
};
await writeFile(output, `${JSON.stringify(report, null, 2)}\n`);
console.log(`results written to ${output}`);
