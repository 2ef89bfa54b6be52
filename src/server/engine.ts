import type {
  BatchPoint,
  CollectionInfo,
  CreateCollectionOptions,
  DeleteOptions,
  ImportResult,
  InsertOptions,
  Point,
  SearchOptions,
  SearchResult,
  SnapshotMetadata,
} from '../embedded/types.js';

/**
 * The part of the embedded `VectorXLite` API the server calls. Declared here so the server
 * can be served by any implementation of that API (the embedded engine in production).
 */
export interface Engine {
  createCollection(options: CreateCollectionOptions): Promise<unknown>;
  collectionExists(name: string): Promise<boolean>;
  listCollections(): Promise<CollectionInfo[]>;
  collectionInfo(name: string): Promise<CollectionInfo>;
  insert(options: InsertOptions): Promise<unknown>;
  insertBatch(collection: string, points: BatchPoint[]): Promise<unknown>;
  search(options: SearchOptions): Promise<SearchResult[]>;
  get(collection: string, id: number): Promise<Point | null>;
  delete(options: DeleteOptions): Promise<boolean>;
  deleteCollection(name: string): Promise<unknown>;
  exportSnapshot(filePath: string): Promise<SnapshotMetadata>;
  importSnapshot(filePath: string): Promise<ImportResult>;
  /** SHA-256 (hex) over the data, equal wherever the same writes were applied. */
  digest(): Promise<string>;
  close(): Promise<void>;
}
