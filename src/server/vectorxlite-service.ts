import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from '@grpc/grpc-js';
import {
  VectorXLitePBService,
  type CollectionConfigPB,
  type CollectionExistsRequestPB,
  type CollectionExistsResponsePB,
  type CollectionInfoPB,
  type DeleteCollectionRequestPB,
  type DeleteRequestPB,
  type DeleteResponsePB,
  type DigestResponsePB,
  type EmptyPB,
  type ExportSnapshotRequestPB,
  type GetCollectionInfoRequestPB,
  type GetPointRequestPB,
  type GetPointResponsePB,
  type ImportSnapshotResponsePB,
  type InsertBatchRequestPB,
  type InsertBatchResponsePB,
  type InsertPointPB,
  type ListCollectionsResponsePB,
  type SearchPointPB,
  type SearchResponsePB,
  type SnapshotChunkPB,
  type VectorXLitePBServer,
} from '../gen/vectorxlite/v1/vectorxlite.js';
import type { CollectionInfo } from '../embedded/types.js';
import { VectorXLiteError } from '../errors.js';
import { SnapshotStreamAssembler } from '../snapshot/import-assembler.js';
import { resolveChunkSize, snapshotChunks } from '../snapshot/export-stream.js';
import type { VectorDbMetrics } from '../observability/metrics.js';
import type { CallAdapter, CallContext } from './adapter.js';
import { parseDistance } from './distance.js';
import type { Engine } from './engine.js';
import { checkBatchSize, checkCollectionDimension, checkDimension, checkTopK, type RequestLimits } from './limits.js';
import { withSafeDecoding } from './malformed.js';
import { payloadToEntries, payloadToKeyValues } from './payload.js';

const DEFAULT_TOP_K = 10;
/** Room for a chunk's fields besides its data (file name, offset, flags). */
const CHUNK_FRAMING_BYTES = 1024;

export interface VectorXLiteServiceOptions {
  engine: Engine;
  adapter: CallAdapter;
  metrics: VectorDbMetrics;
  limits: RequestLimits;
  /** The server's message size limit; snapshot chunks must fit in it. */
  maxMessageBytes: number;
  /** Where snapshot files are staged while streaming; each operation uses its own subfolder. */
  stagingDir: string;
}

/** The `vectorxlite_pb.VectorXLitePB` service over one engine. */
export class VectorXLiteService {
  private importing = false;

  constructor(private readonly options: VectorXLiteServiceOptions) {}

  addTo(server: Server): void {
    const a = this.options.adapter;
    const handlers: VectorXLitePBServer = {
      createCollection: a.unary('CreateCollection', (r: CollectionConfigPB) => this.createCollection(r), { operation: 'create_collection' }),
      insert: a.unary('Insert', (r: InsertPointPB) => this.insert(r), { operation: 'insert' }),
      search: a.unary('Search', (r: SearchPointPB) => this.search(r), { operation: 'search' }),
      collectionExists: a.unary('CollectionExists', (r: CollectionExistsRequestPB) => this.collectionExists(r), {
        operation: 'collection_exists',
      }),
      delete: a.unary('Delete', (r: DeleteRequestPB) => this.delete(r), { operation: 'delete' }),
      deleteCollection: a.unary('DeleteCollection', (r: DeleteCollectionRequestPB) => this.deleteCollection(r), {
        operation: 'delete_collection',
      }),
      exportSnapshot: a.serverStreaming(
        'ExportSnapshot',
        (r: ExportSnapshotRequestPB, send: (c: SnapshotChunkPB) => Promise<void>, ctx: CallContext) => this.exportSnapshot(r, send, ctx),
        { operation: 'export_snapshot' },
      ),
      importSnapshot: a.clientStreaming('ImportSnapshot', (chunks: AsyncIterable<SnapshotChunkPB>, ctx: CallContext) => this.importSnapshot(chunks, ctx), {
        operation: 'import_snapshot',
      }),
      insertBatch: a.unary('InsertBatch', (r: InsertBatchRequestPB) => this.insertBatch(r), { operation: 'insert_batch' }),
      listCollections: a.unary('ListCollections', () => this.listCollections(), { operation: 'list_collections' }),
      getCollectionInfo: a.unary('GetCollectionInfo', (r: GetCollectionInfoRequestPB) => this.collectionInfo(r), {
        operation: 'collection_info',
      }),
      get: a.unary('Get', (r: GetPointRequestPB) => this.get(r), { operation: 'get' }),
      digest: a.unary('Digest', () => this.digest(), { operation: 'digest' }),
    };
    server.addService(withSafeDecoding(VectorXLitePBService), handlers);
  }

  private get engine(): Engine {
    return this.options.engine;
  }

  /** `index_file_path` is accepted for compatibility; the engine keeps index files beside the database. */
  private async createCollection(r: CollectionConfigPB): Promise<EmptyPB> {
    checkCollectionDimension(r.vectorDimension, this.options.limits);
    await this.engine.createCollection({
      name: r.collectionName,
      dimension: r.vectorDimension,
      distance: parseDistance(r.distance),
      payloadSchema: r.payloadTableSchema || undefined,
      maxElements: r.maxElements || undefined,
      hnsw: r.hnswM || r.hnswEfConstruction ? { m: r.hnswM || undefined, efConstruction: r.hnswEfConstruction || undefined } : undefined,
    });
    return {};
  }

  private async insert(r: InsertPointPB): Promise<EmptyPB> {
    checkDimension(r.vector.length, this.options.limits, 'the vector');
    await this.engine.insert({
      collection: r.collectionName,
      id: r.id,
      vector: r.vector,
      payloadInsertQuery: r.payloadInsertQuery || undefined,
    });
    return {};
  }

  private async insertBatch(r: InsertBatchRequestPB): Promise<InsertBatchResponsePB> {
    const { limits, metrics } = this.options;
    checkBatchSize(r.points.length, limits);
    if (r.points.length === 0) throw new VectorXLiteError('INVALID_ARGUMENT', 'the batch has no points');
    r.points.forEach((p, i) => checkDimension(p.vector.length, limits, `point #${i} (id ${p.id})`));
    metrics.batchSize.observe({ operation: 'insert_batch' }, r.points.length);
    await this.engine.insertBatch(
      r.collectionName,
      r.points.map((p) => ({ id: p.id, vector: p.vector, payloadInsertQuery: p.payloadInsertQuery || undefined })),
    );
    return { inserted: r.points.length };
  }

  private async search(r: SearchPointPB): Promise<SearchResponsePB> {
    const topK = r.topK || DEFAULT_TOP_K;
    checkTopK(topK, this.options.limits);
    checkDimension(r.vector.length, this.options.limits, 'the query vector');
    const hits = await this.engine.search({
      collection: r.collectionName,
      vector: r.vector,
      topK,
      payloadSearchQuery: r.payloadSearchQuery || undefined,
      ef: r.ef || undefined,
    });
    return {
      results: hits.map((h) => ({
        rowid: h.id,
        distance: h.distance,
        payload: payloadToKeyValues(h.payload),
        typedPayload: payloadToEntries(h.payload),
      })),
    };
  }

  private async collectionExists(r: CollectionExistsRequestPB): Promise<CollectionExistsResponsePB> {
    return { exists: await this.engine.collectionExists(r.collectionName) };
  }

  private async delete(r: DeleteRequestPB): Promise<DeleteResponsePB> {
    const existed = await this.engine.delete({ collection: r.collectionName, id: r.id });
    const message = existed ? `deleted point ${r.id}` : `no point ${r.id} in ${r.collectionName}; nothing deleted`;
    return { success: true, message, existed };
  }

  private async deleteCollection(r: DeleteCollectionRequestPB): Promise<DeleteResponsePB> {
    await this.engine.deleteCollection(r.collectionName);
    return { success: true, message: `deleted collection ${r.collectionName}`, existed: true };
  }

  private async listCollections(): Promise<ListCollectionsResponsePB> {
    return { collections: (await this.engine.listCollections()).map(infoToWire) };
  }

  private async collectionInfo(r: GetCollectionInfoRequestPB): Promise<CollectionInfoPB> {
    return infoToWire(await this.engine.collectionInfo(r.collectionName));
  }

  private async get(r: GetPointRequestPB): Promise<GetPointResponsePB> {
    const point = await this.engine.get(r.collectionName, r.id);
    if (!point) return { found: false, id: r.id, vector: [], payload: [] };
    return { found: true, id: point.id, vector: Array.from(point.vector), payload: payloadToEntries(point.payload) };
  }

  private async digest(): Promise<DigestResponsePB> {
    return { digest: await this.engine.digest() };
  }

  private async exportSnapshot(r: ExportSnapshotRequestPB, send: (chunk: SnapshotChunkPB) => Promise<void>, ctx: CallContext): Promise<void> {
    const chunkSize = resolveChunkSize(r.chunkSize);
    if (chunkSize + CHUNK_FRAMING_BYTES > this.options.maxMessageBytes) {
      throw new VectorXLiteError(
        'RESOURCE_EXHAUSTED',
        `chunk_size ${chunkSize} does not fit this server's message limit of ${this.options.maxMessageBytes} bytes; ask for smaller chunks`,
      );
    }
    await this.withStagingDir(async (dir) => {
      const file = join(dir, 'export.vxlsnap');
      const metadata = await this.engine.exportSnapshot(file);
      ctx.log.info({ snapshotId: metadata.snapshotId, totalSize: metadata.totalSize }, 'streaming snapshot');
      for await (const chunk of snapshotChunks(file, { chunkSize, includeIndexFiles: r.includeIndexFiles })) {
        await send(chunk);
      }
    });
  }

  /** The served data is replaced only after the whole stream verified; any failure leaves it as it was. */
  private async importSnapshot(chunks: AsyncIterable<SnapshotChunkPB>, ctx: CallContext): Promise<ImportSnapshotResponsePB> {
    if (this.importing) {
      throw new VectorXLiteError('FAILED_PRECONDITION', 'another snapshot import is in progress; retry when it has finished');
    }
    this.importing = true;
    try {
      return await this.withStagingDir(async (dir) => {
        const assembler = new SnapshotStreamAssembler(join(dir, 'import.vxlsnap'));
        try {
          for await (const chunk of chunks) await assembler.accept(chunk);
          await assembler.finish();
          if (ctx.signal.aborted) throw new VectorXLiteError('CANCELLED', 'the import was cancelled; nothing was imported');
          const result = await this.engine.importSnapshot(join(dir, 'import.vxlsnap'));
          ctx.log.info({ snapshotId: result.snapshotId, bytesRestored: result.bytesRestored }, 'snapshot imported');
          return { success: true, errorMessage: '', ...result };
        } finally {
          await assembler.discard();
        }
      });
    } finally {
      this.importing = false;
    }
  }

  private async withStagingDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(this.options.stagingDir, 'vxl-snapshot-'));
    try {
      return await body(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

function infoToWire(info: CollectionInfo): CollectionInfoPB {
  return {
    collectionName: info.name,
    vectorDimension: info.dimension,
    distance: info.distance,
    count: info.count,
    maxElements: info.maxElements,
  };
}
