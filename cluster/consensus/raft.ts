/**
 * Raft as a deterministic state machine (extended Raft paper; Raft dissertation §3–§9).
 *
 * Inputs: tick(), step(message), propose(), proposeConfigChange(), transferLeadership(),
 * readIndex(), compact(). Output: one Ready batch at a time (hard state, entries and snapshot
 * to persist; messages to send only after they are durable; committed entries to apply; read
 * states), then advance(). No clocks, I/O or ambient randomness: the same inputs and seed give
 * the same outputs, which is what makes the simulator's seeds reproducible.
 */
import { VectorXLiteError } from '../../src/errors.js';
import { NotLeaderError } from './errors.js';
import { RaftLog } from './log.js';
import {
  applyConfigChange,
  decodeMembership,
  EMPTY_MEMBERSHIP,
  encodeMembership,
  isVoter,
  quorum,
  voterIds,
  type ConfigChange,
} from './membership.js';
import { Progress } from './progress.js';
import type {
  AppendEntries,
  AppendEntriesResponse,
  HardState,
  Heartbeat,
  HeartbeatResponse,
  InstallSnapshot,
  InstallSnapshotResponse,
  LogEntry,
  Membership,
  Message,
  NodeId,
  RandomSource,
  ReadState,
  RequestVote,
  RequestVoteResponse,
  Role,
  Snapshot,
  TimeoutNow,
} from './types.js';

export interface RaftConfig {
  id: NodeId;
  /** Base election timeout in ticks; each wait is drawn from [electionTicks, 2 * electionTicks). */
  electionTicks: number;
  /** Ticks between leader heartbeats; must be well below electionTicks. */
  heartbeatTicks: number;
  /** Unanswered AppendEntries allowed per follower in replicate state (pipelining window). */
  maxInflight: number;
  /** Entries per AppendEntries message at most. */
  maxEntriesPerMessage: number;
  /** Dissertation §9.6: ask for votes without raising terms first. */
  preVote: boolean;
  /** Dissertation §6.2: a leader steps down when it has not heard from a majority for an election timeout. */
  checkQuorum: boolean;
  random: RandomSource;
}

export const DEFAULT_RAFT_CONFIG = {
  electionTicks: 10,
  heartbeatTicks: 1,
  maxInflight: 64,
  maxEntriesPerMessage: 256,
  preVote: true,
  checkQuorum: true,
} as const;

/** What a node restarts from: its durable state (see driver.ts loadDurableState). */
export interface RaftInitialState {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** Entries after the snapshot (or from index 1), contiguous. */
  entries: LogEntry[];
  /** Index the state machine has applied through. */
  applied: number;
}

export interface SoftState {
  role: Role;
  leaderId: NodeId | null;
}

/** One batch of work for the driver, to be handled in field order, then passed to advance(). */
export interface Ready {
  /** Role or leader changed (not persisted). */
  softState: SoftState | null;
  /** The configuration changed (an entry was appended or truncated, or a snapshot installed). */
  membership: Membership | null;
  /** A snapshot received from the leader: persist it and restore the state machine from it first. */
  snapshot: Snapshot | null;
  /** Term/vote/commit changed: persist before sending. */
  hardState: HardState | null;
  /** Entries to persist; the store first drops any it holds from entries[0].index on. */
  entries: LogEntry[];
  /** Send only after the above are durable. */
  messages: Message[];
  /** Apply in order after persisting. */
  committedEntries: LogEntry[];
  /** ReadIndex requests confirmed by a quorum: serve each once `index` is applied. */
  readStates: ReadState[];
}

export interface Status {
  id: NodeId;
  role: Role;
  term: number;
  vote: NodeId | null;
  leaderId: NodeId | null;
  commit: number;
  applied: number;
  lastIndex: number;
  firstIndex: number;
  membership: Membership;
  leadTransferee: NodeId | null;
}

interface PendingRead {
  id: number;
  index: number;
  acks: Set<NodeId>;
}

export class Raft {
  readonly id: NodeId;
  private readonly cfg: RaftConfig;

  private term: number;
  private vote: NodeId | null;
  private commit: number;
  private role: Role = 'follower';
  private leaderId: NodeId | null = null;

  private readonly log: RaftLog;
  /** Entries up to here are durable (handed out in a Ready that was advanced). */
  private stableIndex: number;
  /** Committed entries up to here were handed out for applying. */
  private applied: number;
  /** Latest snapshot: sent to followers whose next entry is compacted. */
  private snapshot: Snapshot | null;
  private pendingSnapshot: Snapshot | null = null;

  private membership: Membership;
  /** Index of the config entry `membership` came from (or of the snapshot holding it). */
  private configIndex: number;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private votes = new Map<NodeId, boolean>();

  private progress = new Map<NodeId, Progress>();
  /** Index of the leader's first entry of its term: entries from here on are the leader's own. */
  private termStartIndex = 0;
  private leadTransferee: NodeId | null = null;
  private transferElapsed = 0;
  private needsBroadcast = false;

  private pendingReads: PendingRead[] = [];
  /** ReadIndex requests waiting for this leader's first commit in its term (§6.4 step 1). */
  private readsBeforeCommit: number[] = [];
  private lastReadRequest = 0;
  /** Id of the newest registered read: a heartbeat answer carrying it confirms every read up to it. */
  private readContext = 0;

  private messages: Message[] = [];
  private readStates: ReadState[] = [];
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private membershipChanged = false;

  constructor(cfg: RaftConfig, initial: RaftInitialState) {
    this.cfg = cfg;
    this.id = cfg.id;
    this.term = initial.hardState.term;
    this.vote = initial.hardState.vote;
    const snap = initial.snapshot;
    this.log = new RaftLog(snap?.meta.index ?? 0, snap?.meta.term ?? 0, initial.entries);
    this.commit = Math.min(Math.max(initial.hardState.commit, snap?.meta.index ?? 0), this.log.lastIndex());
    this.applied = Math.max(initial.applied, snap?.meta.index ?? 0);
    if (this.applied > this.commit) this.commit = this.applied;
    this.stableIndex = this.log.lastIndex();
    this.snapshot = snap;
    this.membership = snap?.meta.membership ?? EMPTY_MEMBERSHIP;
    this.configIndex = snap?.meta.index ?? 0;
    this.reloadMembership();
    this.membershipChanged = true;
    this.prevHardState = this.hardState();
    this.prevSoftState = { role: this.role, leaderId: this.leaderId };
    this.resetElectionTimer();
  }

  // ---- inputs ----

  /** One unit of logical time. */
  tick(): void {
    if (this.role === 'leader') {
      this.tickLeader();
      return;
    }
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.campaign(this.cfg.preVote, false);
    }
  }

  step(m: Message): void {
    if (m.to !== this.id) return;
    if (m.term > this.term) {
      if (m.type === 'RequestVote' && !m.transfer && this.inLease()) {
        // §6 of the dissertation: a server that hears from a current leader ignores vote
        // requests, so removed or partitioned servers cannot depose it.
        return;
      }
      if (m.type === 'RequestVote' && m.preVote) {
        // A PreVote never changes the receiver's term.
      } else if (m.type === 'RequestVoteResponse' && m.preVote && m.granted) {
        // A granted PreVote carries the future term; it is counted, not adopted.
      } else if (m.type === 'AppendEntries' || m.type === 'Heartbeat' || m.type === 'InstallSnapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if (m.type === 'AppendEntries' || m.type === 'Heartbeat') {
        // Tell a stale leader about the newer term. Without this, a leader cut off by a
        // partition, kept in power by nothing, would never learn it was replaced: with PreVote
        // the others never raise their term enough to reach it otherwise.
        this.send<AppendEntriesResponse>({ type: 'AppendEntriesResponse', to: m.from, success: false, matchIndex: 0, conflictTerm: 0, conflictIndex: 0 });
      } else if (m.type === 'RequestVote' && m.preVote) {
        this.send<RequestVoteResponse>({ type: 'RequestVoteResponse', to: m.from, preVote: true, granted: false });
      }
      return;
    }

    switch (m.type) {
      case 'RequestVote':
        this.handleRequestVote(m);
        return;
      case 'RequestVoteResponse':
        this.handleVoteResponse(m);
        return;
      case 'TimeoutNow':
        // §3.10: campaign at once, skipping PreVote, and tell voters to ignore their lease.
        if (this.role !== 'leader' && this.promotable()) this.campaign(false, true);
        return;
      case 'AppendEntries':
      case 'Heartbeat':
      case 'InstallSnapshot':
        if (this.role === 'leader') return; // impossible with Election Safety; ignore rather than corrupt
        if (this.role !== 'follower' || this.leaderId !== m.from) this.becomeFollower(this.term, m.from);
        this.electionElapsed = 0;
        if (m.type === 'AppendEntries') this.handleAppendEntries(m);
        else if (m.type === 'Heartbeat') this.handleHeartbeat(m);
        else this.handleInstallSnapshot(m);
        return;
      case 'AppendEntriesResponse':
        if (this.role === 'leader') this.handleAppendResponse(m);
        return;
      case 'HeartbeatResponse':
        if (this.role === 'leader') this.handleHeartbeatResponse(m);
        return;
      case 'InstallSnapshotResponse':
        if (this.role === 'leader') this.handleSnapshotResponse(m);
        return;
    }
  }

  /** Appends a client command (leader only). Returns where it went; it is committed once applied with that term. */
  propose(data: Uint8Array): { index: number; term: number } {
    this.assertLeaderAccepting();
    return this.appendOwn('command', data);
  }

  /**
   * Proposes a one-server configuration change (dissertation §4.1). Allowed only once this
   * leader has committed an entry of its term (§4.1's fix for the single-server change bug)
   * and no other change is uncommitted. The new configuration is in effect from now.
   */
  proposeConfigChange(change: ConfigChange): { index: number; term: number } {
    this.assertLeaderAccepting();
    if (this.commit < this.termStartIndex) throw new VectorXLiteError('UNAVAILABLE', 'the leader has not committed an entry of its term yet; retry shortly');
    if (this.configIndex > this.commit) throw new VectorXLiteError('UNAVAILABLE', 'another membership change is in progress; retry once it commits');
    const next = applyConfigChange(this.membership, change);
    if (typeof next === 'string') throw new RangeError(next);
    return this.appendOwn('config', encodeMembership(next));
  }

  /**
   * Hands leadership to `to` (dissertation §3.10): stop taking proposals, bring it up to date,
   * send TimeoutNow. Without `to`, picks the most up-to-date other voter (graceful shutdown).
   */
  transferLeadership(to?: NodeId): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leaderId, 'only the leader can transfer leadership');
    if (to === undefined) {
      let best = -1;
      for (const v of voterIds(this.membership)) {
        const match = this.progress.get(v)?.match ?? -1;
        if (v !== this.id && match > best) {
          best = match;
          to = v;
        }
      }
      if (to === undefined) throw new RangeError('there is no other voter to hand leadership to');
    }
    if (to === this.id) return;
    if (!isVoter(this.membership, to)) throw new RangeError(`${to} is not a voter`);
    this.leadTransferee = to;
    this.transferElapsed = 0;
    this.maybeSendTimeoutNow(to);
  }

  /**
   * ReadIndex (§6.4): once a quorum confirms this node is still the leader, a ReadState with
   * the commit index at the time of the request comes out; the read is linearizable once that
   * index is applied. `requestId` must grow with every call.
   */
  readIndex(requestId: number): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leaderId, 'linearizable reads are served by the leader');
    if (requestId <= this.lastReadRequest) throw new RangeError('ReadIndex request ids must increase');
    this.lastReadRequest = requestId;
    if (this.commit < this.termStartIndex) {
      this.readsBeforeCommit.push(requestId);
      return;
    }
    this.registerRead(requestId);
  }

  /**
   * The driver took `snapshot` of the state machine (its index at or below applied) and saved
   * it; the log before `compactIndex` (at most snapshot.meta.index) may go. Keeping some
   * entries before the snapshot lets slightly lagging followers catch up without one.
   */
  compact(snapshot: Snapshot, compactIndex: number): void {
    if (snapshot.meta.index > this.applied) throw new RangeError('cannot snapshot beyond the applied index');
    if (compactIndex > snapshot.meta.index) throw new RangeError('cannot compact beyond the snapshot');
    if (this.snapshot === null || snapshot.meta.index > this.snapshot.meta.index) this.snapshot = snapshot;
    this.log.compact(compactIndex);
  }

  // ---- output ----

  hasReady(): boolean {
    if (this.needsBroadcast) return true;
    return (
      this.messages.length > 0 ||
      this.readStates.length > 0 ||
      this.pendingSnapshot !== null ||
      this.membershipChanged ||
      this.log.lastIndex() > this.stableIndex ||
      this.applied < Math.min(this.commit, this.log.lastIndex()) ||
      !sameHardState(this.hardState(), this.prevHardState) ||
      this.role !== this.prevSoftState.role ||
      this.leaderId !== this.prevSoftState.leaderId
    );
  }

  ready(): Ready {
    if (this.needsBroadcast) {
      this.needsBroadcast = false;
      this.broadcastAppend(false);
    }
    const hs = this.hardState();
    const soft = { role: this.role, leaderId: this.leaderId };
    const rd: Ready = {
      softState: soft.role !== this.prevSoftState.role || soft.leaderId !== this.prevSoftState.leaderId ? soft : null,
      membership: this.membershipChanged ? this.membership : null,
      snapshot: this.pendingSnapshot,
      hardState: sameHardState(hs, this.prevHardState) ? null : hs,
      entries: this.log.lastIndex() > this.stableIndex ? this.log.slice(this.stableIndex + 1, this.log.lastIndex()) : [],
      messages: this.messages,
      committedEntries: this.log.slice(this.applied + 1, Math.min(this.commit, this.log.lastIndex())),
      readStates: this.readStates,
    };
    this.messages = [];
    this.readStates = [];
    this.pendingSnapshot = null;
    this.membershipChanged = false;
    this.prevHardState = hs;
    this.prevSoftState = soft;
    return rd;
  }

  /** The driver has handled `rd` completely. */
  advance(rd: Ready): void {
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      // A later truncation may have removed these entries already; only what is still the log counts.
      if (this.log.term(last.index) === last.term) this.stableIndex = Math.max(this.stableIndex, last.index);
    }
    if (rd.committedEntries.length > 0) this.applied = rd.committedEntries[rd.committedEntries.length - 1].index;
  }

  status(): Status {
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leaderId: this.leaderId,
      commit: this.commit,
      applied: this.applied,
      lastIndex: this.log.lastIndex(),
      firstIndex: this.log.firstIndex(),
      membership: this.membership,
      leadTransferee: this.leadTransferee,
    };
  }

  /** Leader only: how far each follower's log is known to match this one (empty on followers). */
  matchIndexes(): Map<NodeId, number> {
    const result = new Map<NodeId, number>();
    for (const [id, pr] of this.progress) result.set(id, pr.match);
    return result;
  }

  /** Term of the entry at `index`, if this node still holds it (or it is the compaction base). */
  termAt(index: number): number | undefined {
    return this.log.term(index);
  }

  /** The entry at `index`, if held. */
  entryAt(index: number): LogEntry | undefined {
    return this.log.entry(index);
  }

  // ---- roles ----

  private becomeFollower(term: number, leaderId: NodeId | null): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.role = 'follower';
    this.leaderId = leaderId;
    this.leaveLeadership();
    this.resetElectionTimer();
  }

  private leaveLeadership(): void {
    this.progress.clear();
    this.leadTransferee = null;
    this.pendingReads = [];
    this.readsBeforeCommit = [];
    this.needsBroadcast = false;
  }

  private becomePreCandidate(): void {
    this.role = 'pre-candidate';
    this.leaderId = null;
    this.votes.clear();
    this.leaveLeadership();
    this.resetElectionTimer();
  }

  private becomeCandidate(): void {
    this.term++;
    this.vote = this.id;
    this.role = 'candidate';
    this.leaderId = null;
    this.votes.clear();
    this.leaveLeadership();
    this.resetElectionTimer();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leaderId = this.id;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.progress.clear();
    this.syncProgress();
    // §5.4.2/§8: a no-op of the new term lets the leader commit (and learn the commit index of)
    // entries from earlier terms, which it may not count replicas of directly.
    this.termStartIndex = this.log.lastIndex() + 1;
    this.appendOwn('noop', new Uint8Array(0));
  }

  private campaign(preVote: boolean, transfer: boolean): void {
    if (preVote) this.becomePreCandidate();
    else this.becomeCandidate();
    const voteTerm = preVote ? this.term + 1 : this.term;
    this.votes.set(this.id, true);
    if (this.tallyVotes()) return;
    for (const voter of voterIds(this.membership)) {
      if (voter === this.id) continue;
      this.send<RequestVote>({
        type: 'RequestVote',
        to: voter,
        term: voteTerm,
        preVote,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        transfer,
      });
    }
  }

  /** Counts votes; on a quorum either way, moves on. Returns whether the election ended. */
  private tallyVotes(): boolean {
    const voters = voterIds(this.membership);
    let granted = 0;
    let rejected = 0;
    for (const v of voters) {
      const vote = this.votes.get(v);
      if (vote === true) granted++;
      else if (vote === false) rejected++;
    }
    const needed = quorum(voters.length);
    if (granted >= needed) {
      if (this.role === 'pre-candidate') this.campaign(false, false);
      else this.becomeLeader();
      return true;
    }
    if (rejected >= needed) {
      this.becomeFollower(this.term, null);
      return true;
    }
    return false;
  }

  // ---- elections ----

  private promotable(): boolean {
    return isVoter(this.membership, this.id);
  }

  private inLease(): boolean {
    return this.cfg.checkQuorum && this.leaderId !== null && this.electionElapsed < this.cfg.electionTicks;
  }

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.cfg.random.int(this.cfg.electionTicks);
  }

  private handleRequestVote(m: RequestVote): void {
    // A vote is free if already given to this candidate, or nobody got it and no leader is
    // known in this term; a PreVote for a later term does not bind anything.
    const free = this.vote === m.from || (this.vote === null && this.leaderId === null) || (m.preVote && m.term > this.term);
    // §5.4.1 election restriction: only a candidate whose log is at least as up to date.
    if (free && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      this.send<RequestVoteResponse>({ type: 'RequestVoteResponse', to: m.from, term: m.term, preVote: m.preVote, granted: true });
      if (!m.preVote) {
        this.vote = m.from;
        this.electionElapsed = 0;
      }
    } else {
      this.send<RequestVoteResponse>({ type: 'RequestVoteResponse', to: m.from, preVote: m.preVote, granted: false });
    }
  }

  private handleVoteResponse(m: RequestVoteResponse): void {
    if (m.preVote ? this.role !== 'pre-candidate' : this.role !== 'candidate') return;
    if (m.preVote && m.granted && m.term !== this.term + 1) return;
    if (!this.votes.has(m.from)) this.votes.set(m.from, m.granted);
    this.tallyVotes();
  }

  // ---- follower side of replication ----

  private handleAppendEntries(m: AppendEntries): void {
    if (m.prevLogIndex < this.commit) {
      // Everything up to our commit index matches the leader already; skip ahead so a
      // compacted prevLogIndex is never looked up.
      const skip = this.commit - m.prevLogIndex;
      if (skip >= m.entries.length) {
        this.replyAppend(m.from, true, this.commit);
        return;
      }
      const rest = m.entries.slice(skip);
      this.handleAppendEntries({ ...m, prevLogIndex: this.commit, prevLogTerm: this.log.term(this.commit) ?? 0, entries: rest });
      return;
    }
    const myPrevTerm = this.log.term(m.prevLogIndex);
    if (myPrevTerm !== m.prevLogTerm) {
      // §5.3 consistency check failed. Hints let the leader skip a whole term per round trip.
      if (myPrevTerm === undefined) {
        this.send<AppendEntriesResponse>({ type: 'AppendEntriesResponse', to: m.from, success: false, matchIndex: 0, conflictTerm: 0, conflictIndex: this.log.lastIndex() + 1 });
      } else {
        this.send<AppendEntriesResponse>({ type: 'AppendEntriesResponse', to: m.from, success: false, matchIndex: 0, conflictTerm: myPrevTerm, conflictIndex: this.log.firstIndexOfTerm(m.prevLogIndex) });
      }
      return;
    }
    let configTouched = false;
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i];
      const mine = this.log.term(e.index);
      if (mine === e.term) continue;
      if (mine !== undefined) {
        // §5.3: an existing entry conflicts with a new one: delete it and all that follow.
        if (e.index <= this.commit) throw new Error(`raft ${this.id}: leader ${m.from} would overwrite committed entry ${e.index}`);
        if (this.log.entriesAfter(e.index - 1).some((x) => x.type === 'config')) configTouched = true;
        this.log.truncateFrom(e.index);
        this.stableIndex = Math.min(this.stableIndex, e.index - 1);
      }
      const rest = m.entries.slice(i);
      this.log.append(rest);
      if (rest.some((x) => x.type === 'config')) configTouched = true;
      break;
    }
    if (configTouched) this.reloadMembership();
    const lastNew = m.prevLogIndex + m.entries.length;
    this.advanceCommit(Math.min(m.leaderCommit, lastNew));
    this.replyAppend(m.from, true, lastNew);
  }

  private handleHeartbeat(m: Heartbeat): void {
    // The leader sends commit = min(our match, its commit), so these entries match its log.
    this.advanceCommit(Math.min(m.commit, this.log.lastIndex()));
    this.send<HeartbeatResponse>({ type: 'HeartbeatResponse', to: m.from, readContext: m.readContext });
  }

  private handleInstallSnapshot(m: InstallSnapshot): void {
    const meta = m.snapshot.meta;
    if (meta.index <= this.commit) {
      this.send<InstallSnapshotResponse>({ type: 'InstallSnapshotResponse', to: m.from, matchIndex: this.commit });
      return;
    }
    if (this.log.term(meta.index) === meta.term) {
      // §7: the log already holds what the snapshot covers; keep the entries after it.
      this.advanceCommit(meta.index);
      this.send<InstallSnapshotResponse>({ type: 'InstallSnapshotResponse', to: m.from, matchIndex: meta.index });
      return;
    }
    // §7: discard the whole log and take the snapshot's state.
    this.log.reset(meta.index, meta.term);
    this.commit = meta.index;
    this.applied = meta.index;
    this.stableIndex = meta.index;
    this.snapshot = m.snapshot;
    this.pendingSnapshot = m.snapshot;
    this.membership = meta.membership;
    this.configIndex = meta.index;
    this.membershipChanged = true;
    this.send<InstallSnapshotResponse>({ type: 'InstallSnapshotResponse', to: m.from, matchIndex: meta.index });
  }

  private replyAppend(to: NodeId, success: boolean, matchIndex: number): void {
    this.send<AppendEntriesResponse>({ type: 'AppendEntriesResponse', to, success, matchIndex, conflictTerm: 0, conflictIndex: 0 });
  }

  private advanceCommit(index: number): void {
    if (index > this.commit) this.commit = index;
  }

  // ---- leader side of replication ----

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const pr of this.progress.values()) {
      if (pr.state === 'snapshot' && ++pr.snapshotTicks >= this.cfg.electionTicks) {
        // The snapshot or its answer was lost: start over from probing.
        pr.becomeProbe(pr.match + 1);
      }
    }
    if (this.leadTransferee !== null && ++this.transferElapsed >= this.cfg.electionTicks) {
      this.leadTransferee = null; // §3.10: give up after an election timeout and resume service
    }
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, null);
        return;
      }
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  /** CheckQuorum: did a majority of voters (this node included, if a voter) answer since the last round? */
  private quorumActive(): boolean {
    const voters = voterIds(this.membership);
    let active = 0;
    for (const v of voters) {
      if (v === this.id) {
        active++;
        continue;
      }
      const pr = this.progress.get(v);
      if (pr?.recentActive) active++;
    }
    for (const pr of this.progress.values()) pr.recentActive = false;
    return active >= quorum(voters.length);
  }

  private assertLeaderAccepting(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leaderId, 'this node is not the leader');
    if (this.leadTransferee !== null) throw new NotLeaderError(this.leadTransferee, 'leadership is being transferred');
  }

  private appendOwn(type: LogEntry['type'], data: Uint8Array): { index: number; term: number } {
    const entry: LogEntry = { index: this.log.lastIndex() + 1, term: this.term, type, data };
    this.log.append([entry]);
    if (type === 'config') this.reloadMembership();
    this.needsBroadcast = true;
    this.maybeCommit();
    return { index: entry.index, term: entry.term };
  }

  private broadcastAppend(allowEmpty: boolean): void {
    for (const id of this.progress.keys()) this.sendAppends(id, allowEmpty);
  }

  private broadcastHeartbeat(): void {
    for (const [id, pr] of this.progress) {
      this.send<Heartbeat>({ type: 'Heartbeat', to: id, commit: Math.min(pr.match, this.commit), readContext: this.readContext });
    }
  }

  /** Sends as many AppendEntries as flow control allows (pipelining); at least one if `allowEmpty`. */
  private sendAppends(to: NodeId, allowEmpty: boolean): void {
    const pr = this.progress.get(to);
    if (!pr) return;
    let sentAny = false;
    while (pr.canSend()) {
      const prevIndex = pr.next - 1;
      const prevTerm = this.log.term(prevIndex);
      if (prevTerm === undefined) {
        this.sendSnapshot(to, pr);
        return;
      }
      const last = Math.min(this.log.lastIndex(), prevIndex + this.cfg.maxEntriesPerMessage);
      const entries = last > prevIndex ? this.log.slice(prevIndex + 1, last) : [];
      if (entries.length === 0 && (sentAny || !allowEmpty)) return;
      this.send<AppendEntries>({ type: 'AppendEntries', to, prevLogIndex: prevIndex, prevLogTerm: prevTerm, entries, leaderCommit: this.commit });
      pr.sent(last, entries.length > 0);
      sentAny = true;
      if (entries.length === 0) return;
    }
  }

  private sendSnapshot(to: NodeId, pr: Progress): void {
    if (this.snapshot === null) {
      // Cannot happen: entries are only compacted after a snapshot is taken.
      throw new Error(`raft ${this.id}: follower ${to} needs compacted entries but there is no snapshot`);
    }
    pr.becomeSnapshot(this.snapshot.meta.index);
    this.send<InstallSnapshot>({ type: 'InstallSnapshot', to, snapshot: this.snapshot });
  }

  private handleAppendResponse(m: AppendEntriesResponse): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (!m.success) {
      if (m.conflictIndex === 0) return; // a stale-term notice, not an answer to a probe
      // Fast backtracking: skip the follower's whole conflicting term if we lack it, else
      // resume after our last entry of that term.
      let next = m.conflictIndex;
      if (m.conflictTerm > 0) {
        const ours = this.log.lastIndexOfTerm(m.conflictTerm);
        if (ours > 0) next = ours + 1;
      }
      if (pr.state === 'snapshot') return;
      pr.becomeProbe(Math.min(next, this.log.lastIndex() + 1));
      this.sendAppends(m.from, true);
      return;
    }
    const news = pr.acknowledge(m.matchIndex);
    if (pr.state === 'probe' && news) pr.becomeReplicate();
    if (pr.state === 'snapshot' && pr.match >= pr.snapshotIndex) pr.becomeProbe(pr.match + 1);
    if (news) {
      if (this.maybeCommit()) this.broadcastAppend(true);
      this.maybeSendTimeoutNow(m.from);
      this.maybePromote();
    }
    if (this.role === 'leader') this.sendAppends(m.from, false);
  }

  private handleHeartbeatResponse(m: HeartbeatResponse): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (pr.state === 'replicate' && pr.inflightFull()) pr.freeOne();
    if (pr.state === 'probe') pr.probeSent = false;
    // Entries (or the commit index) may have been lost on the way: resend from `next`, which
    // a rejection will correct if a gap opened.
    if (pr.match < this.log.lastIndex()) this.sendAppends(m.from, true);
    if (m.readContext > 0 && isVoter(this.membership, m.from)) this.ackReads(m.from, m.readContext);
  }

  private handleSnapshotResponse(m: InstallSnapshotResponse): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (m.matchIndex > pr.match) pr.match = m.matchIndex;
    if (pr.state === 'snapshot') pr.becomeProbe(pr.match + 1);
    if (this.maybeCommit()) this.broadcastAppend(true);
    this.sendAppends(m.from, true);
  }

  /**
   * §5.3/§5.4.2: the commit index is the highest index a quorum of voters holds, but only an
   * entry of the current term is committed by counting replicas (Figure 8); earlier ones
   * follow it. Returns whether the commit index moved.
   */
  private maybeCommit(): boolean {
    const voters = voterIds(this.membership);
    if (voters.length === 0) return false;
    const matches = voters.map((v) => (v === this.id ? this.log.lastIndex() : (this.progress.get(v)?.match ?? 0)));
    matches.sort((a, b) => b - a);
    const candidate = matches[quorum(voters.length) - 1];
    if (candidate <= this.commit || this.log.term(candidate) !== this.term) return false;
    this.commit = candidate;
    this.afterCommit();
    return true;
  }

  private afterCommit(): void {
    this.maybePromote();
    if (this.readsBeforeCommit.length > 0 && this.commit >= this.termStartIndex) {
      const waiting = this.readsBeforeCommit;
      this.readsBeforeCommit = [];
      for (const id of waiting) this.registerRead(id);
    }
    if (this.configIndex <= this.commit && !this.membership.members.some((m) => m.id === this.id)) {
      // §4.2.2: a leader removed from the configuration steps down once the removal is
      // committed, handing off to the most up-to-date remaining voter so no election timeout is lost.
      let best: NodeId | null = null;
      let bestMatch = -1;
      for (const v of voterIds(this.membership)) {
        const match = this.progress.get(v)?.match ?? 0;
        if (match > bestMatch) {
          best = v;
          bestMatch = match;
        }
      }
      if (best !== null && bestMatch === this.log.lastIndex()) this.send<TimeoutNow>({ type: 'TimeoutNow', to: best });
      this.becomeFollower(this.term, null);
    }
  }

  private maybeSendTimeoutNow(to: NodeId): void {
    if (this.leadTransferee !== to) return;
    const pr = this.progress.get(to);
    if (!pr) return;
    if (pr.match === this.log.lastIndex()) this.send<TimeoutNow>({ type: 'TimeoutNow', to });
    else this.sendAppends(to, true);
  }

  /** A learner that holds everything committed becomes a voter (JoinCluster's second step). */
  private maybePromote(): void {
    if (this.role !== 'leader' || this.leadTransferee !== null) return;
    if (this.configIndex > this.commit || this.commit < this.termStartIndex) return;
    if (!this.membership.members.some((m) => m.id === this.id)) return; // a leader on its way out
    for (const member of this.membership.members) {
      if (member.voter || (this.progress.get(member.id)?.match ?? 0) < this.commit) continue;
      this.proposeConfigChange({ type: 'promote', id: member.id });
      return; // one change at a time
    }
  }

  // ---- ReadIndex ----

  private registerRead(id: number): void {
    // Only heartbeats sent from now on may confirm this read (§6.4 step 3).
    this.readContext = id;
    const read: PendingRead = { id, index: this.commit, acks: new Set() };
    if (isVoter(this.membership, this.id)) read.acks.add(this.id);
    this.pendingReads.push(read);
    this.releaseReads();
    if (this.pendingReads.length > 0) this.broadcastHeartbeat();
  }

  private ackReads(from: NodeId, context: number): void {
    for (const read of this.pendingReads) {
      if (read.id > context) break;
      read.acks.add(from);
    }
    this.releaseReads();
  }

  private releaseReads(): void {
    const voters = voterIds(this.membership);
    const needed = quorum(voters.length);
    while (this.pendingReads.length > 0) {
      const read = this.pendingReads[0];
      let acks = 0;
      for (const v of voters) if (read.acks.has(v)) acks++;
      if (acks < needed) return;
      this.pendingReads.shift();
      this.readStates.push({ requestId: read.id, index: read.index });
    }
  }

  // ---- membership ----

  /** Takes the latest config entry in the log (or the snapshot's) as the configuration: §4.1, effective when appended. */
  private reloadMembership(): void {
    const entries = this.log.entriesAfter(this.log.firstIndex() - 1);
    let found = false;
    for (let i = entries.length - 1; i >= 0; i--) {
      if (entries[i].type === 'config') {
        this.membership = decodeMembership(entries[i].data);
        this.configIndex = entries[i].index;
        found = true;
        break;
      }
    }
    if (!found) {
      // No config entry after the base: the configuration is the snapshot's, whose index is
      // never below the base (the log is only compacted up to a snapshot).
      this.membership = this.snapshot?.meta.membership ?? EMPTY_MEMBERSHIP;
      this.configIndex = this.snapshot?.meta.index ?? 0;
    }
    this.membershipChanged = true;
    if (this.role === 'leader') this.syncProgress();
  }

  private syncProgress(): void {
    const ids = new Set(this.membership.members.map((m) => m.id));
    for (const id of this.progress.keys()) if (!ids.has(id)) this.progress.delete(id);
    for (const id of ids) {
      if (id === this.id || this.progress.has(id)) continue;
      this.progress.set(id, new Progress(this.log.lastIndex() + 1, this.cfg.maxInflight));
    }
  }

  // ---- helpers ----

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.commit };
  }

  private send<M extends Message>(m: Omit<M, 'from' | 'term'> & { term?: number }): void {
    this.messages.push({ ...m, from: this.id, term: m.term ?? this.term } as Message);
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
