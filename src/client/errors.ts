import type { ServiceError } from '@grpc/grpc-js';
import { VectorXLiteError } from '../errors.js';
import { errorCodeForStatus } from '../server/status.js';

/** A failed call as the VectorXLiteError the embedded API would have thrown. */
export function fromServiceError(err: unknown): VectorXLiteError {
  if (err instanceof VectorXLiteError) return err;
  const service = err as Partial<ServiceError> | null;
  if (service && typeof service.code === 'number') {
    const code = errorCodeForStatus(service.code, service.metadata);
    return new VectorXLiteError(code, service.details || service.message || 'the call failed without a message', { cause: err });
  }
  return new VectorXLiteError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}

/** A failure the local file system reported (it names the syscall), as opposed to one from the server. */
export function isFileSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}
