/**
 * Checks of a command before it enters the Raft log. `checkCommand` depends on the command
 * alone, so the state machine repeats it when applying and every replica reaches the same
 * verdict; `validateCommand` adds the checks against the leader's current data (the
 * collection exists, the vectors have its dimension), which the leader runs before proposing
 * so that invalid writes never take a log slot. Failures are VectorXLiteErrors with a code.
 */
import { VectorXLiteError } from '../../src/errors.js';
import type { CommandEngine } from './engine.js';
import { validateCollectionOptions, validateId, validateName, validateVector } from '../../src/embedded/validate.js';
import { MAX_CLIENT_ID_BYTES } from './codec.js';
import { checkDeterministicSql } from './determinism.js';
import type { Command, CommandPoint } from './types.js';

function invalid(message: string): VectorXLiteError {
  return new VectorXLiteError('INVALID_ARGUMENT', message);
}

function checkWriter(command: Command): void {
  const { clientId, seq } = command;
  if (typeof clientId !== 'string' || clientId.length === 0 || Buffer.byteLength(clientId, 'utf8') > MAX_CLIENT_ID_BYTES) {
    throw invalid(`clientId must be a non-empty string of at most ${MAX_CLIENT_ID_BYTES} UTF-8 bytes.`);
  }
  if (!Number.isSafeInteger(seq) || seq < 1) throw invalid(`seq must be a positive safe integer, got ${String(seq)}.`);
}

function checkPoint(point: CommandPoint, what: string): void {
  validateId(point.id);
  validateVector(point.vector, `${what}vector`);
  if (point.payloadInsertQuery !== undefined) checkDeterministicSql(point.payloadInsertQuery, `${what}payloadInsertQuery`);
}

/** The checks that depend on the command alone: writer, names, numbers, vectors, SQL determinism. */
export function checkCommand(command: Command): void {
  checkWriter(command);
  switch (command.type) {
    case 'createCollection': {
      const spec = validateCollectionOptions(command.collection);
      if (spec.payloadSchema !== undefined) checkDeterministicSql(spec.payloadSchema, 'payloadSchema');
      return;
    }
    case 'insert':
      validateName(command.collection);
      checkPoint(command.point, '');
      return;
    case 'insertBatch':
      validateName(command.collection);
      if (!Array.isArray(command.points)) throw invalid('points must be an array.');
      command.points.forEach((point, i) => checkPoint(point, `points[${i}].`));
      return;
    case 'delete':
      validateName(command.collection);
      validateId(command.id);
      return;
    case 'deleteCollection':
      validateName(command.collection);
      return;
    default:
      throw invalid(`command type ${String((command as { type: unknown }).type)} is unknown.`);
  }
}

async function checkDimension(engine: Pick<CommandEngine, 'collectionInfo'>, collection: string, points: readonly CommandPoint[]): Promise<void> {
  const { dimension } = await engine.collectionInfo(collection);
  points.forEach((point, i) => {
    if (point.vector.length !== dimension) {
      const what = points.length === 1 ? 'the vector' : `points[${i}].vector`;
      throw new VectorXLiteError(
        'DIMENSION_MISMATCH',
        `${what} has ${point.vector.length} components but collection '${collection}' holds vectors of ${dimension}.`,
      );
    }
  });
}

/**
 * Everything checkCommand checks, plus the checks against `engine`'s current data. The
 * leader calls it before proposing. Its data may lag the log (a CreateCollection proposed but
 * not yet applied), so a refusal here can be spurious and the client retries; the apply on
 * every replica decides for good.
 */
export async function validateCommand(command: Command, engine: Pick<CommandEngine, 'collectionExists' | 'collectionInfo'>): Promise<void> {
  checkCommand(command);
  switch (command.type) {
    case 'createCollection':
      if (await engine.collectionExists(command.collection.name)) {
        throw new VectorXLiteError('ALREADY_EXISTS', `collection '${command.collection.name}' already exists; choose another name or delete it first.`);
      }
      return;
    case 'insert':
      return checkDimension(engine, command.collection, [command.point]);
    case 'insertBatch':
      return checkDimension(engine, command.collection, command.points);
    case 'delete':
    case 'deleteCollection':
      await engine.collectionInfo(command.collection);
      return;
  }
}
