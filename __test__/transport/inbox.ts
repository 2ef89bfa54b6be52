/** Collects what a transport delivers and lets a test wait for a particular message. */
import type { Message } from '../../cluster/consensus/types.js';

/** Waiting fails instead of hanging the test when an expected message never comes. */
const WAIT_LIMIT_MS = 15_000;

export class Inbox {
  readonly messages: Message[] = [];
  private waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void }> = [];

  readonly handler = (message: Message): void => {
    this.messages.push(message);
    const ready = this.waiters.filter((w) => w.match(message));
    this.waiters = this.waiters.filter((w) => !w.match(message));
    for (const w of ready) w.resolve(message);
  };

  waitFor(match: (m: Message) => boolean, what: string): Promise<Message> {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} arrived`)), WAIT_LIMIT_MS);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  async waitForCount(count: number, what: string): Promise<void> {
    const limit = Date.now() + WAIT_LIMIT_MS;
    while (this.messages.length < count) {
      if (Date.now() > limit) throw new Error(`${this.messages.length} of ${count} ${what} arrived`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
