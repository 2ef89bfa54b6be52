/**
 * The only module that loads the native addon (crates/node) and the vectorlite extension.
 * Both are found at run time for the current platform; an unsupported platform gets a
 * VectorXLiteError naming it and the supported ones instead of a bare "Cannot find module".
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VectorXLiteError } from '../errors.js';
import type {
  CollectionInfo,
  Distance,
  ImportResult,
  IndexProgress,
  Payload,
  Point,
  SearchResult,
  SnapshotMetadata,
} from './types.js';

/** Platforms with a prebuilt addon and a vectorlite binary, in napi-rs naming. */
export const SUPPORTED_PLATFORMS = ['linux-x64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc'] as const;
export type PlatformTarget = (typeof SUPPORTED_PLATFORMS)[number];

const TARGETS: Record<string, PlatformTarget> = {
  'linux-x64': 'linux-x64-gnu',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-x64-msvc',
};

/**
 * The napi-rs target name for a platform (process.platform, process.arch), or a
 * FAILED_PRECONDITION error naming it and the supported ones. `musl` marks a Linux without
 * glibc, which vectorlite ships no binary for.
 */
export function platformTarget(platform: string, arch: string, musl = false): PlatformTarget {
  const target = musl ? undefined : TARGETS[`${platform}-${arch}`];
  if (target === undefined) {
    const name = `${platform}-${arch}${musl ? '-musl' : ''}`;
    throw new VectorXLiteError(
      'FAILED_PRECONDITION',
      `VectorXLite does not support the platform ${name}: it runs on ${SUPPORTED_PLATFORMS.join(', ')}.`,
    );
  }
  return target;
}

/** The npm package holding the prebuilt addon for a target (napi-rs layout, see npm/). */
export function platformPackageName(target: PlatformTarget): string {
  return `vectorxlite-${target}`;
}

/** The addon file name, both in the platform package and in a local build at the package root. */
export function addonFileName(target: PlatformTarget): string {
  return `vectorxlite.${target}.node`;
}

/** True on a Linux whose C library is not glibc (Node's report names glibc when it is). */
function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime === undefined;
}

export function currentTarget(): PlatformTarget {
  return platformTarget(process.platform, process.arch, isMusl());
}

const require = createRequire(import.meta.url);

/**
 * The package root: the nearest folder above this module holding package.json. It is
 * two levels up from src/embedded (tsx) and three from dist/src/embedded (compiled).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new VectorXLiteError('INTERNAL', `no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** An opaque handle to an open engine; only the addon can make or read one. */
export type NativeHandle = { readonly __brand: 'VectorXLiteNativeHandle' };

/** A chunked export in progress: the snapshot is already taken and staged in a file. */
export interface NativeSnapshotReader {
  readonly metadata: SnapshotMetadata;
  readonly chunkSize: number;
  readonly totalBytes: number;
  readonly chunkCount: number;
}

/** A chunked import in progress, its chunks staged in a file. */
export type NativeSnapshotWriter = { readonly __brand: 'VectorXLiteNativeSnapshotWriter' };

export interface NativeOpenOptions {
  vectorlitePath: string;
  defaultEf?: number;
  onProgress?: (progress: IndexProgress) => void;
  durable?: boolean;
}

export interface NativeCollectionConfig {
  name: string;
  dimension: number;
  distance: Distance;
  payloadSchema?: string;
  maxElements?: number;
  hnsw?: { m?: number; efConstruction?: number };
}

export interface NativePoint {
  id: number;
  vector: Float32Array;
  payloadInsertQuery?: string;
}

export interface NativeSearchQuery {
  collection: string;
  vector: Float32Array;
  topK: number;
  payloadSearchQuery?: string;
  ef?: number;
}

/**
 * Search results as `searchPacked` returns them (crates/node/src/convert.rs `packed_search_hits`):
 * `hits` holds id, distance pairs, nearest first; `payloads`, one per hit, is present only
 * when a hit has payload columns.
 */
export interface NativeSearchHits {
  hits: Float64Array;
  payloads?: Payload[];
}

/**
 * The functions crates/node/src/database.rs exports. Each returns a Promise settled by the
 * database's worker thread (`open` by the libuv thread pool), which runs a database's calls
 * in the order they were made; arguments are already validated and converted (vectors are
 * Float32Array) and are copied during the call. Rejections are Errors with a `code` from
 * src/errors.ts; a call after `close` rejects with CLOSED.
 */
export interface NativeAddon {
  open(path: string, options: NativeOpenOptions): Promise<NativeHandle>;
  createCollection(handle: NativeHandle, config: NativeCollectionConfig): Promise<void>;
  collectionExists(handle: NativeHandle, name: string): Promise<boolean>;
  listCollections(handle: NativeHandle): Promise<CollectionInfo[]>;
  collectionInfo(handle: NativeHandle, name: string): Promise<CollectionInfo>;
  insert(handle: NativeHandle, options: NativePoint & { collection: string }): Promise<void>;
  insertBatch(handle: NativeHandle, collection: string, points: NativePoint[]): Promise<void>;
  search(handle: NativeHandle, query: NativeSearchQuery): Promise<SearchResult[]>;
  searchPacked(handle: NativeHandle, query: NativeSearchQuery): Promise<NativeSearchHits>;
  get(handle: NativeHandle, collection: string, id: number): Promise<Point | null>;
  delete(handle: NativeHandle, collection: string, id: number): Promise<boolean>;
  deleteCollection(handle: NativeHandle, name: string): Promise<void>;
  exportSnapshot(handle: NativeHandle, path: string): Promise<SnapshotMetadata>;
  importSnapshot(handle: NativeHandle, path: string): Promise<ImportResult>;
  digest(handle: NativeHandle): Promise<string>;
  close(handle: NativeHandle): Promise<void>;
  // Chunked snapshots (crates/node/src/snapshot_stream.rs). Opening a reader (the export)
  // and finishing a writer (the import) run on the database's worker in call order; chunk
  // reads and writes run on the libuv pool. Calls on one reader or writer must be awaited
  // one after the other (an overlapping one throws INVALID_ARGUMENT).
  snapshotReaderOpen(handle: NativeHandle, options: { stagingDir: string; chunkSize?: number }): Promise<NativeSnapshotReader>;
  /** The next chunk, or null after the last one (the staged file is then already gone). */
  snapshotReaderNext(reader: NativeSnapshotReader): Promise<Buffer | null>;
  /** Removes the staged snapshot; later `next` calls reject with CLOSED. Idempotent. */
  snapshotReaderClose(reader: NativeSnapshotReader): Promise<void>;
  snapshotWriterOpen(handle: NativeHandle, options: { stagingDir: string }): Promise<NativeSnapshotWriter>;
  snapshotWriterWrite(writer: NativeSnapshotWriter, chunk: Uint8Array): Promise<void>;
  /** Verifies the whole stream, then replaces the database with it; a failure changes nothing. */
  snapshotWriterFinish(writer: NativeSnapshotWriter, handle: NativeHandle): Promise<ImportResult>;
  /** Gives the import up and removes the staged chunks. Idempotent. */
  snapshotWriterAbort(writer: NativeSnapshotWriter): Promise<void>;
}

function isModuleNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND';
}

/**
 * Loads the addon for `target`: the platform package first (an npm install of a release),
 * then a local build at the package root (`npm run build:native`, or `npm ci` from a clone).
 */
export function loadAddon(target: PlatformTarget, root = packageRoot()): NativeAddon {
  const local = join(root, addonFileName(target));
  const candidates = [platformPackageName(target), local];
  for (const candidate of candidates) {
    if (candidate === local && !existsSync(local)) continue;
    try {
      return require(candidate) as NativeAddon;
    } catch (error) {
      if (candidate !== local && isModuleNotFound(error)) continue;
      throw new VectorXLiteError('INTERNAL', `the VectorXLite native addon ${candidate} failed to load: ${String(error)}`, {
        cause: error,
      });
    }
  }
  throw new VectorXLiteError(
    'FAILED_PRECONDITION',
    `the VectorXLite native addon for ${target} is not installed: neither the package ${platformPackageName(target)} ` +
      `nor ${local} exists. Build it from source with "npm run build:native" (needs Rust; see docs/addon.md).`,
  );
}

let addon: NativeAddon | undefined;

/** The addon for this platform, loaded on first use so that importing the package never fails. */
export function native(): NativeAddon {
  addon ??= loadAddon(currentTarget());
  return addon;
}

let extensionPath: string | undefined;

/** The vectorlite shared library (without its file extension, as SQLite accepts it) from npm. */
export function vectorlitePath(): string {
  if (extensionPath !== undefined) return extensionPath;
  const target = currentTarget();
  try {
    const vectorlite = require('vectorlite') as { vectorlitePath(): string };
    extensionPath = vectorlite.vectorlitePath();
  } catch (error) {
    throw new VectorXLiteError(
      'FAILED_PRECONDITION',
      `the vectorlite extension for ${target} is not installed (npm package vectorlite and its platform package): ` +
        `reinstall with "npm ci". ${String(error)}`,
      { cause: error },
    );
  }
  return extensionPath;
}
