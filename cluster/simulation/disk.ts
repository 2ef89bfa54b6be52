/**
 * A node's simulated disk. The memory stores play the platters: what a call wrote stays when
 * the node crashes, everything else of the node is thrown away. A crash can also be armed to
 * strike in the middle of a later write: the write fails (an append may leave a prefix of its
 * batch, like a torn tail a real store truncates to), and the driver stops as on a real I/O
 * failure.
 *
 * The hard state is written like DurableHardStateStore writes it: a save that changes the
 * term or the vote is fsynced (with every save before it), one that only moves the commit
 * index is not, so a power cut may take those back (powerCycle).
 */
import type { RaftStores } from '../consensus/driver.js';
import type { HardState, LogEntry, Snapshot } from '../consensus/types.js';
import { MemoryHardStateStore, MemoryLogStore, MemorySnapshotStore } from '../storage/memory.js';
import type { HardStateStore, LogStore, SnapshotStore } from '../storage/types.js';
import type { SeededRandom } from './random.js';

export class SimulatedCrash extends Error {
  constructor() {
    super('simulated crash during a disk write');
    this.name = 'SimulatedCrash';
  }
}

/** Sees every batch that reaches the log, with the term of the entry before it when known. */
export type AppendObserver = (entries: LogEntry[], prevTerm: number | undefined) => void;

export class SimDisk {
  readonly log = new MemoryLogStore();
  readonly hardState = new MemoryHardStateStore();
  readonly snapshots = new MemorySnapshotStore();
  private writesUntilCrash: number | null = null;
  /** The last hard state fsynced; later commit-only saves are lost at a power cut. */
  private syncedHardState: HardState | null = null;

  constructor(
    private readonly random: SeededRandom,
    private readonly onAppend: AppendObserver,
  ) {}

  /** The next `writes` writes succeed; the one after fails as if power was cut during it. */
  armCrash(writes: number): void {
    this.writesUntilCrash = writes;
  }

  disarm(): void {
    this.writesUntilCrash = null;
  }

  /** The node lost power: the commit-only hard state saves since the last fsync may be gone. */
  powerCycle(): void {
    if (this.syncedHardState !== null && this.random.int(2) === 0) this.hardState.save(this.syncedHardState);
  }

  stores(): RaftStores {
    const log = this.log;
    const hardState = this.hardState;
    const snapshots = this.snapshots;
    const disk = this;
    const logStore: LogStore = {
      firstIndex: () => log.firstIndex(),
      lastIndex: () => log.lastIndex(),
      entries: (from, to) => log.entries(from, to),
      append(entries: LogEntry[]) {
        disk.write(
          () => disk.appendObserved(entries),
          () => disk.appendObserved(entries.slice(0, disk.random.int(entries.length))),
        );
      },
      compact: (index) => log.compact(index),
      reset(index: number) {
        disk.write(() => log.reset(index));
      },
      close: () => undefined,
    };
    const hardStateStore: HardStateStore = {
      load: () => hardState.load(),
      save(state: HardState) {
        disk.write(() => {
          hardState.save(state);
          const synced = disk.syncedHardState;
          if (synced === null || synced.term !== state.term || synced.vote !== state.vote) disk.syncedHardState = { ...state };
        });
      },
      close: () => undefined,
    };
    const snapshotStore: SnapshotStore = {
      load: () => snapshots.load(),
      save(snapshot: Snapshot) {
        disk.write(() => snapshots.save(snapshot));
      },
      close: () => undefined,
    };
    return { log: logStore, hardState: hardStateStore, snapshots: snapshotStore };
  }

  private write(complete: () => void, torn?: () => void): void {
    if (this.writesUntilCrash !== null) {
      if (this.writesUntilCrash === 0) {
        this.writesUntilCrash = null;
        torn?.();
        throw new SimulatedCrash();
      }
      this.writesUntilCrash--;
    }
    complete();
  }

  private appendObserved(entries: LogEntry[]): void {
    if (entries.length === 0) return;
    const prev = entries[0].index - 1;
    let prevTerm: number | undefined;
    if (prev === 0) prevTerm = 0;
    else if (prev >= this.log.firstIndex() && prev <= this.log.lastIndex()) prevTerm = this.log.entries(prev, prev)[0].term;
    this.log.append(entries);
    this.onAppend(entries, prevTerm);
  }
}
