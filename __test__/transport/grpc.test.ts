/** GrpcTransport beyond the shared contract: security, damaged snapshots, queue bounds, reconnects. */
import test from 'ava';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Message, MessageType, NodeId } from '../../cluster/consensus/types.js';
import { RaftTransportClient, type Ack, type Envelope, type SnapshotChunk } from '../../src/gen/cluster/v1/raft.js';
import { snapshotChunks } from '../../cluster/transport/grpc/snapshot-stream.js';
import { GrpcTransport, type RejectReason, type TransportHooks } from '../../cluster/transport/grpc/index.js';
import { VectorXLiteError } from '../../src/errors.js';
import { deadAddress, grpcTransport } from './grpc-cluster.js';
import { Inbox } from './inbox.js';
import { randomBytes, snapshotMessage } from './messages.js';
import { selfSignedTls } from './tls.js';

const TOKEN = 'cluster-secret';

function marker(from: NodeId, to: NodeId, readContext: number): Message {
  return { type: 'HeartbeatResponse', from, to, term: 1, readContext };
}

function hasMarker(inbox: Inbox, readContext: number): boolean {
  return inbox.messages.some((m) => m.type === 'HeartbeatResponse' && m.readContext === readContext);
}

/** Hooks that record every event, and a way to wait for the next send result. */
function recorder() {
  const rejects: RejectReason[] = [];
  const results: Array<{ peer: NodeId; ok: boolean; type: MessageType }> = [];
  let waiting: ((ok: boolean) => void) | null = null;
  const hooks: TransportHooks = {
    onReject: (reason) => rejects.push(reason),
    onSendResult: (peer, ok, type) => {
      results.push({ peer, ok, type });
      waiting?.(ok);
      waiting = null;
    },
  };
  const nextResult = (): Promise<boolean> => new Promise((resolve) => (waiting = resolve));
  return { hooks, rejects, results, nextResult };
}

function rawClient(address: string): RaftTransportClient {
  return new RaftTransportClient(address, credentials.createInsecure());
}

function bearer(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

function deliverRaw(client: RaftTransportClient, envelope: Envelope, token: string | undefined): Promise<ServiceError | null> {
  return new Promise((resolve) => client.deliver(envelope, bearer(token), (err) => resolve(err)));
}

function streamRaw(client: RaftTransportClient, chunks: SnapshotChunk[], token: string): Promise<ServiceError | null> {
  return new Promise((resolve) => {
    const call = client.installSnapshot(bearer(token), (err: ServiceError | null, _ack?: Ack) => resolve(err));
    for (const chunk of chunks) call.write(chunk);
    call.end();
  });
}

test('GrpcTransport: peers without the cluster token are refused with UNAUTHENTICATED and deliver nothing', async (t) => {
  const seen = recorder();
  const receiver = await grpcTransport(t, { id: 'r', token: TOKEN, hooks: seen.hooks });
  const inbox = new Inbox();
  receiver.transport.onMessage(inbox.handler);

  for (const [i, token] of [[1, 'not-the-secret'], [2, undefined]] as const) {
    const sent = recorder();
    const sender = await grpcTransport(t, { id: `s${i}`, token, hooks: sent.hooks });
    sender.transport.setMembers([sender.member, receiver.member]);
    const result = sent.nextResult();
    sender.transport.send(marker(sender.member.id, 'r', i));
    t.false(await result, `sender ${i} was told its message was accepted`);
  }

  const client = rawClient(receiver.member.raftAddr);
  t.teardown(() => client.close());
  const err = await deliverRaw(client, { from: 'raw', to: 'r', term: 1, timeoutNow: {} }, undefined);
  t.is(err?.code, status.UNAUTHENTICATED);

  const good = await grpcTransport(t, { id: 'ok', token: TOKEN });
  good.transport.setMembers([good.member, receiver.member]);
  good.transport.send(marker('ok', 'r', 3));
  await inbox.waitFor((m) => m.type === 'HeartbeatResponse' && m.readContext === 3, 'message with the right token');

  t.false(hasMarker(inbox, 1));
  t.false(hasMarker(inbox, 2));
  t.false(inbox.messages.some((m) => m.type === 'TimeoutNow'));
  t.deepEqual(seen.rejects, ['unauthenticated', 'unauthenticated', 'unauthenticated']);
});

test('GrpcTransport: mutual TLS round trip; peers without TLS or with an untrusted certificate are refused', async (t) => {
  const tls = await selfSignedTls(t, 'raft-cluster');
  const a = await grpcTransport(t, { id: 'a', token: TOKEN, tls });
  const b = await grpcTransport(t, { id: 'b', token: TOKEN, tls });
  const inboxA = new Inbox();
  const inboxB = new Inbox();
  a.transport.onMessage(inboxA.handler);
  b.transport.onMessage(inboxB.handler);
  a.transport.setMembers([a.member, b.member]);
  b.transport.setMembers([a.member, b.member]);
  const snapshot = snapshotMessage('a', 'b', randomBytes(2 * 1024 * 1024 + 7, 8));
  a.transport.send(snapshot);
  b.transport.send(marker('b', 'a', 1));
  const received = await inboxB.waitFor((m) => m.type === 'InstallSnapshot', 'snapshot over TLS');
  t.true(received.type === 'InstallSnapshot' && Buffer.from(received.snapshot.data).equals(snapshot.snapshot.data));
  await inboxA.waitFor((m) => m.type === 'HeartbeatResponse', 'message over TLS');

  const strangers = [
    { id: 'plain', tls: undefined },
    { id: 'untrusted', tls: await selfSignedTls(t, 'another-cluster') },
  ];
  for (const [i, stranger] of strangers.entries()) {
    const sent = recorder();
    const s = await grpcTransport(t, { id: stranger.id, token: TOKEN, tls: stranger.tls, hooks: sent.hooks });
    s.transport.setMembers([s.member, b.member]);
    const result = sent.nextResult();
    s.transport.send(marker(stranger.id, 'b', 10 + i));
    t.false(await result, `${stranger.id} got through`);
    t.false(hasMarker(inboxB, 10 + i));
  }
});

test('GrpcTransport: damaged or incomplete snapshot streams are refused and not delivered', async (t) => {
  const seen = recorder();
  const receiver = await grpcTransport(t, { id: 'r', token: TOKEN, hooks: seen.hooks });
  const inbox = new Inbox();
  receiver.transport.onMessage(inbox.handler);
  const client = rawClient(receiver.member.raftAddr);
  t.teardown(() => client.close());

  const message = snapshotMessage('raw', 'r', randomBytes(5000, 9));
  const chunks = (): SnapshotChunk[] => [...snapshotChunks(message, 1024)].map((c) => ({ ...c, data: Buffer.from(c.data) }));

  const flipped = chunks();
  flipped[2].data[100] ^= 0xff;
  t.is((await streamRaw(client, flipped, TOKEN))?.code, status.DATA_LOSS, 'checksum mismatch');
  t.is((await streamRaw(client, chunks().slice(0, -1), TOKEN))?.code, status.INVALID_ARGUMENT, 'no final chunk');
  t.is((await streamRaw(client, chunks().slice(1), TOKEN))?.code, status.INVALID_ARGUMENT, 'no header');
  const padded = chunks();
  padded.splice(2, 0, { header: undefined, data: Buffer.alloc(10), final: false });
  t.is((await streamRaw(client, padded, TOKEN))?.code, status.INVALID_ARGUMENT, 'more bytes than announced');
  t.deepEqual(seen.rejects, ['checksum', 'malformed', 'malformed', 'malformed']);

  t.is(await streamRaw(client, chunks(), TOKEN), null, 'the intact stream');
  const received = await inbox.waitFor((m) => m.type === 'InstallSnapshot', 'intact snapshot');
  t.deepEqual(inbox.messages.length, 1);
  t.true(received.type === 'InstallSnapshot' && Buffer.from(received.snapshot.data).equals(message.snapshot.data));
});

test('GrpcTransport: messages for another node or with no body are refused', async (t) => {
  const seen = recorder();
  const receiver = await grpcTransport(t, { id: 'r', hooks: seen.hooks });
  const inbox = new Inbox();
  receiver.transport.onMessage(inbox.handler);
  const client = rawClient(receiver.member.raftAddr);
  t.teardown(() => client.close());
  t.is((await deliverRaw(client, { from: 'x', to: 'elsewhere', term: 1, timeoutNow: {} }, undefined))?.code, status.FAILED_PRECONDITION);
  t.is((await deliverRaw(client, { from: 'x', to: 'r', term: 1 }, undefined))?.code, status.INVALID_ARGUMENT);
  t.is(await deliverRaw(client, { from: 'x', to: 'r', term: 1, timeoutNow: {} }, undefined), null);
  t.deepEqual(seen.rejects, ['misaddressed', 'malformed']);
  t.deepEqual(inbox.messages, [{ type: 'TimeoutNow', from: 'x', to: 'r', term: 1 }]);
});

test('GrpcTransport: a full queue drops new messages at once and counts them', async (t) => {
  const drops: string[] = [];
  const a = await grpcTransport(t, { id: 'a', queueLength: 5, maxInFlight: 2, hooks: { onDrop: (peer, reason) => drops.push(`${peer}:${reason}`) } });
  a.transport.setMembers([a.member, { id: 'down', voter: true, raftAddr: await deadAddress(), clusterAddr: '' }]);
  for (let i = 0; i < 10; i++) a.transport.send(marker('a', 'down', i));
  a.transport.send(marker('a', 'stranger', 0));
  // 2 in flight, 5 queued, 3 dropped, all before send() returned.
  t.deepEqual(drops, ['down:queue-full', 'down:queue-full', 'down:queue-full', 'stranger:unknown-peer']);
  a.transport.setMembers([a.member]);
  t.deepEqual(drops.slice(4), Array(5).fill('down:removed'));
});

test('GrpcTransport: many pipelined messages all arrive', async (t) => {
  const a = await grpcTransport(t, { id: 'a', maxInFlight: 8 });
  const b = await grpcTransport(t, { id: 'b' });
  const inbox = new Inbox();
  b.transport.onMessage(inbox.handler);
  a.transport.setMembers([a.member, b.member]);
  const count = 500;
  for (let i = 0; i < count; i++) {
    a.transport.send({ type: 'AppendEntries', from: 'a', to: 'b', term: 1, prevLogIndex: i, prevLogTerm: 1, leaderCommit: 0, entries: [{ index: i + 1, term: 1, type: 'command', data: randomBytes(64, i) }] });
  }
  await inbox.waitForCount(count, 'AppendEntries');
  const indexes = new Set(inbox.messages.map((m) => (m.type === 'AppendEntries' ? m.prevLogIndex : -1)));
  t.is(indexes.size, count);
});

test('GrpcTransport: a peer restarted on its address is reached again', async (t) => {
  const a = await grpcTransport(t, { id: 'a', token: TOKEN });
  const first = await GrpcTransport.listen({ id: 'b', listen: '127.0.0.1:0', token: TOKEN });
  const address = first.address;
  const b = { id: 'b', voter: true, raftAddr: address, clusterAddr: '' };
  a.transport.setMembers([a.member, b]);
  const firstInbox = new Inbox();
  first.onMessage(firstInbox.handler);
  a.transport.send(marker('a', 'b', 1));
  await firstInbox.waitFor((m) => m.type === 'HeartbeatResponse', 'message before the restart');
  await first.close();

  const second = await GrpcTransport.listen({ id: 'b', listen: address, token: TOKEN });
  t.teardown(() => second.close());
  const inbox = new Inbox();
  second.onMessage(inbox.handler);
  // Like Raft's heartbeats: keep sending until one gets through the reconnect.
  let n = 2;
  const timer = setInterval(() => a.transport.send(marker('a', 'b', n++)), 50);
  t.teardown(() => clearInterval(timer));
  await inbox.waitFor((m) => m.type === 'HeartbeatResponse', 'message after the restart');
  t.pass();
});

test('GrpcTransport: invalid options are refused with INVALID_ARGUMENT saying what to fix', async (t) => {
  for (const options of [
    { id: 'a', listen: '127.0.0.1' },
    { id: '', listen: '127.0.0.1:0' },
    { id: 'a', listen: '127.0.0.1:0', token: '' },
    { id: 'a', listen: '127.0.0.1:0', queueLength: 0 },
    { id: 'a', listen: '127.0.0.1:0', maxMessageBytes: 1024 * 1024, snapshotChunkBytes: 1024 * 1024 },
  ]) {
    const err = await t.throwsAsync(GrpcTransport.listen(options), { instanceOf: VectorXLiteError });
    t.is(err?.code, 'INVALID_ARGUMENT', JSON.stringify(options));
  }
  const defaults = await GrpcTransport.listen({ id: 'a', listen: '127.0.0.1:0', token: undefined, queueLength: undefined });
  t.teardown(() => defaults.close());
  t.regex(defaults.address, /^127\.0\.0\.1:\d+$/, 'options left undefined take their defaults');
});
