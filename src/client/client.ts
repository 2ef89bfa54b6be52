import { randomUUID } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ChannelCredentials, Metadata, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import {
  VectorXLitePBClient,
  type CollectionExistsResponsePB,
  type CollectionInfoPB,
  type DeleteResponsePB,
  type DigestResponsePB,
  type GetPointResponsePB,
  type ImportSnapshotResponsePB,
  type ListCollectionsResponsePB,
  type SearchResponsePB,
  type SnapshotChunkPB,
} from '../gen/vectorxlite/v1/vectorxlite.js';
import type {
  BatchPoint,
  CollectionInfo,
  CreateCollectionOptions,
  DeleteOptions,
  Distance,
  ImportResult,
  InsertOptions,
  Point,
  SearchOptions,
  SearchResult,
  SnapshotMetadata,
  VectorInput,
} from '../embedded/types.js';
import { VectorXLiteError } from '../errors.js';
import { payloadFromEntries } from '../server/payload.js';
import { snapshotChunks } from '../snapshot/export-stream.js';
import { fsyncPath } from '../snapshot/fsync.js';
import { SnapshotStreamAssembler } from '../snapshot/import-assembler.js';
import { fromServiceError, isFileSystemError } from './errors.js';
import { withRetry, type RetryPolicy } from './retry.js';

export interface TlsOptions {
  /** PEM of the CA that signed the server's certificate; default: the system's roots. */
  ca?: Buffer | string;
  /** Client certificate and key, for servers that ask for one. */
  cert?: Buffer | string;
  key?: Buffer | string;
  /** The name to check the certificate against when it differs from the address's host. */
  serverName?: string;
}

export interface ClientOptions {
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** true or TLS settings to connect over TLS; default plaintext. */
  tls?: boolean | TlsOptions;
  /** Deadline of each call unless the call gives its own. Default 30 s. */
  deadlineMs?: number;
  /** Retries of idempotent calls (reads) on UNAVAILABLE. */
  retry?: RetryPolicy;
  /** Largest message this client sends or accepts. Default 4 MiB, as the server's default. */
  maxMessageBytes?: number;
}

export interface CallOptions {
  /** Overrides the client's deadlineMs for this call (retries included). */
  deadlineMs?: number;
}

export interface SnapshotTransferOptions extends CallOptions {
  /** Bytes per chunk; default 64 KiB. */
  chunkSize?: number;
  /** Whether HNSW index files ride along (else the importer rebuilds them). Default true. */
  includeIndexFiles?: boolean;
}

export const DEFAULT_DEADLINE_MS = 30_000;

/**
 * A VectorXLite server, with the embedded API's method names and shapes: code moves between
 * embedded and remote by changing how the database is constructed. Every failure is a
 * VectorXLiteError carrying the same codes as the embedded API.
 */
export class VectorXLiteClient {
  private readonly stub: VectorXLitePBClient;
  private readonly options: ClientOptions;
  private closed = false;

  constructor(address: string, options: ClientOptions = {}) {
    validateClientOptions(options);
    this.options = options;
    const channel = channelFor(options);
    this.stub = new VectorXLitePBClient(address, channel.credentials, channel.options);
  }

  async createCollection(options: CreateCollectionOptions, call?: CallOptions): Promise<void> {
    await this.unary(call, false, (m, o, cb) =>
      this.stub.createCollection(
        {
          collectionName: options.name,
          distance: options.distance ?? '',
          vectorDimension: options.dimension,
          payloadTableSchema: options.payloadSchema ?? '',
          indexFilePath: '',
          maxElements: options.maxElements ?? 0,
          hnswM: options.hnsw?.m ?? 0,
          hnswEfConstruction: options.hnsw?.efConstruction ?? 0,
        },
        m,
        o,
        cb,
      ),
    );
  }

  async collectionExists(name: string, call?: CallOptions): Promise<boolean> {
    const r = await this.unary<CollectionExistsResponsePB>(call, true, (m, o, cb) => this.stub.collectionExists({ collectionName: name }, m, o, cb));
    return r.exists;
  }

  async listCollections(call?: CallOptions): Promise<CollectionInfo[]> {
    const r = await this.unary<ListCollectionsResponsePB>(call, true, (m, o, cb) => this.stub.listCollections({}, m, o, cb));
    return r.collections.map(infoFromWire);
  }

  async collectionInfo(name: string, call?: CallOptions): Promise<CollectionInfo> {
    return infoFromWire(await this.unary<CollectionInfoPB>(call, true, (m, o, cb) => this.stub.getCollectionInfo({ collectionName: name }, m, o, cb)));
  }

  async insert(options: InsertOptions, call?: CallOptions): Promise<void> {
    const id = checkId(options.id);
    await this.unary(call, false, (m, o, cb) =>
      this.stub.insert(
        { collectionName: options.collection, id, vector: toArray(options.vector), payloadInsertQuery: options.payloadInsertQuery ?? '' },
        m,
        o,
        cb,
      ),
    );
  }

  /** Atomic: either every point is inserted or none. */
  async insertBatch(collection: string, points: BatchPoint[], call?: CallOptions): Promise<void> {
    if (!Array.isArray(points)) throw new VectorXLiteError('INVALID_ARGUMENT', 'points must be an array of { id, vector, payloadInsertQuery? }');
    const wirePoints = points.map((p) => ({ id: checkId(p.id), vector: toArray(p.vector), payloadInsertQuery: p.payloadInsertQuery ?? '' }));
    await this.unary(call, false, (m, o, cb) => this.stub.insertBatch({ collectionName: collection, points: wirePoints }, m, o, cb));
  }

  async search(options: SearchOptions, call?: CallOptions): Promise<SearchResult[]> {
    if (options.topK !== undefined && (!Number.isSafeInteger(options.topK) || options.topK < 1)) {
      throw new VectorXLiteError('INVALID_ARGUMENT', `topK must be a positive integer, got ${String(options.topK)}`);
    }
    const r = await this.unary<SearchResponsePB>(call, true, (m, o, cb) =>
      this.stub.search(
        {
          collectionName: options.collection,
          vector: toArray(options.vector),
          topK: options.topK ?? 0,
          payloadSearchQuery: options.payloadSearchQuery ?? '',
          ef: options.ef ?? 0,
        },
        m,
        o,
        cb,
      ),
    );
    return r.results.map((item) => ({
      id: item.rowid,
      distance: item.distance,
      // Servers that predate typed payloads send only strings; keep those rather than nothing.
      payload:
        item.typedPayload.length > 0 || item.payload.length === 0
          ? payloadFromEntries(item.typedPayload)
          : Object.fromEntries(item.payload.map((kv) => [kv.key, kv.value])),
    }));
  }

  async get(collection: string, id: number, call?: CallOptions): Promise<Point | null> {
    const wireId = checkId(id);
    const r = await this.unary<GetPointResponsePB>(call, true, (m, o, cb) => this.stub.get({ collectionName: collection, id: wireId }, m, o, cb));
    if (!r.found) return null;
    return { id: r.id, vector: Float32Array.from(r.vector), payload: payloadFromEntries(r.payload) };
  }

  /** Resolves true if the point existed. */
  async delete(options: DeleteOptions, call?: CallOptions): Promise<boolean> {
    const id = checkId(options.id);
    const r = await this.unary<DeleteResponsePB>(call, false, (m, o, cb) => this.stub.delete({ collectionName: options.collection, id }, m, o, cb));
    return r.existed;
  }

  async deleteCollection(name: string, call?: CallOptions): Promise<void> {
    await this.unary(call, false, (m, o, cb) => this.stub.deleteCollection({ collectionName: name }, m, o, cb));
  }

  /**
   * The server's VectorXLite.digest(): SHA-256 (lowercase hex) over every collection's
   * settings, points and payload rows, equal on servers and embedded databases that applied
   * the same writes. Reads every point on the server: O(size of the database).
   */
  async digest(call?: CallOptions): Promise<string> {
    const r = await this.unary<DigestResponsePB>(call, true, (m, o, cb) => this.stub.digest({}, m, o, cb));
    return r.digest;
  }

  /**
   * Streams the server's snapshot into a snapshot file (docs/snapshot-format.md) at `path`,
   * verifying every checksum; the file appears only when complete and verified.
   */
  async exportSnapshotToFile(path: string, options: SnapshotTransferOptions = {}): Promise<SnapshotMetadata> {
    this.checkOpen();
    const partial = join(dirname(path), `.${randomUUID()}.vxlsnap.partial`);
    const assembler = new SnapshotStreamAssembler(partial);
    const stream = this.stub.exportSnapshot(
      { chunkSize: options.chunkSize ?? 0, includeIndexFiles: options.includeIndexFiles ?? true },
      this.metadata(),
      { deadline: this.deadline(options) },
    );
    try {
      for await (const chunk of stream as AsyncIterable<SnapshotChunkPB>) await assembler.accept(chunk);
      const metadata = await assembler.finish();
      await rename(partial, path);
      // The rename is only durable once the directory entry is on disk too.
      await fsyncPath(dirname(path), { directory: true });
      return metadata;
    } catch (err) {
      stream.cancel();
      await assembler.discard();
      throw isFileSystemError(err) ? new VectorXLiteError('IO_ERROR', `cannot save the snapshot as ${path}: ${err.message}`, { cause: err }) : fromServiceError(err);
    }
  }

  /** Streams a snapshot file to the server, which verifies it and then replaces its data. */
  async importSnapshotFromFile(path: string, options: SnapshotTransferOptions = {}): Promise<ImportResult> {
    this.checkOpen();
    let call: ReturnType<VectorXLitePBClient['importSnapshot']> | undefined;
    const response = new Promise<ImportSnapshotResponsePB>((resolve, reject) => {
      call = this.stub.importSnapshot(this.metadata(), { deadline: this.deadline(options) }, (err, r) => (err ? reject(err) : resolve(r)));
    });
    const stream = call as NonNullable<typeof call>;
    // The server may answer early (a rejected chunk, a wrong token): stop sending then.
    let answered = false;
    const settled = response.then(
      () => (answered = true),
      () => (answered = true),
    );
    try {
      for await (const chunk of snapshotChunks(path, { chunkSize: options.chunkSize, includeIndexFiles: options.includeIndexFiles })) {
        if (answered) break;
        if (!stream.write(chunk)) await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), settled]);
      }
      stream.end();
    } catch (err) {
      stream.cancel();
      await settled;
      throw fromServiceError(err);
    }
    try {
      const r = await response;
      return { snapshotId: r.snapshotId, bytesRestored: r.bytesRestored, filesRestored: r.filesRestored };
    } catch (err) {
      throw fromServiceError(err);
    }
  }

  /** Closes the channel. Idempotent; later calls reject with CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stub.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new VectorXLiteError('CLOSED', 'the client is closed; create a new VectorXLiteClient');
  }

  private metadata(): Metadata {
    const metadata = new Metadata();
    if (this.options.token !== undefined) metadata.set('authorization', `Bearer ${this.options.token}`);
    return metadata;
  }

  private deadline(call: CallOptions | undefined): Date {
    return new Date(Date.now() + (call?.deadlineMs ?? this.options.deadlineMs ?? DEFAULT_DEADLINE_MS));
  }

  /** One unary call under one deadline; reads (`idempotent`) are retried on UNAVAILABLE. */
  private async unary<Res>(
    call: CallOptions | undefined,
    idempotent: boolean,
    invoke: (metadata: Metadata, options: { deadline: Date }, callback: (err: ServiceError | null, res: Res) => void) => ClientUnaryCall,
  ): Promise<Res> {
    this.checkOpen();
    const deadline = this.deadline(call);
    const once = (): Promise<Res> =>
      new Promise<Res>((resolve, reject) => {
        invoke(this.metadata(), { deadline }, (err, res) => (err ? reject(fromServiceError(err)) : resolve(res)));
      });
    return idempotent ? withRetry(this.options.retry ?? {}, once) : once();
  }
}

/** Credentials and channel options for ClientOptions; shared with the cluster client. */
export function channelFor(options: ClientOptions): { credentials: ChannelCredentials; options: Record<string, string | number> } {
  const channelOptions: Record<string, string | number> = {};
  if (options.maxMessageBytes !== undefined) {
    channelOptions['grpc.max_receive_message_length'] = options.maxMessageBytes;
    channelOptions['grpc.max_send_message_length'] = options.maxMessageBytes;
  }
  const tls = options.tls === true ? {} : options.tls || undefined;
  if (tls?.serverName) channelOptions['grpc.ssl_target_name_override'] = tls.serverName;
  return { credentials: credentialsFor(tls), options: channelOptions };
}

function credentialsFor(tls: TlsOptions | undefined): ChannelCredentials {
  if (!tls) return ChannelCredentials.createInsecure();
  const buf = (v: Buffer | string | undefined): Buffer | null => (v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v));
  return ChannelCredentials.createSsl(buf(tls.ca), buf(tls.key), buf(tls.cert));
}

export function validateClientOptions(options: ClientOptions): void {
  if (options.deadlineMs !== undefined && !(Number.isFinite(options.deadlineMs) && options.deadlineMs > 0)) {
    throw new VectorXLiteError('INVALID_ARGUMENT', 'deadlineMs must be a positive number of milliseconds');
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '' || /[\r\n]/.test(options.token))) {
    throw new VectorXLiteError('INVALID_ARGUMENT', 'token must be a non-empty string without line breaks');
  }
  if (typeof options.tls === 'object' && options.tls !== null && (options.tls.cert === undefined) !== (options.tls.key === undefined)) {
    throw new VectorXLiteError('INVALID_ARGUMENT', 'tls.cert and tls.key must be given together');
  }
}

export function checkId(id: number): number {
  if (!Number.isSafeInteger(id)) throw new VectorXLiteError('INVALID_ARGUMENT', `id must be a safe integer, got ${String(id)}`);
  return id;
}

export function toArray(vector: VectorInput): number[] {
  if (vector instanceof Float32Array) return Array.from(vector);
  if (Array.isArray(vector)) return vector;
  throw new VectorXLiteError('INVALID_ARGUMENT', 'vector must be a Float32Array or an array of numbers');
}

function infoFromWire(info: CollectionInfoPB): CollectionInfo {
  return {
    name: info.collectionName,
    dimension: info.vectorDimension,
    distance: info.distance as Distance,
    count: info.count,
    maxElements: info.maxElements,
  };
}
