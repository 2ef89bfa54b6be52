/**
 * Data types of the Raft consensus: what the log, the stores, the transport and the state
 * machine exchange. Everything here is plain data (no classes) so a store or a transport can
 * encode it without knowing the consensus code.
 */

/** A server's stable identity; never reused for a different server. */
export type NodeId = string;

/**
 * One server of the cluster configuration. Addresses are opaque to the consensus: the
 * transport reads `raftAddr`, the cluster API reports `clusterAddr`.
 */
export interface Member {
  id: NodeId;
  /** Voters elect leaders and count for commitment; learners (non-voters) only replicate. */
  voter: boolean;
  raftAddr: string;
  clusterAddr: string;
}

/** A cluster configuration. The ids are unique. */
export interface Membership {
  members: Member[];
}

/**
 * `command`: opaque client data for the state machine.
 * `config`: `data` is an encoded Membership (see membership.ts); it takes effect when appended.
 * `noop`: appended by a new leader so it can commit entries of earlier terms (§5.4.2).
 */
export type EntryType = 'command' | 'config' | 'noop';

/**
 * A log entry. Entries carry no checksum in memory: a durable LogStore computes one over
 * (index, term, type, data) when it writes an entry and verifies it when it reads it back.
 */
export interface LogEntry {
  index: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
}

/** State that must be durable before the node sends any message that depends on it (Figure 2). */
export interface HardState {
  term: number;
  /** The candidate voted for in `term`, or null. */
  vote: NodeId | null;
  /** Highest index known committed; a hint only (relearned from the leader after a restart). */
  commit: number;
}

export interface SnapshotMeta {
  /** Last log index the snapshot includes. */
  index: number;
  /** Term of the entry at `index`. */
  term: number;
  /** The configuration in effect at `index` (the latest config entry at or before it). */
  membership: Membership;
}

/** A state machine snapshot. `data` is whatever StateMachine.snapshot() produced. */
export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

interface MessageBase {
  from: NodeId;
  to: NodeId;
  /** Sender's current term (for PreVote requests and granted PreVote replies: the term it would campaign in). */
  term: number;
}

/** RequestVote (§5.2) and its PreVote form (dissertation §9.6). */
export interface RequestVote extends MessageBase {
  type: 'RequestVote';
  preVote: boolean;
  lastLogIndex: number;
  lastLogTerm: number;
  /** Set when the election follows TimeoutNow: voters ignore their leader lease (§3.10). */
  transfer: boolean;
}

export interface RequestVoteResponse extends MessageBase {
  type: 'RequestVoteResponse';
  preVote: boolean;
  granted: boolean;
}

/** AppendEntries (§5.3). An empty `entries` probes the follower's log. */
export interface AppendEntries extends MessageBase {
  type: 'AppendEntries';
  prevLogIndex: number;
  prevLogTerm: number;
  entries: LogEntry[];
  leaderCommit: number;
}

export interface AppendEntriesResponse extends MessageBase {
  type: 'AppendEntriesResponse';
  success: boolean;
  /** On success: the last index known to match the leader's log. */
  matchIndex: number;
  /**
   * On failure, fast backtracking hints: the follower's term at prevLogIndex (0 if its log is
   * shorter) and the first index it holds with that term (or its last index + 1 when shorter).
   */
  conflictTerm: number;
  conflictIndex: number;
}

/** Leader liveness and ReadIndex confirmation; carries commit, never entries. */
export interface Heartbeat extends MessageBase {
  type: 'Heartbeat';
  /** min(follower's match index, leader commit): never beyond what the follower is known to hold. */
  commit: number;
  /** Highest ReadIndex request id issued before this heartbeat (0: none). */
  readContext: number;
}

export interface HeartbeatResponse extends MessageBase {
  type: 'HeartbeatResponse';
  readContext: number;
}

/** InstallSnapshot (§7) as one message; a transport may stream `snapshot.data` in chunks. */
export interface InstallSnapshot extends MessageBase {
  type: 'InstallSnapshot';
  snapshot: Snapshot;
}

export interface InstallSnapshotResponse extends MessageBase {
  type: 'InstallSnapshotResponse';
  /** The follower's log now matches the leader's up to here. */
  matchIndex: number;
}

/** Tells a caught-up follower to campaign at once (leadership transfer, dissertation §3.10). */
export interface TimeoutNow extends MessageBase {
  type: 'TimeoutNow';
}

export type Message =
  | RequestVote
  | RequestVoteResponse
  | AppendEntries
  | AppendEntriesResponse
  | Heartbeat
  | HeartbeatResponse
  | InstallSnapshot
  | InstallSnapshotResponse
  | TimeoutNow;

export type MessageType = Message['type'];

/** A confirmed ReadIndex: a read issued with `requestId` is linearizable once `index` is applied (§6.4). */
export interface ReadState {
  requestId: number;
  index: number;
}

/** The only source of randomness the consensus uses, so a seed fixes every election timeout. */
export interface RandomSource {
  /** A uniformly distributed integer in [0, bound). */
  int(bound: number): number;
}
