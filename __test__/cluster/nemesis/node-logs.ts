/**
 * Counts snapshot events in node logs, over every process a node ran as (each kill's logs
 * are added before the restart replaces them), to show a run exercised log compaction and
 * InstallSnapshot rather than assume it.
 */
import type { TestNode } from '../helpers/cluster.js';

export class SnapshotCounter {
  taken = 0;
  installed = 0;

  /** Adds the snapshot events logged by `node`'s current (or just killed) process. */
  add(node: TestNode): void {
    for (const line of node.logs()) {
      if (line.msg === 'snapshot taken; log compacted') this.taken++;
      else if (line.msg === 'snapshot installed from the leader') this.installed++;
    }
  }
}
