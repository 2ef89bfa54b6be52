/**
 * VectorXLite, the embedded API (issue 2): a database in this process, backed by the Rust
 * engine through the native addon. Every method validates its arguments up front, then
 * hands the call to the database's worker thread and resolves when the engine is done; the
 * event loop never waits on SQLite. The worker runs a database's calls one at a time in
 * call order, so an insert called before a search is visible to it even when neither is
 * awaited. Mirrors crates/node/src/database.rs.
 */
import { tmpdir } from 'node:os';
import { VectorXLiteError } from '../errors.js';
import { call } from './native-call.js';
import { native, vectorlitePath, type NativeAddon, type NativeHandle, type NativeSearchHits, type NativeSearchQuery } from './native.js';
import type {
  BatchPoint,
  CollectionInfo,
  CreateCollectionOptions,
  DeleteOptions,
  ExportSnapshotStreamOptions,
  ImportResult,
  ImportSnapshotStreamOptions,
  InsertOptions,
  OpenOptions,
  Point,
  SearchOptions,
  SearchResult,
  SnapshotMetadata,
} from './types.js';
import { readSnapshotChunks, writeSnapshotChunks } from './snapshot-stream.js';
import {
  validateBatchPoints,
  validateChunkSource,
  validateCollectionOptions,
  validateDeleteOptions,
  validateExportStreamOptions,
  validateId,
  validateImportStreamOptions,
  validateInsertOptions,
  validateName,
  validateOpenOptions,
  validatePath,
  validateSearchOptions,
} from './validate.js';

/** The addon's packed search results as SearchResult objects (see NativeSearchHits). */
function searchResults({ hits, payloads }: NativeSearchHits): SearchResult[] {
  const results: SearchResult[] = new Array(hits.length / 2);
  for (let i = 0; i < results.length; i++) {
    results[i] = { id: hits[2 * i]!, distance: hits[2 * i + 1]!, payload: payloads === undefined ? {} : payloads[i]! };
  }
  return results;
}

export class VectorXLite {
  readonly #addon: NativeAddon;
  /** Undefined once close() has been called. */
  #handle: NativeHandle | undefined;
  #closing: Promise<void> | undefined;

  private constructor(addon: NativeAddon, handle: NativeHandle) {
    this.#addon = addon;
    this.#handle = handle;
  }

  /** Opens (or creates) the database at `path`, or an in-memory one for ':memory:'. */
  static async open(path: string, options?: OpenOptions): Promise<VectorXLite> {
    const file = validatePath(path, 'path');
    const { defaultEf, onProgress, durable } = validateOpenOptions(options);
    const addon = native();
    const handle = await call(() => addon.open(file, { vectorlitePath: vectorlitePath(), defaultEf, onProgress, durable }));
    return new VectorXLite(addon, handle);
  }

  /** The live handle, or CLOSED. */
  #open(): NativeHandle {
    if (this.#handle === undefined) {
      throw new VectorXLiteError('CLOSED', 'the database is closed; open it again with VectorXLite.open().');
    }
    return this.#handle;
  }

  async createCollection(options: CreateCollectionOptions): Promise<void> {
    const handle = this.#open();
    const config = validateCollectionOptions(options);
    await call(() => this.#addon.createCollection(handle, config));
  }

  async collectionExists(name: string): Promise<boolean> {
    const handle = this.#open();
    const checked = validateName(name);
    return call(() => this.#addon.collectionExists(handle, checked));
  }

  /** Every collection, sorted by name. */
  async listCollections(): Promise<CollectionInfo[]> {
    const handle = this.#open();
    return call(() => this.#addon.listCollections(handle));
  }

  async collectionInfo(name: string): Promise<CollectionInfo> {
    const handle = this.#open();
    const checked = validateName(name);
    return call(() => this.#addon.collectionInfo(handle, checked));
  }

  async insert(options: InsertOptions): Promise<void> {
    const handle = this.#open();
    const point = validateInsertOptions(options);
    await call(() => this.#addon.insert(handle, point));
  }

  /** Inserts every point in one transaction: all of them, or none when one is rejected. */
  async insertBatch(collection: string, points: BatchPoint[]): Promise<void> {
    const handle = this.#open();
    const name = validateName(collection);
    const checked = validateBatchPoints(points);
    await call(() => this.#addon.insertBatch(handle, name, checked));
  }

  /**
   * The nearest points first. Not `async`: an async wrapper around the returned promise
   * costs extra turns of the microtask queue on every search; errors still reject.
   */
  search(options: SearchOptions): Promise<SearchResult[]> {
    let handle: NativeHandle;
    let query: NativeSearchQuery;
    try {
      handle = this.#open();
      query = validateSearchOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return call(() => this.#addon.searchPacked(handle, query), searchResults);
  }

  /** The point with its vector and payload, or null when there is none with that id. */
  async get(collection: string, id: number): Promise<Point | null> {
    const handle = this.#open();
    const name = validateName(collection);
    const checked = validateId(id);
    return call(() => this.#addon.get(handle, name, checked));
  }

  /** Removes payload row, stored vector and index entry together; true if the point existed. */
  async delete(options: DeleteOptions): Promise<boolean> {
    const handle = this.#open();
    const { collection, id } = validateDeleteOptions(options);
    return call(() => this.#addon.delete(handle, collection, id));
  }

  async deleteCollection(name: string): Promise<void> {
    const handle = this.#open();
    const checked = validateName(name);
    await call(() => this.#addon.deleteCollection(handle, checked));
  }

  /** Writes a consistent copy of the database to one file (docs/snapshot-format.md). */
  async exportSnapshot(filePath: string): Promise<SnapshotMetadata> {
    const handle = this.#open();
    const path = validatePath(filePath, 'snapshot path');
    return call(() => this.#addon.exportSnapshot(handle, path));
  }

  /** Verifies a snapshot file, then replaces this database with it; a failure changes nothing. */
  async importSnapshot(filePath: string): Promise<ImportResult> {
    const handle = this.#open();
    const path = validatePath(filePath, 'snapshot path');
    return call(() => this.#addon.importSnapshot(handle, path));
  }

  /**
   * The snapshot exportSnapshot would write, as ordered chunks (Buffers): joined, they are
   * that file byte for byte. The snapshot is taken when the loop asks for its first chunk
   * and staged in a file in `stagingDir` (default: the OS temp directory), which is removed
   * however the loop ends: after the last chunk, on `break`, on an error. Writes made while
   * the chunks are read are not in it. Arguments and CLOSED are checked at the first chunk.
   */
  async *exportSnapshotStream(options?: ExportSnapshotStreamOptions): AsyncGenerator<Buffer, void, undefined> {
    const handle = this.#open();
    const checked = validateExportStreamOptions(options, tmpdir());
    yield* readSnapshotChunks(this.#addon, handle, checked);
  }

  /**
   * Imports a snapshot from its chunks in order (from exportSnapshotStream, or a snapshot
   * file cut anywhere, e.g. a fs.ReadStream): they are staged in `stagingDir` (default: the
   * OS temp directory), then every checksum is verified before the database is replaced
   * atomically. A damaged, truncated or reordered stream is SNAPSHOT_INVALID; a source that
   * throws is CANCELLED (its error is the `cause`); either way the database is left as it was.
   */
  async importSnapshotStream(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options?: ImportSnapshotStreamOptions,
  ): Promise<ImportResult> {
    const handle = this.#open();
    const chunks = validateChunkSource(source);
    const checked = validateImportStreamOptions(options, tmpdir());
    return writeSnapshotChunks(this.#addon, handle, chunks, checked);
  }

  /**
   * A SHA-256 (lowercase hex) over everything the database holds: each collection's
   * settings (name, dimension, distance, M, efConstruction, the maxElements it was created
   * with, payload schema), then every point in id order with its vector and its payload row,
   * values type-tagged (INTEGER 1 and REAL 1.0 differ). Index state and capacity are left
   * out, so two databases that applied the same writes have the same digest, whenever their
   * indexes grew or were rebuilt. Reads every point: O(size of the database).
   */
  async digest(): Promise<string> {
    const handle = this.#open();
    return call(() => this.#addon.digest(handle));
  }

  /**
   * Persists the index and releases the database once the operations called before it are
   * done; its worker thread ends. Idempotent: later calls return the first call's outcome; every other method
   * called after it rejects with CLOSED.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      const handle = this.#open();
      this.#handle = undefined;
      this.#closing = call(() => this.#addon.close(handle));
    }
    return this.#closing;
  }
}
