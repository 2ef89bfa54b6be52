/**
 * The two systems behind one shape: VectorXLite through ClusterClient, etcd through the etcd3
 * client. Both send every call to the leader (ClusterClient finds it itself; the etcd client is
 * given the leader's URL), so neither pays a forwarding hop.
 */
import { Etcd3 } from 'etcd3';
import { ClusterClient } from '../../cluster/client/index.js';
import { DIMENSION, etcdKey, etcdValue, payloadInsert, payloadSchema, queries, vectorFor } from './workload.js';

/** Clients per system; concurrent callers beyond this share channels, as in bench/server.ts. */
const CLIENTS = 8;
const CALL_DEADLINE_MS = 30_000;
const READ_COLLECTION = 'bench_read';
const TOP_K = 10;
/** Points per preload call: under etcd's default limit of 128 operations per txn. */
const PRELOAD_BATCH = 100;

/** linearizable: VectorXLite ReadIndex / etcd's default range; weak: VectorXLite's leader read / etcd serializable. */
export type ReadLevel = 'linearizable' | 'weak';

/** A place (collection, key prefix) that one write load fills. */
export interface WritePhase {
  /** Writes point `sequence`. */
  writeOne(sequence: number): Promise<void>;
  /** Writes points sequence × size .. sequence × size + size - 1 in one call. */
  writeBatch(sequence: number, size: number): Promise<void>;
  /** Frees what the phase used. */
  end(): Promise<void>;
}

export interface Target {
  readonly name: string;
  beginWrites(phase: string): Promise<WritePhase>;
  /** Writes the `count` points reads then look up. */
  preloadReads(count: number): Promise<void>;
  /** One read: a top-10 search (VectorXLite) or a single-key range (etcd). */
  read(level: ReadLevel, sequence: number): Promise<void>;
  close(): Promise<void>;
}

function ids(firstId: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => firstId + i);
}

export function vectorXLiteTarget(addresses: string[]): Target {
  const clients = Array.from({ length: CLIENTS }, () => new ClusterClient(addresses, { deadlineMs: CALL_DEADLINE_MS, maxMessageBytes: 64 * 1024 * 1024 }));
  const client = (sequence: number) => clients[sequence % CLIENTS]!;
  const points = (collection: string, firstId: number, count: number) =>
    ids(firstId, count).map((id) => ({ id, vector: vectorFor(id), payloadInsertQuery: payloadInsert(collection) }));
  const create = (name: string) => clients[0]!.createCollection({ name, dimension: DIMENSION, distance: 'cosine', payloadSchema: payloadSchema(name) });
  let readPoints = 0;
  return {
    name: 'VectorXLite',
    async beginWrites(collection) {
      await create(collection);
      return {
        writeOne: (id) => client(id).insert({ collection, id, vector: vectorFor(id), payloadInsertQuery: payloadInsert(collection) }),
        writeBatch: (sequence, size) => client(sequence).insertBatch(collection, points(collection, sequence * size, size)),
        // Each collection's HNSW index holds tens of MiB on every node: drop it once measured.
        end: () => clients[0]!.deleteCollection(collection),
      };
    },
    async preloadReads(count) {
      await create(READ_COLLECTION);
      for (let id = 0; id < count; id += PRELOAD_BATCH) {
        await clients[0]!.insertBatch(READ_COLLECTION, points(READ_COLLECTION, id, Math.min(PRELOAD_BATCH, count - id)));
      }
      readPoints = count;
    },
    async read(consistency, sequence) {
      if (readPoints === 0) throw new Error('preloadReads first');
      await client(sequence).search({ collection: READ_COLLECTION, vector: queries[sequence % queries.length]!, topK: TOP_K, consistency });
    },
    close: async () => void (await Promise.all(clients.map((c) => c.close()))),
  };
}

export function etcdTarget(leaderEndpoint: string): Target {
  const clients = Array.from({ length: CLIENTS }, () => new Etcd3({ hosts: leaderEndpoint, defaultCallOptions: () => ({ deadline: Date.now() + CALL_DEADLINE_MS }) }));
  const client = (sequence: number) => clients[sequence % CLIENTS]!;
  // A txn with no comparisons, only puts: one Raft entry holding the whole batch, as InsertBatch is on our side.
  const putAll = (prefix: string, firstId: number, count: number, via: Etcd3) =>
    via.kv.txn({ success: ids(firstId, count).map((id) => ({ request_put: { key: Buffer.from(etcdKey(prefix, id)), value: etcdValue(prefix, id) } })) });
  let readPoints = 0;
  return {
    name: 'etcd',
    async beginWrites(prefix) {
      return {
        writeOne: async (id) => void (await client(id).put(etcdKey(prefix, id)).value(etcdValue(prefix, id))),
        writeBatch: async (sequence, size) => void (await putAll(prefix, sequence * size, size, client(sequence))),
        // Deleting would only add tombstones; etcd's data is small and thrown away after the run.
        end: async () => undefined,
      };
    },
    async preloadReads(count) {
      for (let id = 0; id < count; id += PRELOAD_BATCH) await putAll(READ_COLLECTION, id, Math.min(PRELOAD_BATCH, count - id), clients[0]!);
      readPoints = count;
    },
    async read(level, sequence) {
      if (readPoints === 0) throw new Error('preloadReads first');
      const value = await client(sequence).get(etcdKey(READ_COLLECTION, sequence % readPoints)).serializable(level === 'weak').buffer();
      if (value === null) throw new Error(`etcd lost preloaded key ${sequence % readPoints}`);
    },
    close: async () => void clients.forEach((c) => c.close()),
  };
}
