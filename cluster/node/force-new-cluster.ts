/**
 * `--force-new-cluster`: recovery from a permanently lost majority (as etcd's flag of that
 * name). One surviving node, restarted on its own data dir, keeps its whole log and snapshot
 * and appends, in its own durable log, a configuration entry naming itself as the only voter,
 * at a term above any it has seen. The override is an ordinary log entry, so it is durable and
 * every later start (with or without the flag) resumes as that one-voter cluster; the node then
 * elects itself and commits everything it holds.
 *
 * What this gives up (docs/cluster.md, "Recovery from a lost majority"): Raft's guarantee that
 * a committed entry survives rests on a majority holding it. Entries the lost members committed
 * that this node never received are gone; entries this node holds beyond its commit index
 * (possibly never committed, their clients told "outcome unknown") become committed. Entries it
 * holds committed stay, unchanged. The lost members must never run again on their old data:
 * they would still form the old cluster's majority.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { VectorXLiteError } from '../../src/errors.js';
import { loadDurableState, type RaftStores } from '../consensus/driver.js';
import { decodeMembership, describeMembers, EMPTY_MEMBERSHIP, encodeMembership } from '../consensus/membership.js';
import type { LogEntry, Member, Membership, Snapshot } from '../consensus/types.js';
import { holdsNoRaftState, raftStoreDir } from '../runtime/raft-node.js';
import { openDurableStores } from '../storage/durable.js';

export interface ForcedConfiguration {
  /** The configuration this node held before. */
  previous: Membership;
  /** False when `previous` already was this node alone, as given: nothing was written. */
  rewritten: boolean;
  /** Index and term of the configuration entry appended (when rewritten). */
  index: number;
  term: number;
  /** What this node knew committed; entries after it (up to index - 1) were kept and will commit. */
  commitHint: number;
}

/** The configuration in effect at the end of the log: its newest config entry, else the snapshot's. */
function latestMembership(snapshot: Snapshot | null, entries: LogEntry[]): Membership {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].type === 'config') return decodeMembership(entries[i].data);
  return snapshot?.meta.membership ?? EMPTY_MEMBERSHIP;
}

function isAlone(membership: Membership, self: Member): boolean {
  const [only, ...others] = membership.members;
  return others.length === 0 && only !== undefined && only.voter && only.id === self.id && only.raftAddr === self.raftAddr && only.clusterAddr === self.clusterAddr;
}

/**
 * Makes `self` the only voter of the stores' cluster, keeping every entry and the snapshot.
 * The entry is appended before the hard state is saved: a crash in between leaves an entry of a
 * newer term than the saved one, which loadDurableState adopts, so the change is all or nothing.
 */
export function forceSingleVoterConfiguration(stores: RaftStores, self: Member): ForcedConfiguration {
  const { hardState, snapshot, entries } = loadDurableState(stores);
  const previous = latestMembership(snapshot, entries);
  const lastIndex = stores.log.lastIndex();
  const lastTerm = entries.at(-1)?.term ?? snapshot?.meta.term ?? 0;
  if (isAlone(previous, self)) return { previous, rewritten: false, index: lastIndex, term: lastTerm, commitHint: hardState.commit };
  // A term no entry this node knows of has, so the new entry is never confused with one the
  // old cluster wrote at the same index (Log Matching holds by (index, term)).
  const term = Math.max(hardState.term, lastTerm) + 1;
  const index = lastIndex + 1;
  stores.log.append([{ index, term, type: 'config', data: encodeMembership({ members: [{ ...self, voter: true }] }) }]);
  stores.hardState.save({ term, vote: null, commit: hardState.commit });
  return { previous, rewritten: true, index, term, commitHint: hardState.commit };
}

/**
 * The restart-time step of --force-new-cluster on `dataDir`, before the node opens it. Refused
 * with FAILED_PRECONDITION, changing nothing, when the data dir holds no Raft state: there is
 * nothing to recover, and forcing would silently start an empty cluster.
 */
export function forceNewCluster(dataDir: string, self: Member, logger: Logger): ForcedConfiguration {
  const refusal = new VectorXLiteError(
    'FAILED_PRECONDITION',
    `--force-new-cluster needs the data dir of a surviving member, but ${dataDir} holds no Raft state; start a new cluster with --bootstrap instead`,
  );
  // Checked before opening: opening creates the store files, and a refusal must leave nothing behind.
  if (!existsSync(raftStoreDir(dataDir))) throw refusal;
  const stores = openDurableStores(raftStoreDir(dataDir));
  try {
    if (holdsNoRaftState(stores) && stores.snapshots.load() === null) throw refusal;
    const forced = forceSingleVoterConfiguration(stores, self);
    const previousMembers = describeMembers(forced.previous);
    if (!forced.rewritten) {
      logger.warn({ members: previousMembers }, '--force-new-cluster: this node already is the only voter; nothing changed (remove the flag)');
    } else {
      logger.warn(
        { previousMembers, newMembers: [self.id], configIndex: forced.index, term: forced.term, commitHint: forced.commitHint, keptUncommitted: forced.index - 1 - forced.commitHint },
        '--force-new-cluster: this node is now the only voter of its cluster; writes the lost members committed that this node never received are lost, and entries it holds beyond its commit index will commit. Never restart the lost members on their old data: wipe them and join them with new ids. Remove the flag now.',
      );
    }
    return forced;
  } finally {
    stores.close();
  }
}
