/**
 * One cluster member at run time: the RaftDriver wired to the durable stores and the engine
 * state machine in its data directory, the gRPC transport on its Raft address, and a real
 * clock. Offers what the cluster API needs: replicated writes, linearizable read barriers,
 * membership changes and leadership transfer.
 *
 * Data directory layout: `raft/` (log, hard state, snapshot) and `state/` (the engine's
 * database, rebuilt from the snapshot plus the log at every start; with --vector-addr only
 * snapshot files in transit, the data living in the standalone server).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { VectorXLiteError } from '../../src/errors.js';
import { encodeCommand } from '../commands/codec.js';
import type { Command, CommandResult } from '../commands/types.js';
import { RaftDriver, type DriverEvent } from '../consensus/driver.js';
import { findMember } from '../consensus/membership.js';
import type { LogEntry, Member, Membership, NodeId, Role } from '../consensus/types.js';
import type { Status } from '../consensus/raft.js';
import { EngineStateMachine } from '../state-machine/engine.js';
import type { StateMachine } from '../state-machine/types.js';
import { openDurableStores, type DurableStores } from '../storage/durable.js';
import { GrpcTransport, type TransportHooks, type TransportTls } from '../transport/grpc/index.js';
import { ContactTransport } from './contact-transport.js';
import { RemoteStateMachine } from './remote-state-machine.js';
import type { ReplicaReads, ReplicaStateMachine } from './replica.js';
import { SystemRandom } from './random.js';

export interface RaftNodeOptions {
  id: NodeId;
  /** host:port the Raft port listens on and peers dial. */
  raftAddr: string;
  /** This node's client API address, recorded in the membership for clients and peers. */
  clusterAddr: string;
  dataDir: string;
  /** Start a new one-node cluster, if the data directory holds no Raft state yet. */
  bootstrap: boolean;
  /** The cluster token peers present on the Raft port. */
  token?: string;
  tls?: TransportTls;
  /** A standalone VectorXLite server to use as the state machine instead of the embedded engine. */
  vectorAddr?: string;
  /** The standalone server's auth token. */
  vectorToken?: string;
  maxMessageBytes: number;
  /** Milliseconds per Raft tick. */
  tickMs: number;
  /** Election timeout in ticks (each wait is drawn from [electionTicks, 2 * electionTicks)). */
  electionTicks: number;
  heartbeatTicks: number;
  snapshotThreshold: number;
  snapshotTrailing: number;
  logger: Logger;
  transportHooks?: TransportHooks;
  onEvent?: (event: DriverEvent) => void;
  /** The driver stopped after a storage or state machine failure; the process should exit. */
  onFatal: (error: unknown) => void;
}

type WithOptionalWriter<C> = C extends Command ? Omit<C, 'clientId' | 'seq'> & { clientId?: string; seq?: number } : never;

/** A command whose writer identity is optional (write() fills in this node's own). */
export type WriteRequest = WithOptionalWriter<Command>;

/** A copy of the replicated state (see RaftNode.captureState). */
export interface CapturedState {
  /** The state machine's snapshot bytes (cluster/state-machine/snapshot-codec.ts). */
  data: Uint8Array;
  /** The last entry the copy includes, and that entry's term. */
  index: number;
  term: number;
  /** The newest configuration this node held when the copy was taken. */
  membership: Membership;
}

/** Polling period of waits on Raft progress (catch-up, handoff). */
const POLL_MS = 25;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Where a node keeps its Raft stores inside its data directory. */
export function raftStoreDir(dataDir: string): string {
  return join(dataDir, 'raft');
}

/**
 * True when the stores hold no Raft state yet, so --bootstrap/--join apply. A node that
 * started before but never heard from a cluster (a joiner that crashed early) still counts as
 * fresh: it must join again, since it cannot answer a leader it does not know.
 */
export function holdsNoRaftState(stores: DurableStores): boolean {
  return stores.hardState.load() === null && stores.log.lastIndex() === 0;
}

export class RaftNode {
  private nextSeq = 1;
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly opts: RaftNodeOptions,
    private readonly driver: RaftDriver<CommandResult>,
    private readonly stateMachine: ReplicaStateMachine,
    private readonly stores: DurableStores,
    private readonly ticker: NodeJS.Timeout,
    private readonly contacts: ContactTransport,
    /** The writer id of writes this node proposes for clients that send none. */
    private readonly clientId: string,
    /** True when this run started without Raft state (see holdsNoRaftState). */
    readonly fresh: boolean,
    /** Serializes the state machine's applies, snapshots and restores with captureState(). */
    private readonly exclusive: Exclusive,
  ) {}

  static async open(opts: RaftNodeOptions): Promise<RaftNode> {
    const stores = openDurableStores(raftStoreDir(opts.dataDir));
    const fresh = holdsNoRaftState(stores);
    let transport: GrpcTransport | undefined;
    let stateMachine: ReplicaStateMachine | undefined;
    try {
      transport = await GrpcTransport.listen({ id: opts.id, listen: opts.raftAddr, token: opts.token, tls: opts.tls, hooks: opts.transportHooks });
      stateMachine = opts.vectorAddr
        ? await RemoteStateMachine.open({ address: opts.vectorAddr, token: opts.vectorToken, stagingDir: join(opts.dataDir, 'state'), maxMessageBytes: opts.maxMessageBytes })
        : // Rebuilt from the Raft snapshot and log at every start: its own fsyncs would buy nothing.
          await EngineStateMachine.open({ dataDir: join(opts.dataDir, 'state'), engine: { durable: false } });
      const contacts = new ContactTransport(transport, opts.id);
      const exclusive = serialized();
      const self: Member = { id: opts.id, voter: true, raftAddr: opts.raftAddr, clusterAddr: opts.clusterAddr };
      const driver = await RaftDriver.open<CommandResult>({
        id: opts.id,
        random: new SystemRandom(),
        stores,
        transport: contacts,
        stateMachine: loggingApplies(stateMachine, opts.logger, exclusive),
        raft: { electionTicks: opts.electionTicks, heartbeatTicks: opts.heartbeatTicks },
        snapshotThreshold: opts.snapshotThreshold,
        snapshotTrailing: opts.snapshotTrailing,
        bootstrap: fresh && opts.bootstrap ? { members: [self] } : undefined,
        onEvent: opts.onEvent,
        onFatal: opts.onFatal,
      });
      const ticker = setInterval(() => driver.tick(), opts.tickMs);
      // A random writer id per run: sequences restart at 1, so ids must never repeat across runs.
      const clientId = `node:${opts.id}:${randomUUID()}`;
      return new RaftNode(opts, driver, stateMachine, stores, ticker, contacts, clientId, fresh, exclusive);
    } catch (error) {
      await transport?.close();
      await stateMachine?.close();
      stores.close();
      throw error;
    }
  }

  get id(): NodeId {
    return this.opts.id;
  }

  status(): Status {
    return this.driver.status();
  }

  get role(): Role {
    return this.driver.status().role;
  }

  get isLeader(): boolean {
    return this.driver.status().role === 'leader';
  }

  /** The member this node believes leads, if it knows one. */
  leader(): Member | undefined {
    const { leaderId, membership } = this.driver.status();
    return leaderId === null ? undefined : findMember(membership, leaderId);
  }

  matchIndexes(): Map<NodeId, number> {
    return this.driver.matchIndexes();
  }

  /** Members to reach before this node holds a configuration that includes it (joining). */
  addContacts(members: Member[]): void {
    this.contacts.addContacts(members);
  }

  /** The replicated database, for reads. Writes go through write() only. */
  get engine(): ReplicaReads {
    return this.stateMachine.engine;
  }

  /**
   * A hash of the replicated data, equal on nodes that applied the same entries, with the
   * index of the last entry it covers: both are read between two applies (as captureState).
   */
  digest(): Promise<{ digest: string; appliedIndex: number }> {
    return this.exclusive(async () => ({ digest: await this.stateMachine.digest(), appliedIndex: await this.stateMachine.appliedIndex() }));
  }

  /**
   * Leader only. Validates `command`, replicates it and resolves once it is applied here, with
   * the apply failure (identical on every replica) thrown as its VectorXLiteError. Without a
   * writer, the command gets this node's writer id and its next sequence.
   */
  async write(command: WriteRequest): Promise<CommandResult> {
    const full = { ...command, clientId: command.clientId ?? this.clientId, seq: command.seq ?? this.nextSeq++ } as Command;
    if (!this.isLeader) this.notLeader();
    await this.stateMachine.validate(full);
    const result = await this.driver.propose(encodeCommand(full));
    if (!result.ok) throw new VectorXLiteError(result.code, result.message);
    return result;
  }

  /** Leader only: resolves once local data reflects every write committed before the call (ReadIndex). */
  async readBarrier(): Promise<void> {
    await this.driver.readIndex();
  }

  /**
   * A consistent copy of the replicated state as of the last applied entry, for online backups.
   * Applies wait while the copy is taken (as during the driver's own snapshots); proposals keep
   * being replicated and committed meanwhile. Call readBarrier() first to include every write
   * acknowledged before the call.
   */
  captureState(): Promise<CapturedState> {
    return this.exclusive(async () => {
      const data = await this.stateMachine.snapshot();
      const index = await this.stateMachine.appliedIndex();
      const term = this.driver.termAt(index);
      if (term === undefined) throw new VectorXLiteError('UNAVAILABLE', `the term of applied entry ${index} is no longer known; retry`);
      return { data, index, term, membership: this.driver.status().membership };
    });
  }

  /**
   * Leader only. Adds `member` as a non-voter and waits until the consensus has promoted it
   * (it does so once the member holds everything committed). Calling it again for a member
   * already added resumes the wait.
   */
  async addMember(member: Omit<Member, 'voter'>, catchUpLimitMs: number): Promise<'added' | 'already a voter'> {
    const existing = findMember(this.driver.status().membership, member.id);
    if (existing?.voter) return 'already a voter';
    if (existing && (existing.raftAddr !== member.raftAddr || existing.clusterAddr !== member.clusterAddr)) {
      throw new VectorXLiteError('ALREADY_EXISTS', `node ${member.id} is already a member at ${existing.raftAddr}; remove it first to change its address`);
    }
    if (!existing) await this.driver.changeMembership({ type: 'add-learner', member });
    const deadline = Date.now() + catchUpLimitMs;
    for (;;) {
      const status = this.driver.status();
      if (findMember(status.membership, member.id)?.voter && status.commit >= status.lastIndex) return 'added';
      if (!this.isLeader) this.notLeader();
      if (Date.now() > deadline) {
        throw new VectorXLiteError('UNAVAILABLE', `node ${member.id} was added as a non-voter but has not caught up yet; call JoinCluster again to wait for its promotion`);
      }
      await sleep(POLL_MS);
    }
  }

  /** Leader only; the leader itself hands leadership over first (see leaveCluster in the service). */
  async removeMember(id: NodeId): Promise<void> {
    if (!findMember(this.driver.status().membership, id)) throw new VectorXLiteError('NOT_FOUND', `node ${id} is not a member of this cluster`);
    await this.driver.changeMembership({ type: 'remove', id });
  }

  /**
   * Hands leadership to the most up-to-date other voter and waits until this node follows
   * another leader. Resolves false when there is no other voter or the transfer did not finish in time.
   */
  async handOffLeadership(limitMs: number): Promise<boolean> {
    if (!this.isLeader) return true;
    const { membership } = this.driver.status();
    if (!membership.members.some((m) => m.voter && m.id !== this.id)) return false;
    try {
      await this.driver.transferLeadership();
    } catch (error) {
      this.opts.logger.warn({ err: error }, 'leadership transfer not started');
      return false;
    }
    const deadline = Date.now() + limitMs;
    // Done once another node is known to lead, so requests can be sent there at once.
    for (let s = this.driver.status(); s.role === 'leader' || s.leaderId === null || s.leaderId === this.id; s = this.driver.status()) {
      if (Date.now() > deadline) return false;
      await sleep(POLL_MS);
    }
    return true;
  }

  /** Stops ticking and the driver, then closes the transport, the engine and the stores. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.ticker);
      await this.driver.close();
      await this.stateMachine.close();
      this.stores.close();
    })();
    return this.closed;
  }

  private notLeader(): never {
    throw NotLeaderHere.of(this.leader());
  }
}

/**
 * This node cannot serve the request because another node leads (FAILED_PRECONDITION, with
 * the leader's cluster address for the x-leader-addr trailer) or none is known (UNAVAILABLE).
 */
export class NotLeaderHere extends VectorXLiteError {
  constructor(readonly leaderClusterAddr: string | undefined, leaderName = leaderClusterAddr) {
    super(
      leaderClusterAddr ? 'FAILED_PRECONDITION' : 'UNAVAILABLE',
      leaderClusterAddr ? `this node is not the leader; send the request to ${leaderName} at ${leaderClusterAddr}` : 'no leader is known yet; retry shortly',
    );
    this.name = 'NotLeaderHere';
  }

  static of(leader: Member | undefined): NotLeaderHere {
    return new NotLeaderHere(leader?.clusterAddr || undefined, leader?.id);
  }
}

type Exclusive = <T>(task: () => Promise<T>) => Promise<T>;

/** Runs each task after every earlier one has settled. */
function serialized(): Exclusive {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
}

function logRefusal(logger: Logger, entry: LogEntry, result: CommandResult): void {
  if (!result.ok) logger.warn({ index: entry.index, code: result.code, error: result.message }, 'apply refused a command');
}

/**
 * Logs applies that fail: they fail identically on every node, so every node reports them.
 * Every call that reads or changes the data runs under `exclusive`, so captureState() sees the
 * state between two entries.
 */
function loggingApplies(sm: ReplicaStateMachine, logger: Logger, exclusive: Exclusive): StateMachine<CommandResult> {
  return {
    apply: (entry) =>
      exclusive(async () => {
        const result = await sm.apply(entry);
        logRefusal(logger, entry, result);
        return result;
      }),
    applyBatch: (entries) =>
      exclusive(async () => {
        const results = await sm.applyBatch(entries);
        results.forEach((result, i) => logRefusal(logger, entries[i], result));
        return results;
      }),
    snapshot: () => exclusive(() => sm.snapshot()),
    restore: (snapshot) => exclusive(() => sm.restore(snapshot)),
    appliedIndex: () => sm.appliedIndex(),
  };
}
