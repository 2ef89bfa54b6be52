/**
 * The state machine of a node started with --vector-addr: a standalone VectorXLite server
 * (vectorxlite_pb.VectorXLitePB) holds the data instead of the embedded engine, as in the
 * original topology. Snapshots travel through the server's ExportSnapshot/ImportSnapshot, in
 * the same file format as the embedded engine's, so such nodes mix with embedded ones.
 *
 * Like the embedded state machine it is volatile state rebuilt as snapshot plus replay: open()
 * deletes every collection the server holds (the server must be dedicated to this node), and
 * the driver restores the last Raft snapshot and replays the log. A call the server does not
 * answer is not a deterministic outcome, so apply() rethrows it and the driver stops the node;
 * restarting it rebuilds the server's data from the log.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VectorXLiteClient } from '../../src/client/client.js';
import type { VectorXLite } from '../../src/embedded/database.js';
import { decodeCommand } from '../commands/codec.js';
import type { Command, CommandResult } from '../commands/types.js';
import { validateCommand } from '../commands/validate.js';
import type { LogEntry, Snapshot } from '../consensus/types.js';
import { DEFAULT_DEDUP_WINDOW, DedupTable } from '../state-machine/dedup.js';
import { engineDigest } from '../state-machine/engine-digest.js';
import { executeCommand, failureOf } from '../state-machine/execute.js';
import { decodeStateSnapshot, encodeStateSnapshot } from '../state-machine/snapshot-codec.js';
import type { ReplicaStateMachine } from './replica.js';

export interface RemoteStateMachineOptions {
  /** host:port of the standalone server this node alone writes to. */
  address: string;
  /** The server's auth token, if it requires one. */
  token?: string;
  /** Where snapshot files are staged while they stream. */
  stagingDir: string;
  /** Largest gRPC message to and from the server. */
  maxMessageBytes: number;
}

const SNAPSHOT_FILE = 'remote.vxlsnap';

/**
 * The execute, validate and digest helpers are typed on the embedded class but call only
 * methods the client shares with it, with the same shapes and error codes.
 */
function asEngine(client: VectorXLiteClient): VectorXLite {
  return client as unknown as VectorXLite;
}

export class RemoteStateMachine implements ReplicaStateMachine {
  private applied = 0;
  private dedup = new DedupTable(DEFAULT_DEDUP_WINDOW);

  private constructor(
    private readonly client: VectorXLiteClient,
    private readonly stagingDir: string,
  ) {}

  /** Connects and empties the server (appliedIndex 0). */
  static async open(options: RemoteStateMachineOptions): Promise<RemoteStateMachine> {
    await mkdir(options.stagingDir, { recursive: true });
    const client = new VectorXLiteClient(options.address, { token: options.token, maxMessageBytes: options.maxMessageBytes });
    try {
      for (const c of await client.listCollections()) await client.deleteCollection(c.name);
    } catch (error) {
      await client.close();
      throw error;
    }
    return new RemoteStateMachine(client, options.stagingDir);
  }

  get engine(): VectorXLiteClient {
    return this.client;
  }

  async apply(entry: LogEntry): Promise<CommandResult> {
    if (entry.index !== this.applied + 1) throw new RangeError(`entry ${entry.index} applied out of order (last applied ${this.applied})`);
    this.dedup.expire(entry.index);
    const result = entry.type === 'command' ? await this.applyCommand(entry) : { ok: true as const };
    this.applied = entry.index;
    return result;
  }

  private async applyCommand(entry: LogEntry): Promise<CommandResult> {
    let command: Command;
    try {
      command = decodeCommand(entry.data);
    } catch (error) {
      return failureOf(error);
    }
    const seen = this.dedup.seen(command.clientId, command.seq);
    if (seen !== undefined) return seen;
    const result = await executeCommand(asEngine(this.client), command);
    this.dedup.record(command.clientId, command.seq, entry.index, result);
    return result;
  }

  async snapshot(): Promise<Uint8Array> {
    const file = join(this.stagingDir, SNAPSHOT_FILE);
    try {
      await this.client.exportSnapshotToFile(file);
      return encodeStateSnapshot(this.applied, this.dedup.rows(), await readFile(file));
    } finally {
      await rm(file, { force: true });
    }
  }

  async restore(snapshot: Snapshot): Promise<void> {
    const state = decodeStateSnapshot(snapshot.data);
    if (state.appliedIndex !== snapshot.meta.index) throw new RangeError(`snapshot data is at ${state.appliedIndex} but its metadata says ${snapshot.meta.index}`);
    const dedup = DedupTable.fromRows(state.dedupRows, this.dedup.window);
    const file = join(this.stagingDir, SNAPSHOT_FILE);
    try {
      await writeFile(file, state.engineFile);
      await this.client.importSnapshotFromFile(file);
    } finally {
      await rm(file, { force: true });
    }
    this.dedup = dedup;
    this.applied = state.appliedIndex;
  }

  async appliedIndex(): Promise<number> {
    return this.applied;
  }

  validate(command: Command): Promise<void> {
    return validateCommand(command, asEngine(this.client));
  }

  digest(): Promise<string> {
    return engineDigest(asEngine(this.client));
  }

  /** Closes the channel; the server keeps running. */
  close(): Promise<void> {
    return this.client.close();
  }
}
