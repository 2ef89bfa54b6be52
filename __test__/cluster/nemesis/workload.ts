/**
 * The clients of a fault run. Each sends one attempt per operation straight to a node it picks
 * (no retries, no writer identity), so the history holds exactly what that attempt returned:
 * - writes insert a fresh id with a vector and payload derived from it; a few are invalid
 *   (wrong dimension, or a NULL in a NOT NULL column) and must never be applied;
 * - reads are linearizable searches filtered to ids acknowledged before the read began.
 */
import { ChannelCredentials, Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { SeededRandom } from '../../../cluster/simulation/random.js';
import type { UnaryMethod } from '../../../cluster/server/peer-client.js';
import { ClusterMethods, ReadConsistency, sleep, type TestNode } from '../helpers/cluster.js';
import { outcomeOf, type History, type Outcome, type ReadOp, type WriteOp } from './history.js';

export const COLLECTION = 'jepsen';
export const DIMENSION = 4;
export const SCHEMA = `CREATE TABLE ${COLLECTION} (rowid INTEGER PRIMARY KEY, writer INTEGER NOT NULL, n INTEGER NOT NULL)`;

/** Long enough for an election under FAST_RAFT, short enough that a paused node costs little. */
const CALL_TIMEOUT_MS = 2_000;
/** Ids a read asks for: the latest acknowledged ones (most likely to be missed) plus a random sample. */
const READ_LATEST = 6;
const READ_SAMPLE = 10;
/** After an error: a dead node answers at once, and hammering it would only starve the others of CPU. */
const BACKOFF_MS = 50;

export function vectorOf(id: number): number[] {
  return [Math.cos(id), Math.sin(id), (id % 7) / 7, 1];
}

export function payloadOf(id: number, writer: number, n: number | 'NULL' = id): string {
  return `INSERT INTO ${COLLECTION} (rowid, writer, n) VALUES (${id}, ${writer}, ${n})`;
}

/** One reused channel per node address, reconnecting quickly after a restart. */
export class Channels {
  private readonly clients = new Map<string, Client>();

  call<Req, Res>(address: string, method: UnaryMethod<Req, Res>, request: Req, timeoutMs = CALL_TIMEOUT_MS): Promise<Res> {
    let client = this.clients.get(address);
    if (!client) {
      client = new Client(address, ChannelCredentials.createInsecure(), { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500 });
      this.clients.set(address, client);
    }
    const c = client;
    return new Promise<Res>((resolve, reject) => {
      c.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new Metadata(), { deadline: Date.now() + timeoutMs }, (error: ServiceError | null, response?: Res) =>
        error ? reject(error) : resolve(response as Res),
      );
    });
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

export interface WorkloadOptions {
  nodes: readonly TestNode[];
  history: History;
  channels: Channels;
  /** False once the clients should stop starting operations. */
  running: () => boolean;
  /** Gives out ids; shared by all clients so every write's id is unique. */
  nextId: () => number;
}

/** Runs one client while `running()`; every operation it starts is in the history when this resolves. */
export async function runClient(client: number, random: SeededRandom, o: WorkloadOptions): Promise<void> {
  while (o.running()) {
    const node = random.pick(o.nodes);
    const roll = random.float();
    let outcome: Outcome;
    if (roll < 0.02) outcome = await write(client, node, o, 'dimension');
    else if (roll < 0.04) outcome = await write(client, node, o, 'constraint');
    // Until a write is acknowledged there is nothing a read could be checked against.
    else if (roll < 0.7 || o.history.acknowledged.length === 0) outcome = await write(client, node, o);
    else outcome = await read(client, node, random, o);
    if (outcome !== 'ok') await sleep(BACKOFF_MS);
  }
}

async function write(client: number, node: TestNode, o: WorkloadOptions, invalid?: WriteOp['invalid']): Promise<Outcome> {
  const id = o.nextId();
  const op: WriteOp = { kind: 'write', client, id, invalid, node: node.id, invokedAt: o.history.now(), completedAt: 0, outcome: 'ok' };
  return perform(op, o, async () => {
    await o.channels.call(node.clusterAddr, ClusterMethods.insert, {
      collectionName: COLLECTION,
      id,
      vector: invalid === 'dimension' ? vectorOf(id).slice(1) : vectorOf(id),
      payloadInsertQuery: payloadOf(id, client, invalid === 'constraint' ? 'NULL' : id),
    });
  });
}

async function read(client: number, node: TestNode, random: SeededRandom, o: WorkloadOptions): Promise<Outcome> {
  const acked = o.history.acknowledged;
  const expected = new Set(acked.slice(-READ_LATEST));
  for (let i = 0; i < READ_SAMPLE; i++) expected.add(random.pick(acked));
  const ids = [...expected];
  const op: ReadOp = { kind: 'read', client, node: node.id, expected: ids, invokedAt: o.history.now(), completedAt: 0, outcome: 'ok' };
  return perform(op, o, async () => {
    const response = await o.channels.call(node.clusterAddr, ClusterMethods.search, {
      collectionName: COLLECTION,
      vector: vectorOf(ids[0]),
      topK: ids.length,
      payloadSearchQuery: `SELECT rowid FROM ${COLLECTION} WHERE rowid IN (${ids.join(', ')})`,
      consistency: ReadConsistency.READ_CONSISTENCY_LINEARIZABLE,
    });
    op.seen = response.results.map((r) => r.rowid);
  });
}

/** Runs `call` for `op`, then records the op with its outcome (the call's failure, if any) and completion time. */
async function perform(op: WriteOp | ReadOp, o: WorkloadOptions, call: () => Promise<void>): Promise<Outcome> {
  try {
    await call();
  } catch (error) {
    op.outcome = outcomeOf(error as ServiceError);
    op.error = `${(error as ServiceError).code} ${(error as ServiceError).details}`;
  }
  op.completedAt = o.history.now();
  o.history.record(op);
  return op.outcome;
}
