/**
 * The leader's validation of proposals (validateCommand) asks the database whether a
 * collection exists and what its dimension is. Each ask was a database call queued behind the
 * applies on the same engine, so under load a proposal waited for them before it was even
 * proposed. This cache answers from what the database said before, until a collection is
 * created or deleted or the data is replaced (the state machine calls invalidate()); an answer
 * that raced with such a change is not kept. For validation only: `count` in a kept answer is
 * not kept up to date.
 */
import type { CollectionInfo } from '../../src/embedded/types.js';
import type { CommandEngine } from '../commands/engine.js';

export type CollectionLookup = Pick<CommandEngine, 'collectionExists' | 'collectionInfo'>;

export class CollectionInfoCache implements CollectionLookup {
  private readonly known = new Map<string, CollectionInfo>();
  /** Changes with every invalidate(), so an answer asked for before it is not kept after it. */
  private generation = 0;

  constructor(private readonly db: CollectionLookup) {}

  async collectionInfo(name: string): Promise<CollectionInfo> {
    const kept = this.known.get(name);
    if (kept !== undefined) return kept;
    const generation = this.generation;
    const info = await this.db.collectionInfo(name);
    if (generation === this.generation) this.known.set(name, info);
    return info;
  }

  collectionExists(name: string): Promise<boolean> {
    return this.known.has(name) ? Promise.resolve(true) : this.db.collectionExists(name);
  }

  /** A collection was created or deleted, or the data replaced: forget every answer. */
  invalidate(): void {
    this.known.clear();
    this.generation++;
  }
}
