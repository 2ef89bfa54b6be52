/** Public types of the embedded API. The gRPC client SDKs return the same shapes. */

export type Distance = 'cosine' | 'l2' | 'ip';

/** A vector as callers may pass it; results always carry Float32Array. */
export type VectorInput = Float32Array | number[];

/** A payload value with its SQLite type kept: INTEGER/REAL → number, TEXT → string, NULL → null, BLOB → Buffer. */
export type PayloadValue = number | string | null | Buffer;
export type Payload = Record<string, PayloadValue>;

export interface IndexProgress {
  collection: string;
  /** Why the index is being rebuilt: 'open' (index file missing or stale), 'grow' (maxElements reached), 'reparse' (schema change emptied it). */
  reason: 'open' | 'grow' | 'reparse';
  done: number;
  total: number;
}

export interface OpenOptions {
  /** Search breadth used when a search gives no `ef`. */
  defaultEf?: number;
  /**
   * Reports index rebuilds, which can take long on large collections. Called on the JS thread.
   * Whatever it throws is ignored: the rebuild and the operation go on.
   */
  onProgress?: (progress: IndexProgress) => void;
  /**
   * Default true: each write is fsynced before it resolves. false: writes survive a crash of
   * this process but a power failure may lose the latest ones (the database stays consistent).
   * Only for data rebuilt from elsewhere at every open, like a cluster node's state machine.
   */
  durable?: boolean;
}

export interface HnswOptions {
  m?: number;
  efConstruction?: number;
}

export interface CreateCollectionOptions {
  name: string;
  dimension: number;
  distance?: Distance;
  /** CREATE TABLE for a table named like the collection. Default: `CREATE TABLE <name> (rowid INTEGER PRIMARY KEY)`. */
  payloadSchema?: string;
  /** Initial HNSW capacity; the index grows past it automatically. */
  maxElements?: number;
  hnsw?: HnswOptions;
}

export interface CollectionInfo {
  name: string;
  dimension: number;
  distance: Distance;
  count: number;
  maxElements: number;
}

export interface InsertOptions {
  collection: string;
  id: number;
  vector: VectorInput;
  /** An INSERT into the collection's own table; the engine makes the row's rowid equal to `id`. */
  payloadInsertQuery?: string;
}

export interface BatchPoint {
  id: number;
  vector: VectorInput;
  payloadInsertQuery?: string;
}

export interface SearchOptions {
  collection: string;
  vector: VectorInput;
  /** Default 10. */
  topK?: number;
  /** A SELECT over the collection's table; results are the nearest among the rows it matches, with its columns as payload. */
  payloadSearchQuery?: string;
  /** Search breadth for this search (overrides OpenOptions.defaultEf). */
  ef?: number;
}

export interface SearchResult {
  id: number;
  distance: number;
  payload: Payload;
}

export interface Point {
  id: number;
  vector: Float32Array;
  payload: Payload;
}

export interface DeleteOptions {
  collection: string;
  id: number;
}

export type SnapshotFileType = 'sqlite_db' | 'hnsw_index' | 'wal';

export interface SnapshotFileInfo {
  fileName: string;
  fileType: SnapshotFileType;
  fileSize: number;
  /** SHA-256, lowercase hex. */
  checksum: string;
}

export interface SnapshotMetadata {
  snapshotId: string;
  /** Unix milliseconds. */
  createdAt: number;
  totalSize: number;
  files: SnapshotFileInfo[];
  version: number;
  /** SHA-256 (lowercase hex) over every file's bytes, in `files` order. */
  checksum: string;
}

export interface ImportResult {
  snapshotId: string;
  bytesRestored: number;
  filesRestored: number;
}

export interface ExportSnapshotStreamOptions {
  /** Bytes per chunk, 1 KiB to 16 MiB; every chunk but the last has exactly this size. Default 64 KiB. */
  chunkSize?: number;
  /** An existing directory to stage the snapshot file in while it is read. Default: the OS temp directory. */
  stagingDir?: string;
}

export interface ImportSnapshotStreamOptions {
  /** An existing directory to stage the received chunks in before the import. Default: the OS temp directory. */
  stagingDir?: string;
}
