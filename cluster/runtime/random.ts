/** Election timeouts in a real cluster must differ between nodes, so they come from the OS's CSPRNG. */
import { randomInt } from 'node:crypto';
import type { RandomSource } from '../consensus/types.js';

export class SystemRandom implements RandomSource {
  int(bound: number): number {
    return randomInt(bound);
  }
}
