/**
 * The simulator's only source of randomness: a 32-bit Weyl sequence run through the murmur3
 * finalizer. Small, fast, and every value follows from the seed, so a seed replays exactly.
 */
import type { RandomSource } from '../consensus/types.js';

export class SeededRandom implements RandomSource {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  next(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  int(bound: number): number {
    return Math.floor(this.float() * bound);
  }

  /** In [min, max], both inclusive. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  float(): number {
    return this.next() / 0x1_0000_0000;
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[this.int(items.length)];
  }

  /** An independent stream, so adding draws in one component does not shift another's. */
  fork(): SeededRandom {
    return new SeededRandom(this.next());
  }
}
