/**
 * The two engines the benchmark compares, behind one shape: this package's embedded API, and
 * raw vectorlite driven through better-sqlite3 (the baseline: the same HNSW library with no
 * payload table, no durable vector copy and no addon in between).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VectorXLite } from '../../src/index.js';

export interface HnswParameters {
  dimension: number;
  maxElements: number;
  m: number;
  efConstruction: number;
}

export interface BenchEngine {
  readonly name: string;
  /** Inserts vectors[i] under id firstId + i, in one transaction. */
  insertBatch(vectors: Float32Array[], firstId: number): Promise<void>;
  /** The ids of the topK nearest to `vector`. */
  search(vector: Float32Array, topK: number, ef: number): Promise<number[]>;
  close(): Promise<void>;
}

const COLLECTION = 'bench';

export async function openVectorXLite(dir: string, params: HnswParameters): Promise<BenchEngine> {
  const db = await VectorXLite.open(join(dir, 'vectorxlite.db'));
  await db.createCollection({
    name: COLLECTION,
    dimension: params.dimension,
    distance: 'cosine',
    maxElements: params.maxElements,
    hnsw: { m: params.m, efConstruction: params.efConstruction },
  });
  return {
    name: 'vectorxlite',
    insertBatch: (vectors, firstId) => db.insertBatch(COLLECTION, vectors.map((vector, i) => ({ id: firstId + i, vector }))),
    async search(vector, topK, ef) {
      const hits = await db.search({ collection: COLLECTION, vector, topK, ef });
      return hits.map((hit) => hit.id);
    },
    close: () => db.close(),
  };
}

/** vectorlite's shared library from its npm package (CommonJS, untyped). */
export function vectorlitePath(): string {
  const require = createRequire(import.meta.url);
  return (require('vectorlite') as { vectorlitePath(): string }).vectorlitePath();
}

function asBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

export async function openRawVectorlite(dir: string, params: HnswParameters): Promise<BenchEngine> {
  const db = new Database(join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.loadExtension(vectorlitePath());
  db.exec(
    `CREATE VIRTUAL TABLE ${COLLECTION} USING vectorlite(vec float32[${params.dimension}] cosine, ` +
      `hnsw(max_elements=${params.maxElements}, M=${params.m}, ef_construction=${params.efConstruction}))`,
  );
  const insert = db.prepare(`INSERT INTO ${COLLECTION} (rowid, vec) VALUES (?, ?)`);
  const insertInTransaction = db.transaction((vectors: Float32Array[], firstId: number) => {
    for (const [i, vector] of vectors.entries()) insert.run(BigInt(firstId + i), asBlob(vector));
  });
  // vectorlite wants INTEGER rowid, k and ef; better-sqlite3 binds JS numbers as REAL, bigints as INTEGER.
  const search = db.prepare(`SELECT rowid FROM ${COLLECTION} WHERE knn_search(vec, knn_param(?, ?, ?))`).pluck();
  return {
    name: 'vectorlite',
    async insertBatch(vectors, firstId) {
      insertInTransaction(vectors, firstId);
    },
    async search(vector, topK, ef) {
      return search.all(asBlob(vector), BigInt(topK), BigInt(ef)) as number[];
    },
    close: async () => {
      db.close();
    },
  };
}
