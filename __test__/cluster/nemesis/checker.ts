/**
 * Checks a fault run's history against what each replica holds once the cluster has converged.
 * Returns every violation found (empty when the run is correct), each one sentence naming the
 * operation, so a failure shows all of them at once.
 */
import type { History } from './history.js';

export interface ReplicaState {
  node: string;
  /** Ids present in the collection, read with consistency NONE. */
  ids: Set<number>;
  /** Ids whose stored payload does not match what their write inserted. */
  corrupt: number[];
  digest: string;
  appliedIndex: number;
}

export interface Tally {
  ops: number;
  writes: number;
  ok: number;
  failed: number;
  unknown: number;
  reads: number;
  readsOk: number;
  /** How often each error ("<status code> <first words>") came back, to see why ops were not ok. */
  errors: Record<string, number>;
  /** Per status code: "applied/total" of the valid writes whose outcome was unknown. */
  unknownApplied: Record<string, string>;
}

/** `replica` is any converged replica: they hold the same data once the digests agree. */
export function tally(history: History, replica: ReplicaState): Tally {
  const count = (outcome: string) => history.ops.filter((op) => op.outcome === outcome).length;
  const reads = history.reads();
  const errors: Record<string, number> = {};
  for (const op of history.ops) {
    if (op.error === undefined) continue;
    // Addresses, ids and terms differ between otherwise identical errors.
    const space = op.error.indexOf(' ');
    const key = op.error.slice(0, space) + op.error.slice(space).replace(/\d[\d.:]*/g, '#').slice(0, 70);
    errors[key] = (errors[key] ?? 0) + 1;
  }
  const unknown: Record<string, [number, number]> = {};
  for (const w of history.writes()) {
    if (w.outcome !== 'unknown' || w.invalid) continue;
    const code = w.error?.split(' ')[0] ?? '?';
    const [applied, total] = unknown[code] ?? [0, 0];
    unknown[code] = [applied + (replica.ids.has(w.id) ? 1 : 0), total + 1];
  }
  return {
    ops: history.ops.length,
    writes: history.ops.length - reads.length,
    ok: count('ok'),
    failed: count('failed'),
    unknown: count('unknown'),
    reads: reads.length,
    readsOk: reads.filter((r) => r.outcome === 'ok').length,
    errors,
    unknownApplied: Object.fromEntries(Object.entries(unknown).map(([code, [applied, total]]) => [code, `${applied}/${total}`])),
  };
}

export function check(history: History, replicas: readonly ReplicaState[]): string[] {
  const violations: string[] = [];
  const attempted = new Set<number>();
  for (const w of history.writes()) {
    attempted.add(w.id);
    if (w.invalid && w.outcome === 'ok') violations.push(`invalid write ${w.id} (${w.invalid}) was acknowledged (via ${w.node})`);
    for (const r of replicas) {
      const present = r.ids.has(w.id);
      if (w.outcome === 'ok' && !w.invalid && !present) violations.push(`write ${w.id} acknowledged ok at ${fmt(w.completedAt)} (via ${w.node}) is missing on ${r.node}`);
      if ((w.outcome === 'failed' || w.invalid) && present) violations.push(`write ${w.id} ${w.invalid ? `(invalid: ${w.invalid})` : `failed definitely (${w.error})`} is present on ${r.node}`);
    }
  }
  for (const r of replicas) {
    for (const id of r.ids) if (!attempted.has(id)) violations.push(`${r.node} holds id ${id}, which no client wrote`);
    for (const id of r.corrupt) violations.push(`${r.node} holds id ${id} with a payload its write did not insert`);
  }
  for (const read of history.reads()) {
    if (read.outcome !== 'ok') continue;
    const seen = new Set(read.seen);
    const missed = read.expected.filter((id) => !seen.has(id));
    if (missed.length > 0) {
      violations.push(`linearizable read on ${read.node} invoked at ${fmt(read.invokedAt)} missed writes acknowledged before it: ${missed.join(', ')}`);
    }
    const extra = [...seen].filter((id) => !read.expected.includes(id));
    if (extra.length > 0) violations.push(`read on ${read.node} at ${fmt(read.invokedAt)} returned ids its filter excludes: ${extra.join(', ')}`);
  }
  const [first, ...rest] = replicas;
  for (const r of rest) {
    if (r.appliedIndex !== first.appliedIndex || r.digest !== first.digest) {
      violations.push(`${r.node} (applied ${r.appliedIndex}, digest ${r.digest}) differs from ${first.node} (applied ${first.appliedIndex}, digest ${first.digest})`);
    }
  }
  return violations;
}

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}
