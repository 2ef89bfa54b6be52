/**
 * Converts consensus messages to and from the wire messages of raft.proto. Decoding validates
 * what protobuf cannot (an envelope with no body, an unknown entry type) so a malformed message
 * from a peer is refused instead of reaching the consensus half-formed.
 */
import type { EntryType, LogEntry, Member, Message, SnapshotMeta } from '../../consensus/types.js';
import {
  EntryType as WireEntryType,
  type Envelope,
  type LogEntry as WireLogEntry,
  type Member as WireMember,
  type SnapshotMeta as WireSnapshotMeta,
} from '../../../src/gen/cluster/v1/raft.js';

/** Every message type except InstallSnapshot, which travels as a stream (snapshot-stream.ts). */
export type EnvelopeMessage = Exclude<Message, { type: 'InstallSnapshot' }>;

/** A peer sent something that is not a valid message; `checksum` when snapshot data is damaged. */
export class MalformedMessageError extends Error {
  constructor(
    message: string,
    readonly kind: 'malformed' | 'checksum' = 'malformed',
  ) {
    super(message);
  }
}

/** A Buffer view of `bytes` without copying, as the generated encoders expect. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A plain Uint8Array view of a decoded Buffer without copying, so receivers get the same type
 * the consensus produced (the memory transport hands over the sender's own objects).
 */
export function asBytes(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

const ENTRY_TYPES: Record<EntryType, WireEntryType> = {
  command: WireEntryType.ENTRY_TYPE_COMMAND,
  config: WireEntryType.ENTRY_TYPE_CONFIG,
  noop: WireEntryType.ENTRY_TYPE_NOOP,
};

function entryToWire(entry: LogEntry): WireLogEntry {
  return { index: entry.index, term: entry.term, type: ENTRY_TYPES[entry.type], data: asBuffer(entry.data) };
}

function entryFromWire(entry: WireLogEntry): LogEntry {
  const type = (Object.keys(ENTRY_TYPES) as EntryType[]).find((t) => ENTRY_TYPES[t] === entry.type);
  if (type === undefined) throw new MalformedMessageError(`log entry ${entry.index} has unknown type ${entry.type}`);
  return { index: entry.index, term: entry.term, type, data: asBytes(entry.data) };
}

export function envelopeFromMessage(message: EnvelopeMessage): Envelope {
  const envelope: Envelope = { from: message.from, to: message.to, term: message.term };
  switch (message.type) {
    case 'RequestVote':
      envelope.requestVote = { preVote: message.preVote, lastLogIndex: message.lastLogIndex, lastLogTerm: message.lastLogTerm, transfer: message.transfer };
      break;
    case 'RequestVoteResponse':
      envelope.requestVoteResponse = { preVote: message.preVote, granted: message.granted };
      break;
    case 'AppendEntries':
      envelope.appendEntries = {
        prevLogIndex: message.prevLogIndex,
        prevLogTerm: message.prevLogTerm,
        entries: message.entries.map(entryToWire),
        leaderCommit: message.leaderCommit,
      };
      break;
    case 'AppendEntriesResponse':
      envelope.appendEntriesResponse = {
        success: message.success,
        matchIndex: message.matchIndex,
        conflictTerm: message.conflictTerm,
        conflictIndex: message.conflictIndex,
      };
      break;
    case 'Heartbeat':
      envelope.heartbeat = { commit: message.commit, readContext: message.readContext };
      break;
    case 'HeartbeatResponse':
      envelope.heartbeatResponse = { readContext: message.readContext };
      break;
    case 'InstallSnapshotResponse':
      envelope.installSnapshotResponse = { matchIndex: message.matchIndex };
      break;
    case 'TimeoutNow':
      envelope.timeoutNow = {};
      break;
  }
  return envelope;
}

export function messageFromEnvelope(envelope: Envelope): EnvelopeMessage {
  const base = { from: envelope.from, to: envelope.to, term: envelope.term };
  if (envelope.requestVote) return { ...base, type: 'RequestVote', ...envelope.requestVote };
  if (envelope.requestVoteResponse) return { ...base, type: 'RequestVoteResponse', ...envelope.requestVoteResponse };
  if (envelope.appendEntries) {
    const a = envelope.appendEntries;
    return {
      ...base,
      type: 'AppendEntries',
      prevLogIndex: a.prevLogIndex,
      prevLogTerm: a.prevLogTerm,
      entries: a.entries.map(entryFromWire),
      leaderCommit: a.leaderCommit,
    };
  }
  if (envelope.appendEntriesResponse) return { ...base, type: 'AppendEntriesResponse', ...envelope.appendEntriesResponse };
  if (envelope.heartbeat) return { ...base, type: 'Heartbeat', ...envelope.heartbeat };
  if (envelope.heartbeatResponse) return { ...base, type: 'HeartbeatResponse', ...envelope.heartbeatResponse };
  if (envelope.installSnapshotResponse) return { ...base, type: 'InstallSnapshotResponse', ...envelope.installSnapshotResponse };
  if (envelope.timeoutNow) return { ...base, type: 'TimeoutNow' };
  throw new MalformedMessageError(`the envelope from ${envelope.from} carries no message`);
}

function memberToWire(member: Member): WireMember {
  return { id: member.id, voter: member.voter, raftAddr: member.raftAddr, clusterAddr: member.clusterAddr };
}

export function snapshotMetaToWire(meta: SnapshotMeta): WireSnapshotMeta {
  return { index: meta.index, term: meta.term, members: meta.membership.members.map(memberToWire) };
}

export function snapshotMetaFromWire(meta: WireSnapshotMeta): SnapshotMeta {
  return {
    index: meta.index,
    term: meta.term,
    membership: { members: meta.members.map((m) => ({ id: m.id, voter: m.voter, raftAddr: m.raftAddr, clusterAddr: m.clusterAddr })) },
  };
}
