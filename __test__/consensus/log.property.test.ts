/** Property tests: the consensus log view against a naive model (a plain array of terms). */
import test from 'ava';
import { RaftLog } from '../../cluster/consensus/log.js';
import type { LogEntry } from '../../cluster/consensus/types.js';
import { SeededRandom } from '../../cluster/simulation/random.js';

/** Index i holds terms[i]; indexes up to `base` are compacted. */
interface Model {
  base: number;
  terms: number[];
}

const entry = (index: number, term: number): LogEntry => ({ index, term, type: 'command', data: new Uint8Array() });

test('RaftLog behaves like a plain array of terms under random appends, truncations and compactions', (t) => {
  for (let seed = 1; seed <= 200; seed++) {
    const rng = new SeededRandom(seed);
    const model: Model = { base: 0, terms: [0] };
    const log = new RaftLog(0, 0, []);
    let term = 1;
    for (let step = 0; step < 100; step++) {
      const last = model.terms.length - 1;
      const op = rng.int(10);
      if (op < 5) {
        if (rng.chance(0.3)) term++;
        const n = rng.between(1, 4);
        const batch = Array.from({ length: n }, (_, i) => entry(last + 1 + i, term));
        log.append(batch);
        for (const e of batch) model.terms.push(e.term);
      } else if (op < 7 && last > model.base) {
        const from = rng.between(model.base + 1, last);
        log.truncateFrom(from);
        model.terms.length = from;
      } else if (op < 8 && last > model.base) {
        const to = rng.between(model.base, last);
        log.compact(to);
        model.base = Math.max(model.base, to);
      }
      const lastNow = model.terms.length - 1;
      t.is(log.lastIndex(), lastNow);
      t.is(log.firstIndex(), model.base + 1);
      t.is(log.lastTerm(), model.terms[lastNow]);
      for (let i = 0; i <= lastNow + 1; i++) {
        const expected = i < model.base || i > lastNow ? undefined : model.terms[i];
        if (log.term(i) !== expected) t.fail(`seed ${seed} step ${step}: term(${i}) = ${log.term(i)}, model ${expected}`);
      }
      if (lastNow > model.base) {
        const probe = rng.between(model.base + 1, lastNow);
        let first = probe;
        while (first - 1 > model.base && model.terms[first - 1] === model.terms[probe]) first--;
        t.is(log.firstIndexOfTerm(probe), first);
        const someTerm = rng.between(0, term + 1);
        let lastOf = 0;
        for (let i = model.base; i <= lastNow; i++) if (model.terms[i] === someTerm) lastOf = i;
        t.is(log.lastIndexOfTerm(someTerm), lastOf, `seed ${seed}: lastIndexOfTerm(${someTerm})`);
        t.deepEqual(
          log.slice(model.base + 1, lastNow).map((e) => e.term),
          model.terms.slice(model.base + 1),
        );
      }
      const a = rng.between(0, lastNow + 1);
      const b = rng.between(0, term + 1);
      t.is(log.isUpToDate(a, b), b > model.terms[lastNow] || (b === model.terms[lastNow] && a >= lastNow));
    }
  }
});
