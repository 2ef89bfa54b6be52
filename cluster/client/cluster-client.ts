/**
 * A VectorXLite cluster, with VectorXLiteClient's method shapes. Given several node addresses,
 * it sends writes and leader reads to the leader (following redirects, rediscovering it through
 * GetClusterInfo after failures) and retries with backoff through elections within the call's
 * deadline. Writes carry a writer identity the cluster dedups, so a write retried after its
 * leader failed mid-call is applied at most once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientUnaryCall, Metadata, MethodDefinition, ServiceError } from '@grpc/grpc-js';
import {
  checkId,
  DEFAULT_DEADLINE_MS,
  toArray,
  validateClientOptions,
  type CallOptions,
  type ClientOptions,
} from '../../src/client/client.js';
import { backoffDelayMs } from '../../src/client/retry.js';
import type { BatchPoint, CreateCollectionOptions, DeleteOptions, InsertOptions, SearchOptions, SearchResult } from '../../src/embedded/types.js';
import { VectorXLiteError } from '../../src/errors.js';
import {
  ReadConsistency,
  type ClusterInfoResponse,
  type ClusterServiceClient,
  type CollectionExistsResponse,
  type JoinClusterResponse,
  type SearchResponse,
} from '../../src/gen/cluster/v1/cluster.js';
import { ClusterAdminService, type BackupInfo, type InsertBatchRequest, type InsertBatchResponse } from '../server/admin-proto.js';
import { saveSnapshotFile } from './backup-file.js';
import { fetchBackup } from './backup-stream.js';
import { classifyFailure, NoLeaderKnown, type Failure } from './failure.js';
import { ClusterNodes } from './nodes.js';
import { stampWriter, WriterPool, type Writer } from './writers.js';

/** none: the contacted node's data, possibly stale; weak (default): the leader's; linearizable: ReadIndex. */
export type ReadConsistencyLevel = 'none' | 'weak' | 'linearizable';

export type ClusterClientOptions = ClientOptions;

export interface ClusterSearchOptions extends Omit<SearchOptions, 'ef'> {
  consistency?: ReadConsistencyLevel;
}

export interface ReadCallOptions extends CallOptions {
  consistency?: ReadConsistencyLevel;
}

export interface ClusterNode {
  id: string;
  /** Raft address. */
  raftAddr: string;
  /** Client API address ('' when the node did not report one). */
  clusterAddr: string;
  /** `leader`, `follower` or `candidate`, as the answering node sees it. */
  state: string;
  isVoter: boolean;
}

export interface ClusterInfo {
  /** '' while no leader is known. */
  leaderId: string;
  leaderRaftAddr: string;
  leaderClusterAddr: string;
  /** The answering node's own role. */
  state: string;
  nodes: ClusterNode[];
}

export interface JoinOptions {
  nodeId: string;
  /** The joining node's Raft address. */
  raftAddr: string;
  /** The joining node's client API address. */
  clusterAddr: string;
}

export interface BackupOptions extends CallOptions {
  /** Bytes of the file per streamed message; default (0): the node's, 1 MiB. */
  chunkSize?: number;
}

/** A backup saved by ClusterClient.backup: what the leader announced, and where it went. */
export interface ClusterBackup extends BackupInfo {
  /** Absolute path of the file written. */
  file: string;
  /** The member that answered (it relayed the leader's stream when it was a follower). */
  via: string;
}

const CONSISTENCY: Readonly<Record<ReadConsistencyLevel, ReadConsistency>> = {
  none: ReadConsistency.READ_CONSISTENCY_NONE,
  weak: ReadConsistency.READ_CONSISTENCY_WEAK,
  linearizable: ReadConsistency.READ_CONSISTENCY_LINEARIZABLE,
};

/** InsertBatch is not in cluster.v1; the nodes serve it on the same port in their admin service. */
const INSERT_BATCH = ClusterAdminService.InsertBatch as MethodDefinition<InsertBatchRequest, InsertBatchResponse>;

/** Redirects followed in a row before the client backs off (leadership moving under it). */
const MAX_REDIRECT_HOPS = 3;
/** Longest wait for one node's GetClusterInfo while looking for the leader: a paused node must not stall discovery. */
const DISCOVERY_PROBE_MS = 2_000;

/**
 * How a call may be repeated after a failure that may have reached a leader:
 * - safe: reads, and joins (the leader answers a repeated join of a voter with success);
 * - deduped: data writes, which carry a writer identity, so a repeat returns the first outcome;
 * - never: leave, whose repeat would hide the first outcome.
 */
type Replay = 'safe' | 'deduped' | 'never';

type Route = 'leader' | 'local';

type Invoke<Res> = (
  stub: ClusterServiceClient,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (err: ServiceError | null, res: Res) => void,
) => ClientUnaryCall;

interface CallPlan {
  route: Route;
  replay: Replay;
  /** Names the operation in error messages. */
  what: string;
}

export class ClusterClient {
  private readonly nodes: ClusterNodes;
  private readonly writers = new WriterPool();
  private closed = false;

  /** `addresses`: cluster API addresses (host:port) of any members; the first is tried first. */
  constructor(addresses: readonly string[], private readonly options: ClusterClientOptions = {}) {
    if (!Array.isArray(addresses) || addresses.length === 0 || !addresses.every((a) => typeof a === 'string' && /^.+:\d+$/.test(a))) {
      throw new VectorXLiteError('INVALID_ARGUMENT', 'addresses must be a non-empty array of host:port strings of cluster nodes');
    }
    validateClientOptions(options);
    this.nodes = new ClusterNodes(addresses, options);
  }

  /** The address leader-bound calls currently go to (undefined while the leader is being looked for). */
  get leaderAddress(): string | undefined {
    return this.nodes.leader;
  }

  async createCollection(options: CreateCollectionOptions, call?: CallOptions): Promise<void> {
    if (options.maxElements !== undefined || options.hnsw !== undefined) {
      throw new VectorXLiteError('INVALID_ARGUMENT', 'the cluster API has no maxElements or hnsw settings; leave them out');
    }
    await this.run({ route: 'leader', replay: 'deduped', what: 'createCollection' }, call, (s, m, o, cb) =>
      s.createCollection(
        {
          collectionName: options.name,
          distance: options.distance ?? '',
          vectorDimension: options.dimension,
          payloadTableSchema: options.payloadSchema ?? '',
          indexFilePath: '',
        },
        m,
        o,
        cb,
      ),
    );
  }

  async collectionExists(name: string, call?: ReadCallOptions): Promise<boolean> {
    const consistency = consistencyOf(call?.consistency);
    const r = await this.run<CollectionExistsResponse>(readPlan(call?.consistency, 'collectionExists'), call, (s, m, o, cb) =>
      s.collectionExists({ collectionName: name, consistency }, m, o, cb),
    );
    return r.exists;
  }

  async insert(options: InsertOptions, call?: CallOptions): Promise<void> {
    const id = checkId(options.id);
    const vector = toArray(options.vector);
    await this.run({ route: 'leader', replay: 'deduped', what: 'insert' }, call, (s, m, o, cb) =>
      s.insert({ collectionName: options.collection, id, vector, payloadInsertQuery: options.payloadInsertQuery ?? '' }, m, o, cb),
    );
  }

  /** Atomic: either every point is inserted or none. */
  async insertBatch(collection: string, points: BatchPoint[], call?: CallOptions): Promise<void> {
    if (!Array.isArray(points)) throw new VectorXLiteError('INVALID_ARGUMENT', 'points must be an array of { id, vector, payloadInsertQuery? }');
    const request = {
      collectionName: collection,
      points: points.map((p) => ({ id: checkId(p.id), vector: toArray(p.vector), payloadInsertQuery: p.payloadInsertQuery ?? '' })),
    };
    await this.run<InsertBatchResponse>({ route: 'leader', replay: 'deduped', what: 'insertBatch' }, call, (s, m, o, cb) =>
      s.makeUnaryRequest(INSERT_BATCH.path, INSERT_BATCH.requestSerialize, INSERT_BATCH.responseDeserialize, request, m, o, (err, res) =>
        cb(err, res as InsertBatchResponse),
      ),
    );
  }

  async search(options: ClusterSearchOptions, call?: CallOptions): Promise<SearchResult[]> {
    if ((options as SearchOptions).ef !== undefined) {
      throw new VectorXLiteError('INVALID_ARGUMENT', 'the cluster API has no per-search ef; leave it out');
    }
    if (options.topK !== undefined && (!Number.isSafeInteger(options.topK) || options.topK < 1)) {
      throw new VectorXLiteError('INVALID_ARGUMENT', `topK must be a positive integer, got ${String(options.topK)}`);
    }
    const consistency = consistencyOf(options.consistency);
    const vector = toArray(options.vector);
    const r = await this.run<SearchResponse>(readPlan(options.consistency, 'search'), call, (s, m, o, cb) =>
      s.search(
        { collectionName: options.collection, vector, topK: options.topK ?? 0, payloadSearchQuery: options.payloadSearchQuery ?? '', consistency },
        m,
        o,
        cb,
      ),
    );
    // cluster.v1 carries payload values as strings only.
    return r.results.map((item) => ({ id: item.rowid, distance: item.distance, payload: Object.fromEntries(item.payload.map((kv) => [kv.key, kv.value])) }));
  }

  async delete(options: DeleteOptions, call?: CallOptions): Promise<void> {
    const id = checkId(options.id);
    await this.run({ route: 'leader', replay: 'deduped', what: 'delete' }, call, (s, m, o, cb) => s.delete({ collectionName: options.collection, id }, m, o, cb));
  }

  async deleteCollection(name: string, call?: CallOptions): Promise<void> {
    await this.run({ route: 'leader', replay: 'deduped', what: 'deleteCollection' }, call, (s, m, o, cb) =>
      s.deleteCollection({ collectionName: name }, m, o, cb),
    );
  }

  /** Membership and roles as one node (the first reachable given address) sees them. */
  async clusterInfo(call?: CallOptions): Promise<ClusterInfo> {
    const r = await this.run<ClusterInfoResponse>({ route: 'local', replay: 'safe', what: 'clusterInfo' }, call, (s, m, o, cb) =>
      s.getClusterInfo({}, m, o, cb),
    );
    this.nodes.absorb(r);
    return infoFromWire(r);
  }

  /** Adds a node (started with `--join` or empty) to the membership; resolves with the leader's id. */
  async join(options: JoinOptions, call?: CallOptions): Promise<{ leaderId: string }> {
    for (const key of ['nodeId', 'raftAddr', 'clusterAddr'] as const) {
      if (typeof options[key] !== 'string' || options[key] === '') throw new VectorXLiteError('INVALID_ARGUMENT', `join needs a non-empty ${key}`);
    }
    const r = await this.run<JoinClusterResponse>({ route: 'leader', replay: 'safe', what: 'join' }, call, (s, m, o, cb) =>
      s.joinCluster({ nodeId: options.nodeId, nodeAddr: options.raftAddr, clusterAddr: options.clusterAddr }, m, o, cb),
    );
    return { leaderId: r.leaderId };
  }

  /** Removes a node from the membership. */
  async leave(nodeId: string, call?: CallOptions): Promise<void> {
    if (typeof nodeId !== 'string' || nodeId === '') throw new VectorXLiteError('INVALID_ARGUMENT', 'leave needs a non-empty node id');
    await this.run({ route: 'leader', replay: 'never', what: 'leave' }, call, (s, m, o, cb) => s.leaveCluster({ nodeId }, m, o, cb));
  }

  /**
   * Saves an online backup of the cluster at `outPath`: the leader's state at a log index that
   * includes every write acknowledged before the call, as an engine snapshot file
   * (docs/snapshot-format.md) that VectorXLite.importSnapshot and `vectorxlite-cluster
   * --restore` load. The file is replaced atomically and only once complete, fsynced and
   * verified (every SHA-256 read back); on failure `outPath` is left as it was. No deadline
   * unless the call or the client sets one: a large backup takes as long as it takes.
   */
  async backup(outPath: string, options: BackupOptions = {}): Promise<ClusterBackup> {
    this.checkOpen();
    if (typeof outPath !== 'string' || outPath === '') throw new VectorXLiteError('INVALID_ARGUMENT', 'backup needs the path of the file to write');
    const chunkSize = options.chunkSize ?? 0;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 0) {
      throw new VectorXLiteError('INVALID_ARGUMENT', `chunkSize must be a non-negative integer (0: the node's default), got ${String(options.chunkSize)}`);
    }
    const limit = options.deadlineMs ?? this.options.deadlineMs;
    const deadline = limit === undefined ? Number.POSITIVE_INFINITY : Date.now() + limit;
    const saved = await saveSnapshotFile(outPath, (partial) => fetchBackup(this.nodes, () => this.checkOpen(), { chunkSize }, partial, deadline));
    return { ...saved.filled.info, file: saved.file, via: saved.filled.via };
  }

  /** Closes every channel. Idempotent; later calls reject with CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.nodes.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new VectorXLiteError('CLOSED', 'the client is closed; create a new ClusterClient');
  }

  /** One operation under one deadline: redirects followed, unavailability retried as its plan allows. */
  private async run<Res>(plan: CallPlan, call: CallOptions | undefined, invoke: Invoke<Res>): Promise<Res> {
    this.checkOpen();
    const writer = plan.replay === 'deduped' ? this.writers.acquire() : undefined;
    try {
      return await this.attempts(plan, call, invoke, writer);
    } finally {
      if (writer) this.writers.release(writer);
    }
  }

  private async attempts<Res>(plan: CallPlan, call: CallOptions | undefined, invoke: Invoke<Res>, writer: Writer | undefined): Promise<Res> {
    const deadline = Date.now() + (call?.deadlineMs ?? this.options.deadlineMs ?? DEFAULT_DEADLINE_MS);
    const maxAttempts = this.options.retry?.attempts ?? Number.POSITIVE_INFINITY;
    let attempt = 0;
    let hops = 0;
    /** Set once a try of a write failed after it may have reached a leader. */
    let mayHaveApplied = false;
    for (;;) {
      this.checkOpen();
      try {
        const address = plan.route === 'leader' ? await this.leader(deadline) : this.nodes.local;
        const metadata = this.nodes.metadata();
        if (writer) stampWriter(metadata, writer);
        return checkSuccess(await this.once(address, deadline, metadata, invoke), plan.what);
      } catch (err) {
        const failure = classifyFailure(err);
        if (failure.kind === 'redirect' && hops < MAX_REDIRECT_HOPS) {
          hops++;
          this.nodes.leaderIs(failure.leader);
          continue;
        }
        if (failure.kind === 'final') {
          if (plan.replay !== 'safe' && failure.error.code === 'DEADLINE_EXCEEDED') throw outcomeUnknown(failure.error, plan.what);
          throw failure.error;
        }
        if (failure.kind === 'unavailable') {
          if (!failure.notSent && plan.replay !== 'safe') {
            if (plan.replay === 'never') throw outcomeUnknown(failure.error, plan.what);
            mayHaveApplied = true;
          }
          if (plan.route === 'leader') this.nodes.leaderLost();
          else this.nodes.localLost();
        }
        hops = 0;
        attempt++;
        const delay = backoffDelayMs(this.options.retry ?? {}, attempt);
        if (attempt >= maxAttempts || Date.now() + delay >= deadline) {
          throw mayHaveApplied ? outcomeUnknown(failure.error, plan.what) : failure.error;
        }
        await sleep(delay);
      }
    }
  }

  private once<Res>(address: string, deadline: number, metadata: Metadata, invoke: Invoke<Res>): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      invoke(this.nodes.stub(address), metadata, { deadline: new Date(deadline) }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /** The leader's address: the current guess, else the first node that reports a leader. */
  private async leader(deadline: number): Promise<string> {
    const guess = this.nodes.leader;
    if (guess !== undefined) return guess;
    const probeDeadline = Math.min(deadline, Date.now() + DISCOVERY_PROBE_MS);
    const probes = this.nodes.addresses.map(async (address) => {
      const info = await this.once<ClusterInfoResponse>(address, probeDeadline, this.nodes.metadata(), (s, m, o, cb) => s.getClusterInfo({}, m, o, cb));
      if (!info.leaderClusterAddr) throw new VectorXLiteError('UNAVAILABLE', `${address} knows no leader`);
      return info;
    });
    try {
      const info = await Promise.any(probes);
      this.nodes.absorb(info);
      return info.leaderClusterAddr;
    } catch (err) {
      const failures = (err as AggregateError).errors.map((cause: unknown) => classifyFailure(cause));
      // A refused token is not cured by waiting for an election; anything else (no leader yet, a
      // probe timing out on a paused node) may be.
      const refused = failures.find((f: Failure) => f.error.code === 'UNAUTHENTICATED');
      if (refused) throw refused.error;
      throw new NoLeaderKnown(failures.map((f: Failure) => f.error.message).join('; '));
    }
  }
}

function readPlan(consistency: ReadConsistencyLevel | undefined, what: string): CallPlan {
  return { route: consistency === 'none' ? 'local' : 'leader', replay: 'safe', what };
}

function consistencyOf(level: ReadConsistencyLevel | undefined): ReadConsistency {
  if (level === undefined) return ReadConsistency.READ_CONSISTENCY_UNSPECIFIED;
  const wire = CONSISTENCY[level];
  if (wire === undefined) throw new VectorXLiteError('INVALID_ARGUMENT', `consistency must be 'none', 'weak' or 'linearizable', got ${String(level)}`);
  return wire;
}

/**
 * Original cluster servers answer some refusals with OK status, `success: false` and a reason.
 * An OK answer with neither field set is proto3's empty message, which such servers also send
 * for success, so only a stated reason counts as a refusal.
 */
function checkSuccess<Res>(response: Res, what: string): Res {
  const answer = response as { success?: boolean; message?: string };
  if (answer.success === false && answer.message) {
    throw new VectorXLiteError('FAILED_PRECONDITION', `the cluster refused the ${what}: ${answer.message}`);
  }
  return response;
}

function outcomeUnknown(error: VectorXLiteError, what: string): VectorXLiteError {
  return new VectorXLiteError(
    error.code,
    `${error.message} — the ${what} may have reached a leader that failed before answering and no retry got through before the deadline, so it may or may not have been applied; read the state before repeating it`,
    { cause: error },
  );
}

function infoFromWire(r: ClusterInfoResponse): ClusterInfo {
  return {
    leaderId: r.leaderId,
    leaderRaftAddr: r.leaderAddr,
    leaderClusterAddr: r.leaderClusterAddr,
    state: r.state,
    nodes: r.nodes.map((n) => ({ id: n.nodeId, raftAddr: n.addr, clusterAddr: n.clusterAddr, state: n.state, isVoter: n.isVoter })),
  };
}
