/** Benchmark data: seeded uniform random vectors and exact cosine ground truth. */

/** mulberry32: a seeded generator, so every run measures the same data. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` vectors with components uniform in [0, 1), as views over one buffer. */
export function randomVectors(count: number, dimension: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  const data = new Float32Array(count * dimension);
  for (let i = 0; i < data.length; i++) data[i] = random();
  return Array.from({ length: count }, (_, i) => data.subarray(i * dimension, (i + 1) * dimension));
}

function normalized(vector: Float32Array): Float64Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm);
  return Float64Array.from(vector, (x) => x / norm);
}

/** The ids (indexes into `vectors`) of the k nearest by cosine distance, for each query. */
export function cosineGroundTruth(vectors: Float32Array[], queries: Float32Array[], k: number): number[][] {
  const units = vectors.map(normalized);
  return queries.map((query) => {
    const q = normalized(query);
    const best: Array<{ id: number; similarity: number }> = [];
    for (let id = 0; id < units.length; id++) {
      const v = units[id]!;
      let similarity = 0;
      for (let i = 0; i < q.length; i++) similarity += q[i]! * v[i]!;
      if (best.length < k || similarity > best[best.length - 1]!.similarity) {
        best.push({ id, similarity });
        best.sort((a, b) => b.similarity - a.similarity);
        if (best.length > k) best.pop();
      }
    }
    return best.map((b) => b.id);
  });
}

/** Mean over queries of the fraction of true neighbours found. */
export function meanRecall(found: number[][], truth: number[][]): number {
  let total = 0;
  for (const [i, ids] of found.entries()) {
    const expected = new Set(truth[i]);
    total += ids.filter((id) => expected.has(id)).length / expected.size;
  }
  return total / found.length;
}
