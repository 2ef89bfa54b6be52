/**
 * The write commands the cluster replicates through the Raft log, and what applying one
 * yields. Every command names the client that sent it and that client's sequence number, so
 * the state machine can answer a retry with the first outcome instead of applying it twice.
 */
import type { ErrorCode } from '../../src/errors.js';
import type { Distance } from '../../src/embedded/types.js';

interface CommandBase {
  /** A stable id of the writer (one per client session); at most 256 bytes of UTF-8. */
  clientId: string;
  /** Positive and increasing per client id; a retry reuses the sequence of the first try. */
  seq: number;
}

/** A collection's full configuration, so every replica creates exactly the same collection. */
export interface CollectionSpec {
  name: string;
  dimension: number;
  distance: Distance;
  payloadSchema?: string;
  maxElements?: number;
  hnsw?: { m?: number; efConstruction?: number };
}

export interface CommandPoint {
  id: number;
  vector: Float32Array;
  payloadInsertQuery?: string;
}

export interface CreateCollectionCommand extends CommandBase {
  type: 'createCollection';
  collection: CollectionSpec;
}

export interface InsertCommand extends CommandBase {
  type: 'insert';
  collection: string;
  point: CommandPoint;
}

/** Applied atomically: every point, or none when one is refused. */
export interface InsertBatchCommand extends CommandBase {
  type: 'insertBatch';
  collection: string;
  points: CommandPoint[];
}

export interface DeleteCommand extends CommandBase {
  type: 'delete';
  collection: string;
  id: number;
}

export interface DeleteCollectionCommand extends CommandBase {
  type: 'deleteCollection';
  collection: string;
}

export type Command =
  | CreateCollectionCommand
  | InsertCommand
  | InsertBatchCommand
  | DeleteCommand
  | DeleteCollectionCommand;

export type CommandType = Command['type'];

export interface CommandSuccess {
  ok: true;
  /** Set for delete only: whether the point existed. */
  deleted?: boolean;
}

/** A deterministic refusal: every replica that applies the same entry returns the same one. */
export interface CommandFailure {
  ok: false;
  code: ErrorCode;
  message: string;
}

export type CommandResult = CommandSuccess | CommandFailure;
