/**
 * The binary encoding of commands in Raft log entries (format in docs/state-machine.md).
 * Deterministic: one command has exactly one encoding, so replicas and tests can compare
 * bytes. Vectors travel as raw little-endian float32, never as JSON numbers. Decoding is
 * strict: any byte that does not fit the format is an INVALID_ARGUMENT error, and nothing
 * may follow the command.
 */
import { VectorXLiteError } from '../../src/errors.js';
import type { Distance } from '../../src/embedded/types.js';
import type { CollectionSpec, Command, CommandPoint, CommandType } from './types.js';

/** "VXC" then the format version. */
const MAGIC = [0x56, 0x58, 0x43] as const;
export const COMMAND_FORMAT_VERSION = 1;
export const MAX_CLIENT_ID_BYTES = 256;

const TYPE_CODES: Record<CommandType, number> = {
  createCollection: 1,
  insert: 2,
  insertBatch: 3,
  delete: 4,
  deleteCollection: 5,
};
const TYPES_BY_CODE = new Map(Object.entries(TYPE_CODES).map(([type, code]) => [code, type as CommandType]));
const DISTANCES: readonly Distance[] = ['cosine', 'l2', 'ip'];

/** Presence bits of a collection spec's optional fields; any other bit is malformed. */
const HAS_SCHEMA = 1;
const HAS_MAX_ELEMENTS = 2;
const HAS_M = 4;
const HAS_EF_CONSTRUCTION = 8;
const KNOWN_SPEC_BITS = HAS_SCHEMA | HAS_MAX_ELEMENTS | HAS_M | HAS_EF_CONSTRUCTION;

const MAX_U32 = 2 ** 32 - 1;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function invalid(message: string): VectorXLiteError {
  return new VectorXLiteError('INVALID_ARGUMENT', message);
}

class Writer {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  /** Makes room for `bytes` more bytes and returns where they start; may replace `buffer` and `view`, so read those after calling it. */
  private reserve(bytes: number): number {
    const at = this.length;
    if (at + bytes > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, at + bytes));
      grown.set(this.buffer.subarray(0, at));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length += bytes;
    return at;
  }

  u8(value: number): void {
    const at = this.reserve(1);
    this.view.setUint8(at, value);
  }

  u32(value: number, what: string): void {
    if (!Number.isInteger(value) || value < 0 || value > MAX_U32) throw invalid(`${what} must be an integer in [0, ${MAX_U32}], got ${value}.`);
    const at = this.reserve(4);
    this.view.setUint32(at, value, true);
  }

  /** Ids are int64 on the wire; JavaScript holds them exactly only as safe integers. */
  i64(value: number, what: string): void {
    if (!Number.isSafeInteger(value)) throw invalid(`${what} must be a safe integer, got ${value}.`);
    const at = this.reserve(8);
    this.view.setBigInt64(at, BigInt(value), true);
  }

  bytes(value: Uint8Array): void {
    this.u32(value.length, 'a length');
    const at = this.reserve(value.length);
    this.buffer.set(value, at);
  }

  string(value: string, what: string): void {
    if (typeof value !== 'string') throw invalid(`${what} must be a string.`);
    this.bytes(utf8.encode(value));
  }

  optionalString(value: string | undefined, what: string): void {
    this.u8(value === undefined ? 0 : 1);
    if (value !== undefined) this.string(value, what);
  }

  vector(value: Float32Array, what: string): void {
    if (!(value instanceof Float32Array)) throw invalid(`${what} must be a Float32Array.`);
    this.u32(value.length, `${what} length`);
    const at = this.reserve(value.length * 4);
    for (let i = 0; i < value.length; i++) this.view.setFloat32(at + i * 4, value[i], true);
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

class Reader {
  private readonly view: DataView;
  private at = 0;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  private take(bytes: number, what: string): number {
    if (this.data.length - this.at < bytes) {
      throw invalid(`command bytes end inside ${what} (offset ${this.at}, ${this.data.length} bytes in all).`);
    }
    const at = this.at;
    this.at += bytes;
    return at;
  }

  u8(what: string): number {
    return this.view.getUint8(this.take(1, what));
  }

  u32(what: string): number {
    return this.view.getUint32(this.take(4, what), true);
  }

  i64(what: string): number {
    const value = this.view.getBigInt64(this.take(8, what), true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw invalid(`${what} ${value} is outside the safe integer range.`);
    }
    return Number(value);
  }

  string(what: string): string {
    const length = this.u32(`${what} length`);
    const at = this.take(length, what);
    try {
      return strictUtf8.decode(this.data.subarray(at, at + length));
    } catch (error) {
      throw new VectorXLiteError('INVALID_ARGUMENT', `${what} is not valid UTF-8.`, { cause: error });
    }
  }

  optionalString(what: string): string | undefined {
    const flag = this.u8(`${what} presence flag`);
    if (flag > 1) throw invalid(`${what} presence flag must be 0 or 1, got ${flag}.`);
    return flag === 1 ? this.string(what) : undefined;
  }

  vector(what: string): Float32Array {
    const length = this.u32(`${what} length`);
    if (length > (this.data.length - this.at) / 4) throw invalid(`${what} claims ${length} components but the command is shorter.`);
    const at = this.take(length * 4, what);
    const vector = new Float32Array(length);
    for (let i = 0; i < length; i++) vector[i] = this.view.getFloat32(at + i * 4, true);
    return vector;
  }

  end(): void {
    if (this.at !== this.data.length) throw invalid(`${this.data.length - this.at} unexpected bytes follow the command.`);
  }

  get remaining(): number {
    return this.data.length - this.at;
  }
}

function writeSpec(w: Writer, spec: CollectionSpec): void {
  const distance = DISTANCES.indexOf(spec.distance);
  if (distance < 0) throw invalid(`distance must be one of ${DISTANCES.join(', ')}, got ${String(spec.distance)}.`);
  w.string(spec.name, 'collection name');
  w.u32(spec.dimension, 'dimension');
  w.u8(distance);
  const { payloadSchema, maxElements } = spec;
  const { m, efConstruction } = spec.hnsw ?? {};
  w.u8(
    (payloadSchema !== undefined ? HAS_SCHEMA : 0) |
      (maxElements !== undefined ? HAS_MAX_ELEMENTS : 0) |
      (m !== undefined ? HAS_M : 0) |
      (efConstruction !== undefined ? HAS_EF_CONSTRUCTION : 0),
  );
  if (payloadSchema !== undefined) w.string(payloadSchema, 'payloadSchema');
  if (maxElements !== undefined) w.u32(maxElements, 'maxElements');
  if (m !== undefined) w.u32(m, 'hnsw.m');
  if (efConstruction !== undefined) w.u32(efConstruction, 'hnsw.efConstruction');
}

function readSpec(r: Reader): CollectionSpec {
  const name = r.string('collection name');
  const dimension = r.u32('dimension');
  const code = r.u8('distance');
  const distance = DISTANCES[code];
  if (distance === undefined) throw invalid(`distance code ${code} is unknown (0 cosine, 1 l2, 2 ip).`);
  const bits = r.u8('collection options flags');
  if ((bits & ~KNOWN_SPEC_BITS) !== 0) throw invalid(`collection options flags 0x${bits.toString(16)} hold unknown bits.`);
  const spec: CollectionSpec = { name, dimension, distance };
  if (bits & HAS_SCHEMA) spec.payloadSchema = r.string('payloadSchema');
  if (bits & HAS_MAX_ELEMENTS) spec.maxElements = r.u32('maxElements');
  const hnsw: CollectionSpec['hnsw'] = {};
  if (bits & HAS_M) hnsw.m = r.u32('hnsw.m');
  if (bits & HAS_EF_CONSTRUCTION) hnsw.efConstruction = r.u32('hnsw.efConstruction');
  if (bits & (HAS_M | HAS_EF_CONSTRUCTION)) spec.hnsw = hnsw;
  return spec;
}

function writePoint(w: Writer, point: CommandPoint, what: string): void {
  w.i64(point.id, `${what}id`);
  w.vector(point.vector, `${what}vector`);
  w.optionalString(point.payloadInsertQuery, `${what}payloadInsertQuery`);
}

function readPoint(r: Reader, what: string): CommandPoint {
  const id = r.i64(`${what}id`);
  const vector = r.vector(`${what}vector`);
  const payloadInsertQuery = r.optionalString(`${what}payloadInsertQuery`);
  return payloadInsertQuery === undefined ? { id, vector } : { id, vector, payloadInsertQuery };
}

/** The log entry bytes of `command`; INVALID_ARGUMENT when a field cannot be represented. */
export function encodeCommand(command: Command): Uint8Array {
  const w = new Writer();
  for (const byte of MAGIC) w.u8(byte);
  w.u8(COMMAND_FORMAT_VERSION);
  const code = TYPE_CODES[command.type];
  if (code === undefined) throw invalid(`command type ${String(command.type)} is unknown.`);
  w.u8(code);
  if (typeof command.clientId !== 'string' || utf8.encode(command.clientId).length > MAX_CLIENT_ID_BYTES) {
    throw invalid(`clientId must be a string of at most ${MAX_CLIENT_ID_BYTES} UTF-8 bytes.`);
  }
  w.string(command.clientId, 'clientId');
  w.i64(command.seq, 'seq');
  switch (command.type) {
    case 'createCollection':
      writeSpec(w, command.collection);
      break;
    case 'insert':
      w.string(command.collection, 'collection name');
      writePoint(w, command.point, '');
      break;
    case 'insertBatch':
      w.string(command.collection, 'collection name');
      w.u32(command.points.length, 'points count');
      command.points.forEach((point, i) => writePoint(w, point, `points[${i}].`));
      break;
    case 'delete':
      w.string(command.collection, 'collection name');
      w.i64(command.id, 'id');
      break;
    case 'deleteCollection':
      w.string(command.collection, 'collection name');
      break;
  }
  return w.finish();
}

/** The command in `data`, or INVALID_ARGUMENT saying what is malformed. */
export function decodeCommand(data: Uint8Array): Command {
  const r = new Reader(data);
  for (const byte of MAGIC) {
    if (r.u8('the magic bytes') !== byte) throw invalid('command bytes do not start with the magic "VXC".');
  }
  const version = r.u8('the format version');
  if (version !== COMMAND_FORMAT_VERSION) {
    throw invalid(`command format version ${version} is not supported (this node reads version ${COMMAND_FORMAT_VERSION}).`);
  }
  const code = r.u8('the command type');
  const type = TYPES_BY_CODE.get(code);
  if (type === undefined) throw invalid(`command type code ${code} is unknown.`);
  const clientId = r.string('clientId');
  if (utf8.encode(clientId).length > MAX_CLIENT_ID_BYTES) throw invalid(`clientId is longer than ${MAX_CLIENT_ID_BYTES} bytes.`);
  const seq = r.i64('seq');
  let command: Command;
  switch (type) {
    case 'createCollection':
      command = { type, clientId, seq, collection: readSpec(r) };
      break;
    case 'insert':
      command = { type, clientId, seq, collection: r.string('collection name'), point: readPoint(r, '') };
      break;
    case 'insertBatch': {
      const collection = r.string('collection name');
      const count = r.u32('points count');
      // Every point takes at least 13 bytes, so a count the bytes cannot hold is malformed
      // and never allocates.
      if (count > r.remaining / 13) throw invalid(`points count ${count} does not fit in the command's bytes.`);
      const points = Array.from({ length: count }, (_, i) => readPoint(r, `points[${i}].`));
      command = { type, clientId, seq, collection, points };
      break;
    }
    case 'delete':
      command = { type, clientId, seq, collection: r.string('collection name'), id: r.i64('id') };
      break;
    case 'deleteCollection':
      command = { type, clientId, seq, collection: r.string('collection name') };
      break;
  }
  r.end();
  return command;
}
