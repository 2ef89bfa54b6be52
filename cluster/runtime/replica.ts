/**
 * What a RaftNode needs of its state machine beyond the StateMachine seam: the reads the
 * cluster API serves, the leader's validation, a digest of the data, and closing. The
 * embedded EngineStateMachine and the RemoteStateMachine (--vector-addr) both provide it.
 */
import type { CollectionInfo, SearchOptions, SearchResult } from '../../src/embedded/types.js';
import type { Command, CommandResult } from '../commands/types.js';
import type { LogEntry } from '../consensus/types.js';
import type { StateMachine } from '../state-machine/types.js';

/** The read side of the replicated database. */
export interface ReplicaReads {
  search(options: SearchOptions): Promise<SearchResult[]>;
  collectionExists(name: string): Promise<boolean>;
  listCollections(): Promise<CollectionInfo[]>;
}

export interface ReplicaStateMachine extends StateMachine<CommandResult> {
  applyBatch(entries: LogEntry[]): Promise<CommandResult[]>;
  readonly engine: ReplicaReads;
  /** The leader's checks before proposing `command` (see validateCommand). */
  validate(command: Command): Promise<void>;
  /** A SHA-256 (hex) of the data, equal on replicas that applied the same entries. */
  digest(): Promise<string>;
  close(): Promise<void>;
}
