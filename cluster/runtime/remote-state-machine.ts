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
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { VectorXLiteClient } from '../../src/client/client.js';
import { CommandStateMachine } from '../state-machine/command-state-machine.js';
import { DEFAULT_DEDUP_WINDOW, DedupTable } from '../state-machine/dedup.js';

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

export class RemoteStateMachine extends CommandStateMachine<VectorXLiteClient> {
  private constructor(client: VectorXLiteClient, stagingDir: string) {
    super(client, join(stagingDir, SNAPSHOT_FILE), new DedupTable(DEFAULT_DEDUP_WINDOW));
  }

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

  protected exportSnapshot(file: string): Promise<unknown> {
    return this.db.exportSnapshotToFile(file);
  }

  protected importSnapshot(file: string): Promise<unknown> {
    return this.db.importSnapshotFromFile(file);
  }

  /** Closes the channel; the server keeps running. */
  close(): Promise<void> {
    return this.db.close();
  }
}
