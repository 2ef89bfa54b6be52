/** One message of every type, with every field set to a value unlike its default. */
import type { InstallSnapshot, Membership, Message, NodeId } from '../../cluster/consensus/types.js';
import { seededRandom } from '../helpers/random.js';

export function randomBytes(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

const membership: Membership = {
  members: [
    { id: 'n0', voter: true, raftAddr: '127.0.0.1:5001', clusterAddr: '127.0.0.1:5002' },
    { id: 'n9', voter: false, raftAddr: '127.0.0.1:5091', clusterAddr: '127.0.0.1:5092' },
  ],
};

export function snapshotMessage(from: NodeId, to: NodeId, data: Uint8Array): InstallSnapshot {
  return { type: 'InstallSnapshot', from, to, term: 7, snapshot: { meta: { index: 1234, term: 6, membership }, data } };
}

export function everyMessageType(from: NodeId, to: NodeId): Message[] {
  const base = { from, to, term: 2 ** 40 + 3 };
  // A view into the middle of a larger buffer: the transport must send the view, not the buffer.
  const framed = randomBytes(64, 2);
  return [
    { ...base, type: 'RequestVote', preVote: true, lastLogIndex: 41, lastLogTerm: 5, transfer: true },
    { ...base, type: 'RequestVoteResponse', preVote: true, granted: true },
    {
      ...base,
      type: 'AppendEntries',
      prevLogIndex: 40,
      prevLogTerm: 4,
      leaderCommit: 39,
      entries: [
        { index: 41, term: 5, type: 'command', data: randomBytes(300, 1) },
        { index: 42, term: 5, type: 'config', data: framed.subarray(10, 20) },
        { index: 43, term: 5, type: 'noop', data: new Uint8Array(0) },
      ],
    },
    { ...base, type: 'AppendEntriesResponse', success: false, matchIndex: 12, conflictTerm: 3, conflictIndex: 9 },
    { ...base, type: 'Heartbeat', commit: 38, readContext: 17 },
    { ...base, type: 'HeartbeatResponse', readContext: 17 },
    snapshotMessage(from, to, randomBytes(5000, 3)),
    { ...base, type: 'InstallSnapshotResponse', matchIndex: 1234 },
    { ...base, type: 'TimeoutNow' },
  ];
}
