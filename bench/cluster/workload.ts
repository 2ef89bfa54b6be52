/**
 * What both systems are given: 128-dimensional float32 vectors with a small payload. A point is
 * written to VectorXLite as (id, vector, payload INSERT); the etcd value for the same point is
 * the vector's 512 bytes followed by the same payload SQL text, so both replicate about as many
 * bytes per point.
 */
import { randomVectors } from '../lib/data.js';

export const DIMENSION = 128;
/** Distinct vectors cycled through by the writes; the data's content does not matter to a commit. */
const VECTOR_POOL = 1_000;
/** A fixed 64-character payload value. */
const TAG = 'bench-payload-0123456789abcdef0123456789abcdef0123456789abcdef01';

export const vectors = randomVectors(VECTOR_POOL, DIMENSION, 1);
export const queries = randomVectors(200, DIMENSION, 2);

export function vectorFor(id: number): Float32Array {
  return vectors[id % VECTOR_POOL]!;
}

/** The payload table every benchmark collection has. */
export function payloadSchema(collection: string): string {
  return `CREATE TABLE ${collection} (rowid INTEGER PRIMARY KEY, tag TEXT)`;
}

export function payloadInsert(collection: string): string {
  return `INSERT INTO ${collection} (tag) VALUES ('${TAG}')`;
}

/** The etcd value standing for point `id` of `collection`. */
export function etcdValue(collection: string, id: number): Buffer {
  const vector = vectorFor(id);
  return Buffer.concat([Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), Buffer.from(payloadInsert(collection))]);
}

export function etcdKey(collection: string, id: number): string {
  return `${collection}/${String(id).padStart(10, '0')}`;
}
