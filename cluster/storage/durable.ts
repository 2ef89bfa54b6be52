/**
 * The durable stores of one Raft node, all in one directory:
 *   log.sqlite         the log (DurableLogStore)
 *   hard-state.sqlite  term, vote and commit (DurableHardStateStore)
 *   snapshot           the latest snapshot (DurableSnapshotStore)
 * See docs/raft-storage.md for the formats and the crash semantics.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RaftStores } from '../consensus/driver.js';
import { DurableHardStateStore } from './durable-hard-state.js';
import { DurableLogStore } from './durable-log.js';
import { DurableSnapshotStore } from './durable-snapshots.js';
import { fsyncDirectory } from './durable-file.js';
import { guarded } from './errors.js';

export interface DurableStores extends RaftStores {
  log: DurableLogStore;
  hardState: DurableHardStateStore;
  snapshots: DurableSnapshotStore;
  /** Closes all three stores. Idempotent. */
  close(): void;
}

/**
 * Opens (creating if missing) the stores of the node whose data lives in `dir`. Refused with
 * FAILED_PRECONDITION while another process has the same directory open; IO_ERROR when what is
 * on disk is damaged beyond the torn tail a crash can leave.
 */
export function openDurableStores(dir: string): DurableStores {
  guarded('the Raft data directory', dir, 'create', () => {
    mkdirSync(dir, { recursive: true });
    // A directory created just now is only durable once its parent records it.
    fsyncDirectory(dirname(dir));
  });
  const opened: Array<{ close(): void }> = [];
  const track = <T extends { close(): void }>(store: T): T => {
    opened.push(store);
    return store;
  };
  const closeAll = () => {
    for (const store of opened) store.close();
  };
  try {
    const log = track(DurableLogStore.open(join(dir, 'log.sqlite')));
    const hardState = track(DurableHardStateStore.open(join(dir, 'hard-state.sqlite')));
    const snapshots = track(new DurableSnapshotStore(dir));
    // The database files may have been created just now.
    guarded('the Raft data directory', dir, 'sync', () => fsyncDirectory(dir));
    return { log, hardState, snapshots, close: closeAll };
  } catch (error) {
    closeAll();
    throw error;
  }
}
