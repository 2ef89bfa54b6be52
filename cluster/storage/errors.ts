/**
 * How the durable stores report failures: anything the disk or SQLite throws becomes IO_ERROR,
 * and so does damage the stores detect themselves (they cannot repair it; the node's peers can).
 */
import { VectorXLiteError } from '../../src/errors.js';

/** Runs `fn`, turning SQLite and file system failures into IO_ERROR; RangeErrors and VectorXLiteErrors pass through. */
export function guarded<T>(what: string, file: string, action: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof RangeError || error instanceof VectorXLiteError) throw error;
    throw ioError(what, file, action, error);
  }
}

export function ioError(what: string, file: string, action: string, cause: unknown): VectorXLiteError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new VectorXLiteError('IO_ERROR', `${what} at ${file}: ${action} failed (${detail}); check the disk, or restore this node from its peers`, { cause });
}

export function corruption(what: string, file: string, detail: string): VectorXLiteError {
  return new VectorXLiteError('IO_ERROR', `${what} at ${file} is corrupt: ${detail}; restore this node from its peers`);
}
