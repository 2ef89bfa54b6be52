/**
 * Seeded random data, so a failing test can be rerun on exactly the same vectors.
 * mulberry32: small, fast and good enough for test data (not for anything secret).
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A vector with components uniform in [0, 1). */
export function randomVector(random: Random, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) vector[i] = random();
  return vector;
}

/** `count` vectors with components uniform in [0, 1), views over one buffer. */
export function randomVectors(count: number, dimension: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  const data = new Float32Array(count * dimension);
  for (let i = 0; i < data.length; i++) data[i] = random();
  return Array.from({ length: count }, (_, i) => data.subarray(i * dimension, (i + 1) * dimension));
}
