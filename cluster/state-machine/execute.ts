/**
 * Runs one decoded command against the engine and turns its outcome into a CommandResult.
 * Only refusals that every replica reaches alike become results; anything that depends on
 * this machine (disk, memory, a closed engine) is rethrown, and the driver stops the node
 * rather than let it diverge.
 */
import { VectorXLiteError, type ErrorCode } from '../../src/errors.js';
import type { CommandEngine } from '../commands/engine.js';
import { checkCommand } from '../commands/validate.js';
import type { Command, CommandResult } from '../commands/types.js';

/** Codes that follow from the command and the replicated data alone. */
export const DETERMINISTIC_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'DIMENSION_MISMATCH',
  'SQL_ERROR',
  'FORBIDDEN_SQL',
]);

/** The CommandResult of a refusal, or rethrows an error that is not one. */
export function failureOf(error: unknown): CommandResult {
  if (error instanceof VectorXLiteError && DETERMINISTIC_CODES.has(error.code)) {
    return { ok: false, code: error.code, message: error.message };
  }
  throw error;
}

async function run(engine: CommandEngine, command: Command): Promise<CommandResult> {
  switch (command.type) {
    case 'createCollection':
      await engine.createCollection(command.collection);
      return { ok: true };
    case 'insert':
      await engine.insert({ collection: command.collection, ...command.point });
      return { ok: true };
    case 'insertBatch':
      await engine.insertBatch(command.collection, command.points);
      return { ok: true };
    case 'delete':
      return { ok: true, deleted: await engine.delete({ collection: command.collection, id: command.id }) };
    case 'deleteCollection':
      await engine.deleteCollection(command.collection);
      return { ok: true };
  }
}

/** Applies `command` once: the same checks as the leader's (repeated so a bad proposal is refused alike everywhere), then the engine call. */
export async function executeCommand(engine: CommandEngine, command: Command): Promise<CommandResult> {
  try {
    checkCommand(command);
    return await run(engine, command);
  } catch (error) {
    return failureOf(error);
  }
}
