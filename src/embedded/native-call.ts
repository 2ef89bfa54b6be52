/**
 * Turns the addon's rejections (Errors carrying a `code`) into the one error type callers
 * get, VectorXLiteError, for every embedded API module that calls the addon.
 */
import { VectorXLiteError, isErrorCode } from '../errors.js';

/** The addon rejects with Errors carrying a `code`; callers get the one VectorXLiteError type. */
export function fromNative(error: unknown): VectorXLiteError {
  if (error instanceof VectorXLiteError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new VectorXLiteError(isErrorCode(code) ? code : 'INTERNAL', message, { cause: error });
}

function rethrow(error: unknown): never {
  throw fromNative(error);
}

/**
 * Runs an addon call, `then` applied to its result; a synchronous throw and a rejection both
 * become a rejected VectorXLiteError. One `then` per call: each is a turn of the microtask queue.
 */
export function call<T, R = T>(operation: () => Promise<T>, then?: (value: T) => R): Promise<R> {
  try {
    return operation().then(then, rethrow) as Promise<R>;
  } catch (error) {
    return Promise.reject(fromNative(error));
  }
}

