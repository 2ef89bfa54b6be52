/**
 * Exact nearest-neighbour search, the reference every approximate result is checked against.
 * Distances follow vectorlite: cosine = 1 − cos, l2 = squared Euclidean, ip = 1 − dot product.
 * Computed in double precision.
 */
export type DistanceKind = 'cosine' | 'l2' | 'ip';

export interface Neighbour {
  id: number;
  distance: number;
}

export function distance(kind: DistanceKind, a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`dimension ${a.length} vs ${b.length}`);
  let dot = 0;
  let normA = 0;
  let normB = 0;
  let squared = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    normA += x * x;
    normB += y * y;
    squared += (x - y) * (x - y);
  }
  switch (kind) {
    case 'cosine':
      return 1 - dot / Math.sqrt(normA * normB);
    case 'l2':
      return squared;
    case 'ip':
      return 1 - dot;
  }
}

/** The `k` points nearest to `query`, nearest first; ties broken by id. */
export function bruteForceTopK(
  kind: DistanceKind,
  points: Iterable<{ id: number; vector: ArrayLike<number> }>,
  query: ArrayLike<number>,
  k: number,
): Neighbour[] {
  const all: Neighbour[] = [];
  for (const point of points) all.push({ id: point.id, distance: distance(kind, point.vector, query) });
  all.sort((x, y) => x.distance - y.distance || x.id - y.id);
  return all.slice(0, k);
}

/** Fraction of the true top-k ids that were found. */
export function recall(found: readonly number[], truth: readonly number[]): number {
  if (truth.length === 0) return 1;
  const expected = new Set(truth);
  let hits = 0;
  for (const id of found) if (expected.has(id)) hits++;
  return hits / truth.length;
}
