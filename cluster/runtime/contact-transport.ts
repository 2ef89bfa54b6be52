/**
 * A transport whose address book is the configuration plus contacts learnt outside Raft.
 *
 * A joining node starts with an empty configuration, so its transport knows no peer and would
 * drop its answers to the leader's first AppendEntries (the probe that its empty log fails),
 * never receiving the configuration entries. The members the join seed reports are added as
 * contacts until this node holds a configuration that includes itself.
 */
import type { Member, Message, NodeId } from '../consensus/types.js';
import type { MessageHandler, Transport } from '../transport/types.js';

export class ContactTransport implements Transport {
  private members: Member[] = [];
  private contacts = new Map<NodeId, Member>();

  constructor(
    private readonly inner: Transport,
    private readonly self: NodeId,
  ) {}

  send(message: Message): void {
    this.inner.send(message);
  }

  onMessage(handler: MessageHandler): void {
    this.inner.onMessage(handler);
  }

  setMembers(members: Member[]): void {
    this.members = members;
    if (members.some((m) => m.id === this.self)) this.contacts.clear();
    this.publish();
  }

  /** Peers to reach while this node is not yet in a configuration of its own. */
  addContacts(contacts: Member[]): void {
    if (this.members.some((m) => m.id === this.self)) return;
    for (const c of contacts) if (c.id !== this.self) this.contacts.set(c.id, c);
    this.publish();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private publish(): void {
    const known = new Map(this.members.map((m) => [m.id, m]));
    for (const [id, c] of this.contacts) if (!known.has(id)) known.set(id, c);
    this.inner.setMembers([...known.values()]);
  }
}
