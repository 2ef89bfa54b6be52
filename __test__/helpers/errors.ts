import type { ExecutionContext } from 'ava';
import { VectorXLiteError, type ErrorCode } from '../../src/errors.js';

/** Asserts that `promise` rejects with a VectorXLiteError carrying `code` and a message. */
export async function rejectsWithCode(
  t: ExecutionContext,
  promise: Promise<unknown>,
  code: ErrorCode,
  label?: string,
): Promise<VectorXLiteError | undefined> {
  const error = await t.throwsAsync(promise, { instanceOf: VectorXLiteError, code }, label);
  if (error) t.true(error.message.length > 0, `${label ?? code}: the error explains what to fix`);
  return error;
}
