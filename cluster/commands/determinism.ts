/**
 * The determinism rule for payload SQL that enters the Raft log. Every replica runs the same
 * SQL against the same data; SQL whose outcome depends on anything else (the clock, a random
 * source, the connection's history, the machine's time zone, the SQLite build) would make
 * replicas diverge, so it is refused with FORBIDDEN_SQL before it is proposed, and again when
 * applied. The check works on SQLite's tokens, never on raw text, so string literals,
 * comments and quoted names cannot hide or fake a call. It is conservative: it may refuse
 * SQL that happens to be deterministic (docs/state-machine.md lists exactly what is refused).
 */
import { VectorXLiteError } from '../../src/errors.js';
import { tokenizeSql, type SqlToken } from './sql-tokens.js';

/** Functions whose result depends on state outside the statement's data. */
export const FORBIDDEN_FUNCTIONS: ReadonlySet<string> = new Set([
  'random',
  'randomblob',
  'changes',
  'total_changes',
  'last_insert_rowid',
  'sqlite_version',
  'sqlite_source_id',
  'sqlite_compileoption_get',
  'sqlite_compileoption_used',
  'sqlite_offset',
  'load_extension',
]);

/** Keywords that read the clock wherever they appear (as values or as column defaults). */
export const FORBIDDEN_KEYWORDS: ReadonlySet<string> = new Set(['current_timestamp', 'current_date', 'current_time']);

/**
 * Date and time functions with the number of arguments below which they read the clock
 * (SQLite takes a missing time value as 'now').
 */
export const DATE_TIME_FUNCTIONS: ReadonlyMap<string, number> = new Map([
  ['date', 1],
  ['time', 1],
  ['datetime', 1],
  ['julianday', 1],
  ['unixepoch', 1],
  ['strftime', 2],
  ['timediff', 2],
]);

/** Date/time argument values that read the clock ('now') or the machine's time zone ('localtime', 'utc'). */
export const FORBIDDEN_TIME_VALUES: ReadonlySet<string> = new Set(['now', 'localtime', 'utc']);

/** After these keywords a name followed by '(' is a table with its column list, not a call. */
const TABLE_NAME_KEYWORDS = new Set(['table', 'into', 'references', 'exists']);

function forbidden(what: string, reason: string): VectorXLiteError {
  return new VectorXLiteError(
    'FORBIDDEN_SQL',
    `${what} is not deterministic: ${reason}. Every replica must compute the same values, so pass literal values computed by the client instead.`,
  );
}

/** True when the token at `at` names a function being called. */
function isCall(tokens: readonly SqlToken[], at: number): boolean {
  const token = tokens[at];
  if (token.kind !== 'word' && token.kind !== 'identifier') return false;
  if (tokens[at + 1]?.kind !== 'punct' || tokens[at + 1].text !== '(') return false;
  const before = tokens[at - 1];
  if (before?.kind === 'punct' && before.text === '.') return false;
  return !(before?.kind === 'word' && TABLE_NAME_KEYWORDS.has(before.text.toLowerCase()));
}

/**
 * The arguments of the call whose '(' is at `open`, each as its tokens, or null when an
 * argument is anything but a string or numeric literal (with an optional sign).
 */
function literalArguments(tokens: readonly SqlToken[], open: number): SqlToken[] | null {
  const values: SqlToken[] = [];
  let expectValue = true;
  for (let i = open + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'punct' && t.text === ')') return expectValue && values.length > 0 ? null : values;
    if (expectValue) {
      if (t.kind === 'punct' && (t.text === '-' || t.text === '+') && tokens[i + 1]?.kind === 'number') continue;
      if (t.kind !== 'string' && t.kind !== 'number') return null;
      values.push(t);
      expectValue = false;
    } else {
      if (t.kind !== 'punct' || t.text !== ',') return null;
      expectValue = true;
    }
  }
  return null;
}

/** Throws FORBIDDEN_SQL when `sql` (described as `what`) may evaluate differently on two replicas. */
export function checkDeterministicSql(sql: string, what: string): void {
  const tokens = tokenizeSql(sql);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const name = token.text.toLowerCase();
    if (token.kind === 'word' && FORBIDDEN_KEYWORDS.has(name)) {
      throw forbidden(what, `${token.text.toUpperCase()} reads the clock`);
    }
    if (!isCall(tokens, i)) continue;
    if (FORBIDDEN_FUNCTIONS.has(name)) throw forbidden(what, `${name}() depends on state outside the data`);
    const minimum = DATE_TIME_FUNCTIONS.get(name);
    if (minimum === undefined) continue;
    const args = literalArguments(tokens, i + 1);
    if (args === null) {
      throw forbidden(what, `${name}() may only take string or number literals here, so that no argument can be 'now'`);
    }
    if (args.length < minimum) throw forbidden(what, `${name}() without a time value reads the clock`);
    const clockValue = args.find((a) => a.kind === 'string' && FORBIDDEN_TIME_VALUES.has(a.text.trim().toLowerCase()));
    if (clockValue) throw forbidden(what, `${name}() with '${clockValue.text}' depends on the clock or the machine's time zone`);
  }
}
