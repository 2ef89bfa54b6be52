import { VectorXLiteError } from '../errors.js';

/** Per-request limits that protect the server; over a limit is RESOURCE_EXHAUSTED. */
export interface RequestLimits {
  maxTopK: number;
  maxDimension: number;
  maxBatchPoints: number;
}

export const DEFAULT_LIMITS: RequestLimits = { maxTopK: 10_000, maxDimension: 16_384, maxBatchPoints: 100_000 };

export function checkTopK(topK: number, limits: RequestLimits): void {
  if (topK > limits.maxTopK) {
    throw new VectorXLiteError('RESOURCE_EXHAUSTED', `top_k ${topK} is over this server's maximum of ${limits.maxTopK}`);
  }
}

export function checkDimension(length: number, limits: RequestLimits, what: string): void {
  if (length > limits.maxDimension) {
    throw new VectorXLiteError(
      'RESOURCE_EXHAUSTED',
      `${what} has ${length} components, over this server's maximum dimension of ${limits.maxDimension}`,
    );
  }
}

export function checkCollectionDimension(dimension: number, limits: RequestLimits): void {
  if (dimension > limits.maxDimension) {
    throw new VectorXLiteError(
      'RESOURCE_EXHAUSTED',
      `vector_dimension ${dimension} is over this server's maximum dimension of ${limits.maxDimension}`,
    );
  }
}

export function checkBatchSize(count: number, limits: RequestLimits): void {
  if (count > limits.maxBatchPoints) {
    throw new VectorXLiteError('RESOURCE_EXHAUSTED', `a batch of ${count} points is over this server's maximum of ${limits.maxBatchPoints}; split it`);
  }
}
