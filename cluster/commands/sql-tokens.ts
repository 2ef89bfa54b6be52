/**
 * A tokenizer for SQLite's SQL, following SQLite's own tokenizer (tokenize.c) closely enough
 * to tell apart what the determinism check must see: string literals, quoted identifiers,
 * comments, numbers, bound parameters, words and punctuation. It never decides whether SQL
 * is valid; SQLite does that when the statement runs.
 */

export type SqlTokenKind = 'word' | 'identifier' | 'string' | 'blob' | 'number' | 'variable' | 'punct';

export interface SqlToken {
  kind: SqlTokenKind;
  /** A string's value and a quoted identifier's name with quotes and doubled quotes removed; otherwise the source text. */
  text: string;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;
const SPACE = /\s/;

/** Reads a quoted run starting at `start` (the opening quote); a doubled closing quote is one quote. Unterminated runs end at the end of the text. */
function quoted(sql: string, start: number, close: string, doubling: boolean): { text: string; end: number } {
  let text = '';
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === close) {
      if (doubling && sql[i + 1] === close) {
        text += close;
        i += 2;
        continue;
      }
      return { text, end: i + 1 };
    }
    text += sql[i];
    i++;
  }
  return { text, end: i };
}

function numberEnd(sql: string, start: number): number {
  let i = start;
  if (sql[i] === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
    i += 2;
    while (i < sql.length && /[0-9A-Fa-f_]/.test(sql[i])) i++;
    return i;
  }
  while (i < sql.length && /[0-9_.]/.test(sql[i])) i++;
  if ((sql[i] === 'e' || sql[i] === 'E') && (DIGIT.test(sql[i + 1] ?? '') || (/[+-]/.test(sql[i + 1] ?? '') && DIGIT.test(sql[i + 2] ?? '')))) {
    i += 2;
    while (i < sql.length && DIGIT.test(sql[i])) i++;
  }
  return i;
}

/** The tokens of `sql`, without whitespace and comments. */
export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (SPACE.test(c)) {
      i++;
    } else if (c === '-' && next === '-') {
      const newline = sql.indexOf('\n', i);
      i = newline < 0 ? sql.length : newline + 1;
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (c === "'") {
      const { text, end } = quoted(sql, i, "'", true);
      tokens.push({ kind: 'string', text });
      i = end;
    } else if (c === '"' || c === '`') {
      const { text, end } = quoted(sql, i, c, true);
      tokens.push({ kind: 'identifier', text });
      i = end;
    } else if (c === '[') {
      const { text, end } = quoted(sql, i, ']', false);
      tokens.push({ kind: 'identifier', text });
      i = end;
    } else if ((c === 'x' || c === 'X') && next === "'") {
      const { text, end } = quoted(sql, i + 1, "'", false);
      tokens.push({ kind: 'blob', text });
      i = end;
    } else if (DIGIT.test(c) || (c === '.' && DIGIT.test(next ?? ''))) {
      const end = numberEnd(sql, i);
      tokens.push({ kind: 'number', text: sql.slice(i, end) });
      i = end;
    } else if (c === '?' || c === ':' || c === '@' || c === '$') {
      let end = i + 1;
      while (end < sql.length && WORD_PART.test(sql[end])) end++;
      tokens.push({ kind: 'variable', text: sql.slice(i, end) });
      i = end;
    } else if (WORD_START.test(c)) {
      let end = i + 1;
      while (end < sql.length && WORD_PART.test(sql[end])) end++;
      tokens.push({ kind: 'word', text: sql.slice(i, end) });
      i = end;
    } else {
      tokens.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return tokens;
}
