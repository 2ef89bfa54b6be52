/** The comparison table and ratios of a cluster benchmark run. */
import { formatTable } from '../lib/report.js';
import type { LoadResult } from './load.js';
import type { ReadLevel } from './targets.js';

export type WriteMode = 'single' | 'batch';

/** One system's measurements, each list in the order of the concurrency levels. */
export interface SystemResults {
  writes: Record<WriteMode, LoadResult[]>;
  reads: Record<ReadLevel, LoadResult[]>;
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const ratio = (a: number, b: number) => fixed(a / b, 2);
const clients = (c: number) => `${c} client${c === 1 ? '' : 's'}`;

/** Ours/etcd per measurement, keyed like "single.16.pointsPerSecond". */
export function ratios(ours: SystemResults, etcd: SystemResults): Record<string, number> {
  const out: Record<string, number> = {};
  for (const mode of ['single', 'batch'] as const) {
    for (const [i, o] of ours.writes[mode].entries()) {
      const e = etcd.writes[mode][i]!;
      out[`write.${mode}.${o.concurrency}.pointsPerSecond`] = o.itemsPerSecond / e.itemsPerSecond;
      out[`write.${mode}.${o.concurrency}.p50Ms`] = o.p50Ms / e.p50Ms;
      out[`write.${mode}.${o.concurrency}.p99Ms`] = o.p99Ms / e.p99Ms;
    }
  }
  for (const level of ['linearizable', 'weak'] as const) {
    for (const [i, o] of ours.reads[level].entries()) out[`read.${level}.${o.concurrency}.qps`] = o.itemsPerSecond / etcd.reads[level][i]!.itemsPerSecond;
  }
  return out;
}

export function table(ours: SystemResults, etcd: SystemResults, batchSize: number): string {
  const rows: string[][] = [];
  for (const mode of ['single', 'batch'] as const) {
    const what = mode === 'single' ? 'single insert / put' : `batch of ${batchSize} / txn of ${batchSize} puts`;
    for (const [i, o] of ours.writes[mode].entries()) {
      const e = etcd.writes[mode][i]!;
      rows.push([`${what}, ${clients(o.concurrency)}: points/s`, fixed(o.itemsPerSecond, 0), fixed(e.itemsPerSecond, 0), ratio(o.itemsPerSecond, e.itemsPerSecond)]);
      rows.push(['  p50 commit ms', fixed(o.p50Ms, 2), fixed(e.p50Ms, 2), ratio(o.p50Ms, e.p50Ms)]);
      rows.push(['  p99 commit ms', fixed(o.p99Ms, 2), fixed(e.p99Ms, 2), ratio(o.p99Ms, e.p99Ms)]);
    }
  }
  for (const [i, o] of ours.reads.linearizable.entries()) {
    const e = etcd.reads.linearizable[i]!;
    const ow = ours.reads.weak[i]!;
    const ew = etcd.reads.weak[i]!;
    const c = o.concurrency;
    rows.push([`linearizable read, ${clients(c)}: QPS`, fixed(o.itemsPerSecond, 0), fixed(e.itemsPerSecond, 0), ratio(o.itemsPerSecond, e.itemsPerSecond)]);
    rows.push([`  p50 / p99 ms`, `${fixed(o.p50Ms, 2)} / ${fixed(o.p99Ms, 2)}`, `${fixed(e.p50Ms, 2)} / ${fixed(e.p99Ms, 2)}`, '']);
    rows.push([`weak / serializable read, ${clients(c)}: QPS`, fixed(ow.itemsPerSecond, 0), fixed(ew.itemsPerSecond, 0), ratio(ow.itemsPerSecond, ew.itemsPerSecond)]);
    rows.push([`  p50 / p99 ms`, `${fixed(ow.p50Ms, 2)} / ${fixed(ow.p99Ms, 2)}`, `${fixed(ew.p50Ms, 2)} / ${fixed(ew.p99Ms, 2)}`, '']);
    rows.push([`  linearizable / weak QPS`, ratio(o.itemsPerSecond, ow.itemsPerSecond), ratio(e.itemsPerSecond, ew.itemsPerSecond), '']);
  }
  return formatTable(['metric', 'VectorXLite', 'etcd', 'ours/etcd'], rows);
}

/** One line per load that had failed operations; empty when none did. */
export function failures(system: string, results: SystemResults): string[] {
  const lines: string[] = [];
  for (const [kind, byKind] of [['write', results.writes], ['read', results.reads]] as const) {
    for (const [name, loads] of Object.entries(byKind)) {
      for (const r of loads as LoadResult[]) {
        if (r.errors > 0) lines.push(`${system} ${kind} ${name}, ${clients(r.concurrency)}: ${r.errors} failed operations (first: ${r.firstError})`);
      }
    }
  }
  return lines;
}
