/**
 * `vxctl backup`: one command for both kinds of target, writing the same kind of verified
 * snapshot file. A cluster's backup is ClusterClient.backup (ClusterAdmin.Backup from any
 * member); a standalone server's is its ExportSnapshot stream. Both save through
 * saveSnapshotFile, so the file appears only complete, fsynced and verified.
 */
import type { VectorXLiteClient } from '../../src/client/client.js';
import { saveSnapshotFile } from '../client/backup-file.js';
import type { ClusterBackup } from '../client/cluster-client.js';

/** A standalone server's backup: the same file, without the cluster's log position and members. */
export interface StandaloneBackup {
  /** Absolute path of the file written. */
  file: string;
  /** The server that answered. */
  via: string;
  size: number;
  sha256: string;
  snapshotId: string;
  createdAt: number;
}

export async function standaloneBackup(client: VectorXLiteClient, address: string, out: string, chunkSize: number): Promise<StandaloneBackup> {
  // Under the client's deadline (--deadline-ms, default 30 s), unlike a cluster's backup: the
  // export is an ordinary call of VectorXLiteClient.
  const saved = await saveSnapshotFile(out, (partial) => client.exportSnapshotToFile(partial, { chunkSize }));
  return { file: saved.file, via: address, size: saved.size, sha256: saved.sha256, snapshotId: saved.snapshot.snapshotId, createdAt: saved.snapshot.createdAt };
}

export function backupText(backup: ClusterBackup | StandaloneBackup): string {
  const source =
    'members' in backup
      ? `taken by leader ${backup.leaderId} at log index ${backup.appliedIndex}, term ${backup.term}; members ${backup.members.map((m) => `${m.id}${m.voter ? '' : ' (non-voter)'}`).join(', ')}`
      : `taken by the standalone server at ${backup.via}`;
  return [
    `backup written to ${backup.file} and verified (every SHA-256 matches)`,
    `  ${backup.size} bytes, sha256 ${backup.sha256}`,
    `  ${source}`,
    `  engine snapshot ${backup.snapshotId} created ${new Date(backup.createdAt).toISOString()}`,
  ].join('\n');
}
