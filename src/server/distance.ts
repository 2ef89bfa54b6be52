import type { Distance } from '../embedded/types.js';
import { VectorXLiteError } from '../errors.js';

/** Spellings existing clients send (`Cosine`, `L2`, `IP`) and common aliases, matched case-insensitively. */
const distanceByName: Readonly<Record<string, Distance>> = {
  '': 'cosine',
  cosine: 'cosine',
  l2: 'l2',
  euclidean: 'l2',
  ip: 'ip',
  dot: 'ip',
};

export function parseDistance(value: string): Distance {
  const distance = distanceByName[value.trim().toLowerCase()];
  if (!distance) {
    throw new VectorXLiteError('INVALID_ARGUMENT', `unknown distance "${value}"; use cosine, l2 (euclidean) or ip (dot)`);
  }
  return distance;
}
