/**
 * A SHA-256 over everything a VectorXLite database holds (each collection's configuration,
 * then every point's id, vector and payload in id order), equal on replicas that applied the
 * same commands. The Rust core computes such a digest itself, but the embedded API does not
 * expose it yet (requested); until it does, this one is computed through the public API: an
 * exhaustive search enumerates the ids, and get() reads each point. Payload numbers are
 * hashed as float64, so INTEGER 1 and REAL 1.0 hash alike; the core's digest tells them apart.
 */
import { createHash, type Hash } from 'node:crypto';
import { VectorXLiteError } from '../../src/errors.js';
import type { CommandEngine } from '../commands/engine.js';
import type { PayloadValue } from '../../src/embedded/types.js';

function putBytes(hash: Hash, bytes: Uint8Array): void {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(bytes.length));
  hash.update(length);
  hash.update(bytes);
}

function putString(hash: Hash, text: string): void {
  putBytes(hash, Buffer.from(text, 'utf8'));
}

function putNumber(hash: Hash, value: number): void {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  hash.update(bytes);
}

function putValue(hash: Hash, value: PayloadValue): void {
  if (value === null) hash.update(Uint8Array.of(0));
  else if (typeof value === 'number') {
    hash.update(Uint8Array.of(1));
    putNumber(hash, value);
  } else if (typeof value === 'string') {
    hash.update(Uint8Array.of(2));
    putString(hash, value);
  } else {
    hash.update(Uint8Array.of(3));
    putBytes(hash, value);
  }
}

/** Every id in `collection`: an exhaustive search (breadth at least the count) finds them all. */
async function allIds(db: CommandEngine, collection: string, dimension: number, count: number): Promise<number[]> {
  if (count === 0) return [];
  const hits = await db.search({ collection, vector: new Float32Array(dimension).fill(1), topK: count, ef: Math.max(count, 10) });
  const ids = hits.map((hit) => hit.id).sort((a, b) => a - b);
  if (new Set(ids).size !== count) {
    throw new VectorXLiteError('INTERNAL', `digest: a search over '${collection}' found ${ids.length} points of ${count}.`);
  }
  return ids;
}

export async function engineDigest(db: CommandEngine): Promise<string> {
  const hash = createHash('sha256');
  hash.update('vectorxlite-state-digest-v1');
  const collections = await db.listCollections();
  putNumber(hash, collections.length);
  for (const info of collections) {
    putString(hash, info.name);
    putNumber(hash, info.dimension);
    putString(hash, info.distance);
    putNumber(hash, info.count);
    putNumber(hash, info.maxElements);
    for (const id of await allIds(db, info.name, info.dimension, info.count)) {
      const point = await db.get(info.name, id);
      if (point === null) throw new VectorXLiteError('INTERNAL', `digest: point ${id} of '${info.name}' vanished while hashing.`);
      putNumber(hash, id);
      putBytes(hash, new Uint8Array(point.vector.buffer, point.vector.byteOffset, point.vector.byteLength));
      const columns = Object.entries(point.payload);
      putNumber(hash, columns.length);
      for (const [column, value] of columns) {
        putString(hash, column);
        putValue(hash, value);
      }
    }
  }
  return hash.digest('hex');
}
