/**
 * The one driver of a Raft node: feeds ticks, messages and requests into the consensus and
 * carries out each Ready in protocol order — persist (snapshot, hard state, entries), send,
 * apply, answer reads — then advance(). The simulator and the real runtime both use it; only
 * the seams (stores, transport, state machine) and who calls tick() differ.
 *
 * Inputs are queued and fed to the consensus between Ready batches, never while one is being
 * carried out, so a Ready always describes a consistent state.
 */
import { VectorXLiteError } from '../../src/errors.js';
import type { StateMachine } from '../state-machine/types.js';
import type { HardStateStore, LogStore, SnapshotStore } from '../storage/types.js';
import type { Transport } from '../transport/types.js';
import { NotLeaderError, OutcomeUnknownError } from './errors.js';
import { decodeMembership, EMPTY_MEMBERSHIP, encodeMembership, type ConfigChange } from './membership.js';
import { DEFAULT_RAFT_CONFIG, Raft, type RaftConfig, type Ready, type Status } from './raft.js';
import type { HardState, LogEntry, Membership, Message, NodeId, RandomSource, Role, Snapshot } from './types.js';

export interface RaftStores {
  log: LogStore;
  hardState: HardStateStore;
  snapshots: SnapshotStore;
}

export interface DriverOptions<Result> {
  id: NodeId;
  random: RandomSource;
  stores: RaftStores;
  transport: Transport;
  stateMachine: StateMachine<Result>;
  /** Consensus tuning; defaults in DEFAULT_RAFT_CONFIG. */
  raft?: Partial<Omit<RaftConfig, 'id' | 'random'>>;
  /** Take a state machine snapshot and compact the log after this many applied entries. */
  snapshotThreshold: number;
  /** Entries kept before a snapshot's index, so slightly lagging followers need no snapshot. */
  snapshotTrailing: number;
  /** The first configuration, written only when every store is empty (a new cluster's first node(s)). */
  bootstrap?: Membership;
  /** Called once if a store or the state machine fails; the driver has stopped by then. */
  onFatal?: (error: unknown) => void;
  /** Notable changes, for the runtime's logs and metrics (the consensus itself logs nothing). */
  onEvent?: (event: DriverEvent) => void;
}

export type DriverEvent =
  | { type: 'role'; role: Role; leaderId: NodeId | null; term: number }
  | { type: 'membership'; membership: Membership }
  | { type: 'snapshot-installed'; index: number; term: number }
  | { type: 'snapshot-taken'; index: number; term: number };

export interface DurableState {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: LogEntry[];
}

/**
 * Reads what survived a restart and reconciles the stores (they are written one after another,
 * so a crash can leave them a step apart): log entries the snapshot covers are ignored, a log
 * that does not continue the snapshot is discarded, and with nothing stored at all `bootstrap`
 * (if given) becomes the config entry at index 1.
 */
export function loadDurableState(stores: RaftStores, bootstrap?: Membership): DurableState {
  const snapshot = stores.snapshots.load();
  let hardState = stores.hardState.load();
  if (hardState === null && snapshot === null && stores.log.lastIndex() === 0 && bootstrap) {
    hardState = { term: 1, vote: null, commit: 0 };
    stores.hardState.save(hardState);
    stores.log.append([{ index: 1, term: 1, type: 'config', data: encodeMembership(bootstrap) }]);
  }
  hardState ??= { term: 0, vote: null, commit: 0 };
  const first = stores.log.firstIndex();
  const last = stores.log.lastIndex();
  let from = first;
  if (snapshot !== null) {
    const s = snapshot.meta;
    const continues = first <= s.index + 1 && last >= s.index && (s.index < first || stores.log.entries(s.index, s.index)[0].term === s.term);
    if (!continues) stores.log.reset(s.index);
    from = s.index + 1;
  }
  const entries = stores.log.lastIndex() >= from ? stores.log.entries(from, stores.log.lastIndex()) : [];
  // A crash between the entries and the hard state can leave entries (or a snapshot) of a
  // newer term than the saved one. The node had accepted that term; no vote in it can have
  // been sent, since a vote is saved before it is sent.
  const newest = Math.max(snapshot?.meta.term ?? 0, entries.at(-1)?.term ?? 0);
  if (newest > hardState.term) hardState = { term: newest, vote: null, commit: hardState.commit };
  return { hardState, snapshot, entries };
}

/**
 * Lets the transport put messages on the wire before a synchronous fsync blocks the event
 * loop: gRPC starts a call through promise callbacks, and the HTTP/2 session then flushes
 * from an immediate of its own, queued behind the first one awaited here.
 */
async function yieldToNetwork(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

interface PendingProposal<Result> {
  term: number;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

interface PendingRead {
  resolve: (index: number) => void;
  reject: (error: unknown) => void;
}

export class RaftDriver<Result = unknown> {
  private readonly raft: Raft;
  private readonly opts: DriverOptions<Result>;
  private inbox: Array<{ op: () => void; reject?: (error: unknown) => void }> = [];
  private running: Promise<void> | null = null;
  /** No new inputs once close() began; the loop still finishes what is queued. */
  private closing = false;
  private stopped = false;
  private proposals = new Map<number, PendingProposal<Result | undefined>>();
  /** ReadIndex rounds not yet confirmed by a quorum, by request id: the term each started in and the reads it answers. */
  private reads = new Map<number, { term: number; reads: PendingRead[] }>();
  /** Reads that arrived while a round was in flight: they share the next round. */
  private queuedReads: PendingRead[] = [];
  /** Confirmed reads waiting for their index to be applied. */
  private confirmedReads: Array<{ index: number; read: PendingRead }> = [];
  private nextReadId = 1;
  private appliedMembership: Membership;
  private snapshotIndex: number;
  private compactedIndex: number;

  /** Term and vote last made durable. */
  private persistedVote: Pick<HardState, 'term' | 'vote'>;

  private constructor(opts: DriverOptions<Result>, raft: Raft, appliedMembership: Membership, snapshotIndex: number, persistedVote: HardState) {
    this.opts = opts;
    this.persistedVote = persistedVote;
    this.raft = raft;
    this.appliedMembership = appliedMembership;
    this.snapshotIndex = snapshotIndex;
    this.compactedIndex = snapshotIndex;
  }

  /** Loads durable state, brings the state machine up to its snapshot, and starts taking messages. */
  static async open<Result>(opts: DriverOptions<Result>): Promise<RaftDriver<Result>> {
    const durable = loadDurableState(opts.stores, opts.bootstrap);
    const sm = opts.stateMachine;
    let applied = await sm.appliedIndex();
    const snap = durable.snapshot;
    if (snap !== null && applied < snap.meta.index) {
      await sm.restore(snap);
      applied = snap.meta.index;
    }
    let membership = snap?.meta.membership ?? EMPTY_MEMBERSHIP;
    for (const e of durable.entries) if (e.index <= applied && e.type === 'config') membership = decodeMembership(e.data);
    const raft = new Raft({ ...DEFAULT_RAFT_CONFIG, ...opts.raft, id: opts.id, random: opts.random }, { ...durable, applied });
    // A term loadDurableState raised is as durable as the entries it was read from.
    const driver = new RaftDriver(opts, raft, membership, snap?.meta.index ?? 0, durable.hardState);
    opts.transport.onMessage((m) => driver.receive(m));
    driver.kick();
    return driver;
  }

  // ---- inputs ----

  tick(): void {
    this.enqueue(() => this.raft.tick());
  }

  receive(message: Message): void {
    this.enqueue(() => this.raft.step(message));
  }

  /**
   * Resolves with the state machine's result once the command is applied here; rejects with
   * NotLeaderError if it was not taken or is known to be lost, OutcomeUnknownError if its fate
   * cannot be told.
   */
  propose(data: Uint8Array): Promise<Result> {
    return new Promise<Result | undefined>((resolve, reject) => {
      this.enqueue(() => this.track(() => this.raft.propose(data), resolve, reject), reject);
    }) as Promise<Result>;
  }

  /** Resolves once the configuration entry is applied here (it took effect when appended). */
  changeMembership(change: ConfigChange): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue(() => this.track(() => this.raft.proposeConfigChange(change), () => resolve(), reject), reject);
    });
  }

  /**
   * Starts a leadership transfer (to the most up-to-date voter when `to` is omitted, as on a
   * graceful shutdown); resolves when it has started, not when it has finished.
   */
  transferLeadership(to?: NodeId): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue(() => {
        try {
          this.raft.transferLeadership(to);
          resolve();
        } catch (error) {
          reject(error);
        }
      }, reject);
    });
  }

  /**
   * Linearizable read barrier (§6.4): resolves with an index once it is applied here; read
   * local state then. Reads are batched: every read that arrives while a round is in flight
   * joins the next round, which confirms them all with one heartbeat exchange (see startReadRound).
   */
  readIndex(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.enqueue(() => this.queuedReads.push({ resolve, reject }), reject);
    });
  }

  status(): Status {
    return this.raft.status();
  }

  /** Leader only: each follower's match index (replication lag = lastIndex - match). */
  matchIndexes(): Map<NodeId, number> {
    return this.raft.matchIndexes();
  }

  termAt(index: number): number | undefined {
    return this.raft.termAt(index);
  }

  /** Inputs are queued or a Ready is being handled. */
  get busy(): boolean {
    return this.running !== null;
  }

  entryAt(index: number): LogEntry | undefined {
    return this.raft.entryAt(index);
  }

  /** Resolves when every queued input has been handled and no Ready is pending. */
  async settle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /** Stops the driver: queued and pending requests are rejected with CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.stopped || this.closing) return this.settle();
    this.closing = true;
    await this.settle();
    this.stop(new VectorXLiteError('CLOSED', 'the Raft node was closed'));
    await this.opts.transport.close();
  }

  // ---- the loop ----

  private enqueue(op: () => void, reject?: (error: unknown) => void): void {
    if (this.stopped || this.closing) {
      reject?.(new VectorXLiteError('CLOSED', 'the Raft node is stopped'));
      return;
    }
    this.inbox.push({ op, reject });
    this.kick();
  }

  private kick(): void {
    if (this.running !== null || this.stopped) return;
    this.running = this.run()
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.running = null;
        if (this.inbox.length > 0) this.kick();
      });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      while (this.inbox.length > 0) this.inbox.shift()!.op();
      if (this.reads.size === 0) this.startReadRound();
      if (!this.raft.hasReady()) return;
      const rd = this.raft.ready();
      await this.handleReady(rd);
      this.raft.advance(rd);
      await this.maybeSnapshot();
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    const { stores, transport, stateMachine, onEvent } = this.opts;
    if (rd.softState !== null) onEvent?.({ type: 'role', ...rd.softState, term: this.raft.status().term });
    if (rd.membership !== null) onEvent?.({ type: 'membership', membership: rd.membership });
    this.dropOrphanedReadRounds();
    if (rd.membership !== null) transport.setMembers(rd.membership.members);
    if (rd.snapshot !== null) {
      const meta = rd.snapshot.meta;
      stores.snapshots.save(rd.snapshot);
      stores.log.reset(meta.index);
      await stateMachine.restore(rd.snapshot);
      this.appliedMembership = meta.membership;
      this.snapshotIndex = meta.index;
      this.compactedIndex = meta.index;
      onEvent?.({ type: 'snapshot-installed', index: meta.index, term: meta.term });
      for (const [index, p] of this.proposals) {
        if (index > meta.index) continue;
        // The snapshot may or may not include the command: its outcome is unknown.
        p.reject(new OutcomeUnknownError('the proposal was overtaken by a snapshot'));
        this.proposals.delete(index);
      }
    }
    const sendFirst = this.maySendBeforePersisting(rd);
    if (sendFirst) {
      for (const m of rd.messages) transport.send(m);
      await yieldToNetwork();
    }
    // Entries before the hard state: a durable commit index must never point past durable
    // entries, or a restart would take stale entries at those indexes for committed ones.
    if (rd.entries.length > 0) stores.log.append(rd.entries);
    if (rd.hardState !== null) {
      stores.hardState.save(rd.hardState);
      this.persistedVote = rd.hardState;
    }
    if (!sendFirst) for (const m of rd.messages) transport.send(m);
    const results = await this.applyCommitted(rd.committedEntries);
    rd.committedEntries.forEach((entry, i) => {
      if (entry.type === 'config') this.appliedMembership = decodeMembership(entry.data);
      this.settleProposal(entry, results[i]);
    });
    for (const rs of rd.readStates) {
      const round = this.reads.get(rs.requestId);
      if (!round) continue;
      this.reads.delete(rs.requestId);
      for (const read of round.reads) this.confirmedReads.push({ index: rs.index, read });
    }
    const applied = rd.snapshot?.meta.index ?? 0;
    this.releaseReads(Math.max(applied, rd.committedEntries.at(-1)?.index ?? 0, this.raft.status().applied));
  }

  /**
   * A leader may send AppendEntries before its own log write is durable, so the followers'
   * fsyncs overlap its own (Raft dissertation §10.2.1). Nothing in the messages may depend on
   * this Ready's writes:
   * - the term and vote are already durable, so after a crash this node cannot lead this term
   *   again and put other entries at these indexes;
   * - the commit index the messages carry covers only entries made durable by earlier Readies
   *   (a follower applies up to it). With other voters that always holds, since an entry commits
   *   only once they acknowledged it; a lone voter commits its own new entries at once.
   * Acknowledgements are stepped only after this Ready, so after its fsync: the leader never
   * counts itself for an entry it has not persisted.
   */
  private maySendBeforePersisting(rd: Ready): boolean {
    if (rd.entries.length === 0 || rd.messages.length === 0 || rd.snapshot !== null) return false;
    const { role, commit } = this.raft.status();
    if (role !== 'leader' || commit >= rd.entries[0].index) return false;
    return rd.hardState === null || (rd.hardState.term === this.persistedVote.term && rd.hardState.vote === this.persistedVote.vote);
  }

  /** Applies in log order: several entries through the state machine's applyBatch when it has one. */
  private async applyCommitted(entries: LogEntry[]): Promise<Result[]> {
    const { stateMachine } = this.opts;
    if (entries.length > 1 && stateMachine.applyBatch) {
      const results = await stateMachine.applyBatch(entries);
      if (results.length !== entries.length) throw new Error(`applyBatch answered ${results.length} of ${entries.length} entries`);
      return results;
    }
    const results: Result[] = [];
    for (const entry of entries) results.push(await stateMachine.apply(entry));
    return results;
  }

  private settleProposal(entry: LogEntry, result: Result): void {
    const p = this.proposals.get(entry.index);
    if (!p) return;
    this.proposals.delete(entry.index);
    if (p.term === entry.term) p.resolve(result);
    else p.reject(new NotLeaderError(this.raft.status().leaderId, 'the proposal was lost in a leader change'));
  }

  /**
   * Starts one ReadIndex round for every queued read; called only when no round is in flight,
   * so concurrent reads cost one heartbeat exchange per round trip rather than one each.
   * Linearizable still: the round's read index is the commit index when the round starts,
   * at or after each of its reads arrived, and only heartbeats sent from then on confirm it.
   */
  private startReadRound(): void {
    if (this.queuedReads.length === 0) return;
    const round = this.queuedReads;
    this.queuedReads = [];
    const id = this.nextReadId++;
    try {
      this.raft.readIndex(id);
      this.reads.set(id, { term: this.raft.status().term, reads: round });
    } catch (error) {
      for (const read of round) read.reject(error);
    }
  }

  /**
   * The consensus forgets its pending reads whenever it stops leading, so a round started in
   * an earlier term will never be confirmed. Its reads fail if this node no longer leads; if
   * it leads again (lost and regained leadership between two Readies), they wait for the next
   * round instead, whose read index is taken in the new term. Either way no round stays in
   * flight forever, which would hold back every later read.
   */
  private dropOrphanedReadRounds(): void {
    const { role, term, leaderId } = this.raft.status();
    for (const [id, round] of this.reads) {
      if (role === 'leader' && round.term === term) continue;
      this.reads.delete(id);
      if (role === 'leader') this.queuedReads.unshift(...round.reads);
      else for (const read of round.reads) read.reject(new NotLeaderError(leaderId, 'leadership was lost before the read was confirmed'));
    }
  }

  private releaseReads(applied: number): void {
    if (this.confirmedReads.length === 0) return;
    const waiting: typeof this.confirmedReads = [];
    for (const c of this.confirmedReads) {
      if (c.index <= applied) c.read.resolve(c.index);
      else waiting.push(c);
    }
    this.confirmedReads = waiting;
  }

  private async maybeSnapshot(): Promise<void> {
    const applied = this.raft.status().applied;
    if (applied - this.snapshotIndex < this.opts.snapshotThreshold) return;
    const term = this.raft.termAt(applied);
    if (term === undefined) return;
    const data = await this.opts.stateMachine.snapshot();
    const snapshot: Snapshot = { meta: { index: applied, term, membership: this.appliedMembership }, data };
    this.opts.stores.snapshots.save(snapshot);
    const compactIndex = Math.max(this.compactedIndex, applied - this.opts.snapshotTrailing);
    this.opts.stores.log.compact(compactIndex);
    this.raft.compact(snapshot, compactIndex);
    this.snapshotIndex = applied;
    this.compactedIndex = compactIndex;
    this.opts.onEvent?.({ type: 'snapshot-taken', index: applied, term });
  }

  private track(
    append: () => { index: number; term: number },
    resolve: (result: Result | undefined) => void,
    reject: (error: unknown) => void,
  ): void {
    try {
      const { index, term } = append();
      // An earlier proposal still waiting at this index was truncated away, or the index could not be reused.
      this.proposals.get(index)?.reject(new NotLeaderError(this.opts.id, 'the proposal was lost in a leader change'));
      this.proposals.set(index, { term, resolve, reject });
    } catch (error) {
      reject(error);
    }
  }

  private fail(error: unknown): void {
    this.stop(new VectorXLiteError('UNAVAILABLE', 'the Raft node stopped after a storage or state machine failure', { cause: error }));
    this.opts.onFatal?.(error);
  }

  private stop(reason: VectorXLiteError): void {
    this.stopped = true;
    for (const queued of this.inbox) queued.reject?.(reason);
    this.inbox = [];
    for (const p of this.proposals.values()) p.reject(reason);
    this.proposals.clear();
    for (const round of this.reads.values()) for (const read of round.reads) read.reject(reason);
    this.reads.clear();
    for (const read of this.queuedReads) read.reject(reason);
    this.queuedReads = [];
    for (const c of this.confirmedReads) c.read.reject(reason);
    this.confirmedReads = [];
  }
}
