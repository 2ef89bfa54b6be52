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
  const log = DurableLogStore.open(join(dir, 'log.sqlite'));
  let hardState: DurableHardStateStore | undefined;
  try {
    hardState = DurableHardStateStore.open(join(dir, 'hard-state.sqlite'));
    const snapshots = new DurableSnapshotStore(dir);
    // The database files may have been created just now.
    guarded('the Raft data directory', dir, 'sync', () => fsyncDirectory(dir));
    return {
      log,
      hardState,
      snapshots,
      close() {
        snapshots.close();
        hardState!.close();
        log.close();
      },
    };
  } catch (error) {
    hardState?.close();
    log.close();
    throw error;
  }
}
