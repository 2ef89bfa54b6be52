/**
 * The leader's view of one follower's log and the flow control of AppendEntries to it.
 *
 * - probe: the follower's match point is unknown; one AppendEntries at a time, each
 *   answered (or a heartbeat response) before the next, walking `next` back on rejections.
 * - replicate: the follower is known to match up to `match`; AppendEntries are pipelined,
 *   `next` advances optimistically, and at most `maxInflight` messages are unanswered.
 * - snapshot: an InstallSnapshot is in flight; nothing else is sent until it is answered or
 *   times out.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an AppendEntries was sent and not yet answered. */
  probeSent = false;
  /** Last index of each unanswered AppendEntries in replicate state, oldest first. */
  private inflight: number[] = [];
  /** Heard from since the last CheckQuorum round. */
  recentActive = true;
  /** In snapshot state: index of the snapshot sent, and leader ticks since it was sent. */
  snapshotIndex = 0;
  snapshotTicks = 0;

  constructor(
    next: number,
    private readonly maxInflight: number,
  ) {
    this.next = next;
  }

  /** May another AppendEntries be sent now? */
  canSend(): boolean {
    switch (this.state) {
      case 'probe':
        return !this.probeSent;
      case 'replicate':
        return this.inflight.length < this.maxInflight;
      case 'snapshot':
        return false;
    }
  }

  inflightFull(): boolean {
    return this.inflight.length >= this.maxInflight;
  }

  /** Records an AppendEntries carrying entries up to `lastIndex` (or none: `lastIndex` = next - 1). */
  sent(lastIndex: number, hadEntries: boolean): void {
    if (this.state === 'probe') {
      this.probeSent = true;
    } else if (this.state === 'replicate' && hadEntries) {
      this.next = lastIndex + 1;
      this.inflight.push(lastIndex);
    }
  }

  /** A success for `index` arrived: returns whether it was news. */
  acknowledge(index: number): boolean {
    this.probeSent = false;
    while (this.inflight.length > 0 && this.inflight[0] <= index) this.inflight.shift();
    if (index <= this.match) return false;
    this.match = index;
    if (this.next <= index) this.next = index + 1;
    return true;
  }

  /** Lets one more message through after a heartbeat response shows the follower is alive. */
  freeOne(): void {
    this.inflight.shift();
    this.probeSent = false;
  }

  becomeProbe(next: number): void {
    this.state = 'probe';
    this.probeSent = false;
    this.inflight = [];
    this.next = Math.max(this.match + 1, next);
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.probeSent = false;
    this.inflight = [];
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.inflight = [];
    this.snapshotIndex = index;
    this.snapshotTicks = 0;
  }
}
