/**
 * A transport whose address book is the configuration plus contacts learnt outside Raft.
 *
 * A joining node starts with an empty configuration, so its transport knows no peer and would
 * drop its answers to the leader's first AppendEntries (the probe that its empty log fails),
 * never receiving the configuration entries. Until this node holds a configuration that
 * includes itself, two kinds of contacts fill the gap: the members a join seed reports
 * (--join), and the sender of any message that says where it listens (a node started empty
 * without --join, added by `vxctl join`, first hears of the cluster from the leader itself).
 * Once this node is a member, only the configuration counts again: a removed server must not
 * get answers that would let it campaign.
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
    this.inner.onMessage((message, senderRaftAddr) => {
      // Before the handler: the answer is sent once the driver has handled the message.
      if (senderRaftAddr !== undefined && !this.isMember() && !this.knows(message.from)) {
        this.addContacts([{ id: message.from, voter: false, raftAddr: senderRaftAddr, clusterAddr: '' }]);
      }
      handler(message, senderRaftAddr);
    });
  }

  setMembers(members: Member[]): void {
    this.members = members;
    if (this.isMember()) this.contacts.clear();
    this.publish();
  }

  /** Peers to reach while this node is not yet in a configuration of its own. */
  addContacts(contacts: Member[]): void {
    if (this.isMember()) return;
    for (const c of contacts) if (c.id !== this.self) this.contacts.set(c.id, c);
    this.publish();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private isMember(): boolean {
    return this.members.some((m) => m.id === this.self);
  }

  private knows(id: NodeId): boolean {
    return this.contacts.has(id) || this.members.some((m) => m.id === id);
  }

  private publish(): void {
    const known = new Map(this.members.map((m) => [m.id, m]));
    for (const [id, c] of this.contacts) if (!known.has(id)) known.set(id, c);
    this.inner.setMembers([...known.values()]);
  }
}
