/**
 * `--bootstrap --restore <file>`: prepares an empty data directory as the only voter of a NEW
 * cluster whose replicated state is a backup (a snapshot file from `vxctl backup`, or any
 * engine snapshot: VectorXLite.exportSnapshot, a standalone server's ExportSnapshot).
 *
 * The state machine is volatile, rebuilt at every start from the Raft snapshot plus the log
 * (docs/state-machine.md), so loading the data into the engine once would not survive a
 * restart: the backup has to become Raft state. It becomes the Raft snapshot at index 1, term 1,
 * whose configuration is this node alone, with an empty log after it. A new cluster has a new
 * history, so nothing of the old cluster's log positions or members carries over; nodes that
 * --join get the data through InstallSnapshot, as a node restarted empty does.
 *
 * Every check comes before any write: the file is read once, and those bytes (the ones the Raft
 * snapshot will hold, whatever happens to the file meanwhile) are imported into a scratch engine
 * (all checksums, the database's integrity); the data directory must hold no Raft state. The Raft stores
 * are written in a scratch directory and renamed into place, so a crash leaves either no Raft
 * state (and --restore can run again) or all of it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { VectorXLite } from '../../src/embedded/database.js';
import { VectorXLiteError } from '../../src/errors.js';
import type { Snapshot } from '../consensus/types.js';
import { encodeStateSnapshot } from '../state-machine/snapshot-codec.js';
import { fsyncDirectory } from '../storage/durable-file.js';
import { openDurableStores } from '../storage/durable.js';
import type { NodeConfig } from './config.js';

/** Where the restored cluster's history starts: its first (and only) entry is the snapshot. */
const RESTORED_INDEX = 1;
const RESTORED_TERM = 1;

export async function restoreBackup(config: NodeConfig & { restore: string }, log: Logger): Promise<void> {
  const raftDir = join(config.dataDir, 'raft');
  const file = await readBackup(config.restore);
  const checked = await checkBackup(config.restore, file);
  refuseExistingRaftState(raftDir);
  const scratch = join(config.dataDir, 'raft.restoring');
  await rm(scratch, { recursive: true, force: true });
  try {
    const stores = openDurableStores(scratch); // creates the data directory too
    try {
      const snapshot: Snapshot = {
        meta: {
          index: RESTORED_INDEX,
          term: RESTORED_TERM,
          membership: { members: [{ id: config.id, voter: true, raftAddr: config.raftAddr, clusterAddr: config.clusterAddr }] },
        },
        data: encodeStateSnapshot(RESTORED_INDEX, [], file),
      };
      stores.snapshots.save(snapshot);
      stores.log.reset(RESTORED_INDEX);
      stores.hardState.save({ term: RESTORED_TERM, vote: null, commit: RESTORED_INDEX });
    } finally {
      stores.close();
    }
  } catch (error) {
    // A start without --restore would never look at the scratch directory again.
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  // An earlier start may have left an empty raft/ (refuseExistingRaftState found no state in it).
  await rm(raftDir, { recursive: true, force: true });
  await rename(scratch, raftDir);
  fsyncDirectory(config.dataDir);
  log.info({ backup: config.restore, snapshotId: checked.snapshotId, bytes: file.length }, 'restored the backup as a new one-voter cluster; other nodes can --join it');
}

async function readBackup(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR';
    throw new VectorXLiteError(code, `--restore ${path} cannot be read: ${(error as Error).message}`, { cause: error });
  }
}

/** Imports `file` (read from `path`) into a scratch engine: SNAPSHOT_INVALID unless the engine would load it. */
async function checkBackup(path: string, file: Buffer): Promise<{ snapshotId: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vxl-restore-check-'));
  try {
    const copy = join(dir, 'backup.vxlsnap');
    await writeFile(copy, file);
    const db = await VectorXLite.open(join(dir, 'check.db'));
    try {
      const imported = await db.importSnapshot(copy);
      return { snapshotId: imported.snapshotId };
    } finally {
      await db.close();
    }
  } catch (error) {
    if (error instanceof VectorXLiteError) {
      throw new VectorXLiteError(error.code, `--restore ${path} cannot be used: ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A data directory that holds Raft state is a member of some cluster already: never overwrite it. */
function refuseExistingRaftState(raftDir: string): void {
  if (!existsSync(raftDir)) return;
  const stores = openDurableStores(raftDir);
  try {
    if (stores.hardState.load() === null && stores.log.lastIndex() === 0 && stores.snapshots.load() === null) return;
  } finally {
    stores.close();
  }
  throw new VectorXLiteError(
    'FAILED_PRECONDITION',
    `--restore needs an empty data directory, but ${raftDir} holds Raft state; start without --restore to resume this node, or give a new --data-dir`,
  );
}
