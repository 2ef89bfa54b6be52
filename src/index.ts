/** The `vectorxlite` package: the embedded database, its error type and its types. */
export { VectorXLite } from './embedded/database.js';
export { VectorXLiteError, ErrorCodes, isErrorCode, type ErrorCode } from './errors.js';
export type * from './embedded/types.js';
