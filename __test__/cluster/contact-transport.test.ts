/**
 * ContactTransport over real GrpcTransports: a node in no configuration of its own answers a
 * peer it has never been told about, at the Raft address the peer's call carries; once it is a
 * member of a configuration, only that configuration counts (a removed server gets no answers).
 */
import test from 'ava';
import type { Message, NodeId } from '../../cluster/consensus/types.js';
import { ContactTransport } from '../../cluster/runtime/contact-transport.js';
import { grpcTransport } from '../transport/grpc-cluster.js';
import { waitFor } from './helpers/cluster.js';

const heartbeat = (readContext: number): Message => ({ type: 'Heartbeat', from: 'leader', to: 'new', term: 2, commit: 0, readContext });
const answer = (to: NodeId, readContext: number): Message => ({ type: 'HeartbeatResponse', from: 'new', to, term: 2, readContext });

test('a node outside any configuration answers the sender at the address its call carries, and stops once a member', async (t) => {
  const leader = await grpcTransport(t, { id: 'leader' });
  const drops: string[] = [];
  const inner = await grpcTransport(t, { id: 'new', hooks: { onDrop: (peer, reason) => drops.push(`${peer} ${reason}`) } });
  const node = new ContactTransport(inner.transport, 'new');
  const heard: Array<{ readContext: number; senderRaftAddr?: string }> = [];
  node.onMessage((m, senderRaftAddr) => {
    if (m.type !== 'Heartbeat') return;
    heard.push({ readContext: m.readContext, senderRaftAddr });
    node.send(answer(m.from, m.readContext));
  });
  const answers: number[] = [];
  leader.transport.onMessage((m) => {
    if (m.type === 'HeartbeatResponse') answers.push(m.readContext);
  });
  leader.transport.setMembers([leader.member, inner.member]);

  // The new node holds no configuration: it learns where the leader listens from the call.
  leader.transport.send(heartbeat(1));
  await waitFor('the answer to reach the leader', () => (answers.includes(1) ? true : undefined));
  t.deepEqual(heard, [{ readContext: 1, senderRaftAddr: leader.member.raftAddr }]);

  // A member of a configuration without the sender: nothing is learnt, the answer is dropped.
  node.setMembers([inner.member]);
  leader.transport.send(heartbeat(2));
  await waitFor('the second heartbeat', () => (heard.length === 2 ? true : undefined));
  t.deepEqual(drops, ['leader unknown-peer']);
  t.deepEqual(answers, [1]);
});
