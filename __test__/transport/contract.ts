/**
 * The Transport contract (cluster/transport/types.ts), as ava tests any implementation must pass.
 * A test file calls `transportContract` with a factory that makes connected transports.
 */
import test, { type ExecutionContext } from 'ava';
import type { InstallSnapshot, Member, Message } from '../../cluster/consensus/types.js';
import type { Transport } from '../../cluster/transport/types.js';
import { Inbox } from './inbox.js';
import { everyMessageType, randomBytes, snapshotMessage } from './messages.js';

export interface TransportSet {
  /** Transport i belongs to members[i]; none has been given members or a handler yet. */
  transports: Transport[];
  members: Member[];
  /** A member no transport answers for (a node that is down). */
  unreachable: Member;
}

export type TransportFactory = (t: ExecutionContext, count: number) => Promise<TransportSet>;

interface Node {
  transport: Transport;
  member: Member;
  inbox: Inbox;
}

async function connect(t: ExecutionContext, factory: TransportFactory, count: number): Promise<Node[]> {
  const set = await factory(t, count);
  t.teardown(() => Promise.all(set.transports.map((tr) => tr.close())).then(() => undefined));
  return set.transports.map((transport, i) => {
    const inbox = new Inbox();
    transport.onMessage(inbox.handler);
    transport.setMembers(set.members);
    return { transport, member: set.members[i], inbox };
  });
}

function marker(from: Node, to: Node, readContext: number): Message {
  return { type: 'HeartbeatResponse', from: from.member.id, to: to.member.id, term: 1, readContext };
}

function isMarker(readContext: number): (m: Message) => boolean {
  return (m) => m.type === 'HeartbeatResponse' && m.readContext === readContext;
}

/** Lets anything still on its way arrive before a test checks that it did not. */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
}

export function transportContract(name: string, factory: TransportFactory): void {
  test(`${name}: every message type arrives intact, bytes included`, async (t) => {
    const [a, b] = await connect(t, factory, 2);
    const sent = everyMessageType(a.member.id, b.member.id);
    for (const m of sent) a.transport.send(m);
    await b.inbox.waitForCount(sent.length, 'messages');
    const byType = (x: Message, y: Message): number => x.type.localeCompare(y.type);
    t.deepEqual([...b.inbox.messages].sort(byType), [...sent].sort(byType));
  });

  test(`${name}: a multi-chunk snapshot arrives whole`, async (t) => {
    const [a, b] = await connect(t, factory, 2);
    // Several 1 MiB chunks and a partial last one.
    const sent = snapshotMessage(a.member.id, b.member.id, randomBytes(3 * 1024 * 1024 + 12345, 4));
    a.transport.send(sent);
    const received = (await b.inbox.waitFor((m) => m.type === 'InstallSnapshot', 'snapshot')) as InstallSnapshot;
    // ava's deep comparison of megabytes is slow; compare the bytes directly and the rest deeply.
    t.true(Buffer.from(received.snapshot.data).equals(sent.snapshot.data), 'snapshot data differs');
    t.deepEqual({ ...received, snapshot: { ...received.snapshot, data: null } }, { ...sent, snapshot: { ...sent.snapshot, data: null } });
  });

  test(`${name}: responses travel back to the requester`, async (t) => {
    const [a, b] = await connect(t, factory, 2);
    a.transport.send({ type: 'Heartbeat', from: a.member.id, to: b.member.id, term: 3, commit: 0, readContext: 5 });
    await b.inbox.waitFor((m) => m.type === 'Heartbeat', 'heartbeat');
    b.transport.send({ type: 'HeartbeatResponse', from: b.member.id, to: a.member.id, term: 3, readContext: 5 });
    t.is((await a.inbox.waitFor(isMarker(5), 'heartbeat response')).from, b.member.id);
  });

  test(`${name}: send to an unknown or unreachable peer neither throws nor blocks`, async (t) => {
    const set = await factory(t, 2);
    t.teardown(() => Promise.all(set.transports.map((tr) => tr.close())).then(() => undefined));
    const [a, b] = set.transports;
    const inbox = new Inbox();
    b.onMessage(inbox.handler);
    a.onMessage(() => undefined);
    a.setMembers([...set.members, set.unreachable]);
    b.setMembers([...set.members, set.unreachable]);
    const from = set.members[0].id;
    t.notThrows(() => {
      a.send({ type: 'TimeoutNow', from, to: 'nobody', term: 1 });
      // More than any queue holds: the surplus is dropped, not waited for.
      for (let i = 0; i < 10_000; i++) a.send({ type: 'Heartbeat', from, to: set.unreachable.id, term: 1, commit: 0, readContext: i });
      a.send(snapshotMessage(from, set.unreachable.id, randomBytes(1024, 5)));
    });
    a.send({ type: 'HeartbeatResponse', from, to: set.members[1].id, term: 1, readContext: 99 });
    await inbox.waitFor(isMarker(99), 'message to the reachable peer');
  });

  test(`${name}: a peer removed by setMembers gets nothing more`, async (t) => {
    const [a, b] = await connect(t, factory, 2);
    a.transport.setMembers([a.member]);
    a.transport.send(marker(a, b, 1));
    a.transport.setMembers([a.member, b.member]);
    a.transport.send(marker(a, b, 2));
    await b.inbox.waitFor(isMarker(2), 'message after re-adding the peer');
    await settle();
    t.false(b.inbox.messages.some(isMarker(1)), 'the message sent while the peer was removed arrived');
  });

  test(`${name}: close() is idempotent and stops sending and delivery`, async (t) => {
    const [a, b, c, d] = await connect(t, factory, 4);
    await Promise.all([b.transport.close(), b.transport.close()]);
    await b.transport.close();
    await c.transport.close();
    t.notThrows(() => {
      a.transport.send(marker(a, b, 1));
      c.transport.send(marker(c, a, 2));
      c.transport.setMembers([a.member]);
    });
    a.transport.send(marker(a, d, 3));
    await d.inbox.waitFor(isMarker(3), 'message to a live peer');
    await settle();
    t.deepEqual(b.inbox.messages, [], 'a closed transport delivered a message');
    t.deepEqual(a.inbox.messages, [], 'a closed transport sent a message');
  });
}
