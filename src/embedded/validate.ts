/**
 * Up-front checks of the embedded API's arguments: one function per options object, one
 * sentence per rule, each failure an INVALID_ARGUMENT VectorXLiteError saying what to fix.
 * They also normalize: defaults applied, vectors as Float32Array, as the addon expects.
 */
import { VectorXLiteError } from '../errors.js';
import type { NativeCollectionConfig, NativePoint, NativeSearchQuery } from './native.js';
import type {
  DeleteOptions,
  Distance,
  ExportSnapshotStreamOptions,
  ImportSnapshotStreamOptions,
  OpenOptions,
  VectorInput,
} from './types.js';

const DEFAULT_TOP_K = 10;
const DISTANCES: readonly Distance[] = ['cosine', 'l2', 'ip'];
/** Names become SQL identifiers (table names), so only plain ones are accepted. */
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The addon reads counts and sizes as unsigned 32-bit integers. */
const MAX_U32 = 2 ** 32 - 1;

function invalid(message: string): VectorXLiteError {
  return new VectorXLiteError('INVALID_ARGUMENT', message);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Float32Array) return `a Float32Array of ${value.length}`;
  return typeof value === 'number' ? String(value) : typeof value;
}

function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${what} must be an object, got ${describe(value)}.`);
  }
  return value as Record<string, unknown>;
}

/** A positive integer the addon can hold, or undefined when absent. */
function optionalPositiveInteger(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_U32) {
    throw invalid(`${what} must be a positive integer (at most ${MAX_U32}), got ${describe(value)}.`);
  }
  return value;
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${what} must be a string, got ${describe(value)}.`);
  return value;
}

export function validateName(value: unknown, what = 'collection name'): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw invalid(
      `${what} must be letters, digits and underscores, not starting with a digit; got ${describe(value)}.`,
    );
  }
  return value;
}

export function validateId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw invalid(`id must be a safe integer (Number.isSafeInteger), got ${describe(value)}.`);
  }
  return value;
}

/**
 * A Float32Array or number[] with at least one component, every one finite as a float32.
 * A Float32Array is passed on as it is: the addon copies it during the call, so the caller
 * may reuse it as soon as the method returns.
 */
export function validateVector(value: unknown, what = 'vector'): Float32Array {
  let vector: Float32Array;
  if (value instanceof Float32Array) vector = value;
  else if (Array.isArray(value) && value.every((x) => typeof x === 'number')) vector = new Float32Array(value as VectorInput);
  else throw invalid(`${what} must be a Float32Array or an array of numbers, got ${describe(value)}.`);
  if (vector.length === 0) throw invalid(`${what} must not be empty.`);
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) {
      throw invalid(`${what}[${i}] must be a finite number within float32 range, got ${vector[i]}.`);
    }
  }
  return vector;
}

export function validatePath(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(`${what} must be a non-empty string, got ${describe(value)}.`);
  }
  return value;
}

export function validateOpenOptions(value: unknown): OpenOptions {
  if (value === undefined) return {};
  const options = requireObject(value, 'open options');
  const onProgress = options.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw invalid(`onProgress must be a function, got ${describe(onProgress)}.`);
  }
  if (options.durable !== undefined && typeof options.durable !== 'boolean') {
    throw invalid(`durable must be a boolean, got ${describe(options.durable)}.`);
  }
  return {
    defaultEf: optionalPositiveInteger(options.defaultEf, 'defaultEf'),
    onProgress: onProgress as OpenOptions['onProgress'],
    durable: options.durable,
  };
}

export function validateCollectionOptions(value: unknown): NativeCollectionConfig {
  const options = requireObject(value, 'createCollection options');
  const dimension = optionalPositiveInteger(options.dimension, 'dimension');
  if (dimension === undefined) throw invalid('dimension is required: the number of components of every vector.');
  const distance = options.distance ?? 'cosine';
  if (!DISTANCES.includes(distance as Distance)) {
    throw invalid(`distance must be one of ${DISTANCES.join(', ')}, got ${describe(distance)}.`);
  }
  const hnsw = options.hnsw === undefined ? undefined : requireObject(options.hnsw, 'hnsw');
  return {
    name: validateName(options.name),
    dimension,
    distance: distance as Distance,
    payloadSchema: optionalString(options.payloadSchema, 'payloadSchema'),
    maxElements: optionalPositiveInteger(options.maxElements, 'maxElements'),
    hnsw: hnsw && {
      m: optionalPositiveInteger(hnsw.m, 'hnsw.m'),
      efConstruction: optionalPositiveInteger(hnsw.efConstruction, 'hnsw.efConstruction'),
    },
  };
}

function validatePoint(options: Record<string, unknown>, what: string): NativePoint {
  return {
    id: validateId(options.id),
    vector: validateVector(options.vector, `${what}vector`),
    payloadInsertQuery: optionalString(options.payloadInsertQuery, `${what}payloadInsertQuery`),
  };
}

export function validateInsertOptions(value: unknown): NativePoint & { collection: string } {
  const options = requireObject(value, 'insert options');
  return { collection: validateName(options.collection), ...validatePoint(options, '') };
}

export function validateBatchPoints(value: unknown): NativePoint[] {
  if (!Array.isArray(value)) throw invalid(`points must be an array, got ${describe(value)}.`);
  return value.map((point: unknown, i) => validatePoint(requireObject(point, `points[${i}]`), `points[${i}].`));
}

export function validateSearchOptions(value: unknown): NativeSearchQuery {
  const options = requireObject(value, 'search options');
  return {
    collection: validateName(options.collection),
    vector: validateVector(options.vector),
    topK: optionalPositiveInteger(options.topK, 'topK') ?? DEFAULT_TOP_K,
    payloadSearchQuery: optionalString(options.payloadSearchQuery, 'payloadSearchQuery'),
    ef: optionalPositiveInteger(options.ef, 'ef'),
  };
}

export function validateDeleteOptions(value: unknown): DeleteOptions {
  const options = requireObject(value, 'delete options');
  return { collection: validateName(options.collection), id: validateId(options.id) };
}

/** The staging directory defaults to the OS temp directory; the addon checks that it exists. */
function stagingDir(options: Record<string, unknown>, fallback: string): string {
  return options.stagingDir === undefined ? fallback : validatePath(options.stagingDir, 'stagingDir');
}

export function validateExportStreamOptions(value: unknown, tempDir: string): ExportSnapshotStreamOptions & { stagingDir: string } {
  const options = value === undefined ? {} : requireObject(value, 'exportSnapshotStream options');
  return { stagingDir: stagingDir(options, tempDir), chunkSize: optionalPositiveInteger(options.chunkSize, 'chunkSize') };
}

export function validateImportStreamOptions(value: unknown, tempDir: string): Required<ImportSnapshotStreamOptions> {
  const options = value === undefined ? {} : requireObject(value, 'importSnapshotStream options');
  return { stagingDir: stagingDir(options, tempDir) };
}

/** Something `for await` can walk: an async iterable or a plain iterable (not a string, whose items are characters). */
export function validateChunkSource(value: unknown): AsyncIterable<unknown> | Iterable<unknown> {
  const source = value as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null;
  const iterable =
    typeof value === 'object' && source !== null && (typeof source[Symbol.asyncIterator] === 'function' || typeof source[Symbol.iterator] === 'function');
  if (!iterable) throw invalid(`the snapshot source must be an iterable or async iterable of Uint8Array chunks, got ${describe(value)}.`);
  return value as AsyncIterable<unknown> | Iterable<unknown>;
}

/** One chunk of a snapshot stream, as a Buffer over the same bytes (no copy). */
export function validateChunk(value: unknown, index: number): Buffer {
  if (!(value instanceof Uint8Array)) throw invalid(`snapshot chunk ${index} must be a Uint8Array (or Buffer), got ${describe(value)}.`);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
