/**
 * VectorXLite, the embedded API (issue 2): a database in this process, backed by the Rust
 * engine through the native addon. Every method validates its arguments up front, then
 * runs on the libuv thread pool and resolves when the engine is done; the event loop never
 * waits on SQLite. Mirrors crates/node/src/database.rs.
 */
import { VectorXLiteError, isErrorCode } from '../errors.js';
import { native, vectorlitePath, type NativeAddon, type NativeHandle, type NativeSearchHits, type NativeSearchQuery } from './native.js';
import type {
  BatchPoint,
  CollectionInfo,
  CreateCollectionOptions,
  DeleteOptions,
  ImportResult,
  InsertOptions,
  OpenOptions,
  Point,
  SearchOptions,
  SearchResult,
  SnapshotMetadata,
} from './types.js';
import {
  validateBatchPoints,
  validateCollectionOptions,
  validateDeleteOptions,
  validateId,
  validateInsertOptions,
  validateName,
  validateOpenOptions,
  validatePath,
  validateSearchOptions,
} from './validate.js';

/** The addon rejects with Errors carrying a `code`; callers get the one VectorXLiteError type. */
function fromNative(error: unknown): VectorXLiteError {
  if (error instanceof VectorXLiteError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new VectorXLiteError(isErrorCode(code) ? code : 'INTERNAL', message, { cause: error });
}

function rethrow(error: unknown): never {
  throw fromNative(error);
}

/** Runs an addon call; a synchronous throw and a rejection both become a rejected VectorXLiteError. */
function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return operation().then(undefined, rethrow);
  } catch (error) {
    return Promise.reject(fromNative(error));
  }
}

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
  /**
   * Settles after the last queued operation. Operations run one at a time in call order:
   * the engine serializes them anyway, and queueing here keeps them from occupying several
   * libuv pool threads that would only wait on the engine's lock (starving fs, dns, and
   * other databases), and makes an un-awaited insert visible to a search called after it.
   */
  #tail: Promise<void> = Promise.resolve();
  /** Operations called and not yet settled; with none, the next one starts at once. */
  #inFlight = 0;
  readonly #settled = (): void => {
    this.#inFlight--;
  };

  private constructor(addon: NativeAddon, handle: NativeHandle) {
    this.#addon = addon;
    this.#handle = handle;
  }

  /** Opens (or creates) the database at `path`, or an in-memory one for ':memory:'. */
  static async open(path: string, options?: OpenOptions): Promise<VectorXLite> {
    const file = validatePath(path, 'path');
    const { defaultEf, onProgress } = validateOpenOptions(options);
    const addon = native();
    const handle = await call(() => addon.open(file, { vectorlitePath: vectorlitePath(), defaultEf, onProgress }));
    return new VectorXLite(addon, handle);
  }

  /** The live handle, or CLOSED. */
  #open(): NativeHandle {
    if (this.#handle === undefined) {
      throw new VectorXLiteError('CLOSED', 'the database is closed; open it again with VectorXLite.open().');
    }
    return this.#handle;
  }

  /**
   * Runs `operation` after every operation called before it; addon errors become
   * VectorXLiteError. When nothing is in flight it starts in this tick, without a hop
   * through the queue's promise chain (part of the fixed cost of every call).
   */
  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#inFlight === 0 ? call(operation) : this.#tail.then(() => call(operation));
    this.#inFlight++;
    this.#tail = result.then(this.#settled, this.#settled);
    return result;
  }

  async createCollection(options: CreateCollectionOptions): Promise<void> {
    const handle = this.#open();
    const config = validateCollectionOptions(options);
    await this.#enqueue(() => this.#addon.createCollection(handle, config));
  }

  async collectionExists(name: string): Promise<boolean> {
    const handle = this.#open();
    const checked = validateName(name);
    return this.#enqueue(() => this.#addon.collectionExists(handle, checked));
  }

  /** Every collection, sorted by name. */
  async listCollections(): Promise<CollectionInfo[]> {
    const handle = this.#open();
    return this.#enqueue(() => this.#addon.listCollections(handle));
  }

  async collectionInfo(name: string): Promise<CollectionInfo> {
    const handle = this.#open();
    const checked = validateName(name);
    return this.#enqueue(() => this.#addon.collectionInfo(handle, checked));
  }

  async insert(options: InsertOptions): Promise<void> {
    const handle = this.#open();
    const point = validateInsertOptions(options);
    await this.#enqueue(() => this.#addon.insert(handle, point));
  }

  /** Inserts every point in one transaction: all of them, or none when one is rejected. */
  async insertBatch(collection: string, points: BatchPoint[]): Promise<void> {
    const handle = this.#open();
    const name = validateName(collection);
    const checked = validateBatchPoints(points);
    await this.#enqueue(() => this.#addon.insertBatch(handle, name, checked));
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
    return this.#enqueue(() => this.#addon.searchPacked(handle, query)).then(searchResults);
  }

  /** The point with its vector and payload, or null when there is none with that id. */
  async get(collection: string, id: number): Promise<Point | null> {
    const handle = this.#open();
    const name = validateName(collection);
    const checked = validateId(id);
    return this.#enqueue(() => this.#addon.get(handle, name, checked));
  }

  /** Removes payload row, stored vector and index entry together; true if the point existed. */
  async delete(options: DeleteOptions): Promise<boolean> {
    const handle = this.#open();
    const { collection, id } = validateDeleteOptions(options);
    return this.#enqueue(() => this.#addon.delete(handle, collection, id));
  }

  async deleteCollection(name: string): Promise<void> {
    const handle = this.#open();
    const checked = validateName(name);
    await this.#enqueue(() => this.#addon.deleteCollection(handle, checked));
  }

  /** Writes a consistent copy of the database to one file (docs/snapshot-format.md). */
  async exportSnapshot(filePath: string): Promise<SnapshotMetadata> {
    const handle = this.#open();
    const path = validatePath(filePath, 'snapshot path');
    return this.#enqueue(() => this.#addon.exportSnapshot(handle, path));
  }

  /** Verifies a snapshot file, then replaces this database with it; a failure changes nothing. */
  async importSnapshot(filePath: string): Promise<ImportResult> {
    const handle = this.#open();
    const path = validatePath(filePath, 'snapshot path');
    return this.#enqueue(() => this.#addon.importSnapshot(handle, path));
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
    return this.#enqueue(() => this.#addon.digest(handle));
  }

  /**
   * Persists the index and releases the database once the operations called before it are
   * done. Idempotent: later calls return the first call's outcome; every other method
   * called after it rejects with CLOSED.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      const handle = this.#open();
      this.#handle = undefined;
      this.#closing = this.#enqueue(() => this.#addon.close(handle));
    }
    return this.#closing;
  }
}
