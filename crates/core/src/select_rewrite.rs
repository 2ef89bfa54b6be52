//! Makes a payload search query also return the rowid of each matched collection row.
//!
//! The query is the user's SELECT; SQLite has already proven it is one read-only
//! statement. To learn which collection rows it matched, the engine inserts
//! `<qualifier>.rowid AS __vxl_rowid` as the first result column of the top-level SELECT,
//! where the qualifier is the collection table's alias (or name) in the top-level FROM.
//! The tokenizer below knows quotes, comments and parentheses, so a comma or keyword inside
//! a string, comment or subquery never misleads it. The hidden column is not payload.

use crate::error::{Error, Result};

pub const HIDDEN_ROWID: &str = "__vxl_rowid";

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    /// A bare word or a quoted identifier; `text` holds the unquoted name.
    Word { quoted: bool },
    Str,
    Number,
    Punct,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    text: String,
    start: usize,
    end: usize,
    depth: usize,
}

impl Token {
    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self.kind, Kind::Word { quoted: false }) && self.text.eq_ignore_ascii_case(kw)
    }
    fn is_punct(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }
}

fn tokenize(sql: &str) -> Result<Vec<Token>> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let unterminated = || Error::invalid("payload search query has an unterminated quote or comment");
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            let close = sql[i + 2..].find("*/").ok_or_else(unterminated)?;
            i += 2 + close + 2;
            continue;
        }
        let (kind, text) = match c {
            b'\'' | b'"' | b'`' | b'[' => {
                let close = if c == b'[' { b']' } else { c };
                let mut j = i + 1;
                let mut text = String::new();
                loop {
                    let k = sql[j..].find(close as char).ok_or_else(unterminated)? + j;
                    text.push_str(&sql[j..k]);
                    // A doubled quote is an escaped quote (not for [brackets]).
                    if c != b'[' && bytes.get(k + 1) == Some(&close) {
                        text.push(close as char);
                        j = k + 2;
                    } else {
                        i = k + 1;
                        break;
                    }
                }
                let kind = if c == b'\'' { Kind::Str } else { Kind::Word { quoted: true } };
                (kind, text)
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                (Kind::Word { quoted: false }, sql[start..i].to_string())
            }
            c if c.is_ascii_digit() => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
                (Kind::Number, sql[start..i].to_string())
            }
            _ => {
                i += 1;
                (Kind::Punct, sql[start..i].to_string())
            }
        };
        if kind == Kind::Punct && text == ")" {
            depth = depth.saturating_sub(1);
        }
        tokens.push(Token { kind: kind.clone(), text: text.clone(), start, end: i, depth });
        if kind == Kind::Punct && text == "(" {
            depth += 1;
        }
    }
    Ok(tokens)
}

/// Words that end a table reference's optional alias.
const NOT_ALIAS: &[&str] = &[
    "join", "natural", "left", "right", "full", "inner", "cross", "outer", "on", "using",
    "indexed", "not", "where", "group", "having", "order", "limit", "window", "union",
    "intersect", "except",
];

/// Words that end the top-level FROM clause.
const AFTER_FROM: &[&str] = &["where", "group", "having", "order", "limit", "window"];

const COMPOUND: &[&str] = &["union", "intersect", "except"];

/// The depth-0 tokens of a query and the position among them of its top-level SELECT,
/// or an error if it is not a single (non-compound) SELECT.
fn top_level(tokens: &[Token]) -> Result<(Vec<&Token>, usize)> {
    let top: Vec<&Token> = tokens.iter().filter(|t| t.depth == 0).collect();
    let select_at = top
        .iter()
        .position(|t| t.is_keyword("select"))
        .ok_or_else(|| Error::invalid("payload search query must be a SELECT"))?;
    if top.iter().any(|t| COMPOUND.iter().any(|k| t.is_keyword(k))) {
        return Err(Error::invalid(
            "payload search query must be a single SELECT, not a compound (UNION/INTERSECT/EXCEPT)",
        ));
    }
    Ok((top, select_at))
}

/// Returns the query with the hidden rowid column added, or an error saying why the
/// query is not a plain SELECT reading `table` at its top level.
pub fn add_rowid_column(sql: &str, table: &str) -> Result<String> {
    let tokens = tokenize(sql)?;
    let (top, select_at) = top_level(&tokens)?;
    let mut insert_after = top[select_at];
    if let Some(next) = top.get(select_at + 1) {
        if next.is_keyword("distinct") || next.is_keyword("all") {
            insert_after = next;
        }
    }
    let from_at = top[select_at..]
        .iter()
        .position(|t| t.is_keyword("from"))
        .map(|p| p + select_at)
        .ok_or_else(|| missing_table(table))?;
    let qualifier = find_qualifier(&top[from_at + 1..], table).ok_or_else(|| missing_table(table))?;
    let column = format!(" {}.rowid AS {HIDDEN_ROWID},", quote(&qualifier));
    let at = insert_after.end;
    Ok(format!("{}{}{}", &sql[..at], column, &sql[at..]))
}

/// Why an aggregate or grouped query cannot be a filter: its result rows are groups, and
/// the rowid SQLite reports beside an aggregate is an arbitrary row of the group.
pub fn aggregate_refusal(table: &str) -> Error {
    Error::invalid(format!(
        "payload search query must return rows of {table}, one per matching row; aggregate and grouped queries \
         (count(), sum(), max(x), GROUP BY, HAVING) have no such row. Filter with WHERE and put aggregates in a \
         subquery, e.g. SELECT * FROM {table} WHERE price > (SELECT avg(price) FROM {table})"
    ))
}

/// Text that SQLite compiles only if the query's top-level SELECT is an aggregate: the
/// query with `HAVING 1` added to that SELECT (SQLite >= 3.39 refuses HAVING on a
/// non-aggregate query). Whether a query aggregates is SQLite's judgement, not the
/// tokenizer's: an aggregate may hide in the select list, in ORDER BY, or in a correlated
/// subquery that aggregates only outer columns. A top-level GROUP BY or HAVING is grouped
/// on its face and refused here.
pub fn aggregate_probe(sql: &str, table: &str) -> Result<String> {
    let tokens = tokenize(sql)?;
    let (top, select_at) = top_level(&tokens)?;
    let rest = &top[select_at..];
    if rest.iter().any(|t| t.is_keyword("group") || t.is_keyword("having")) {
        return Err(aggregate_refusal(table));
    }
    // HAVING goes after FROM/WHERE and before WINDOW, ORDER BY, LIMIT and a final ';'.
    let at = rest
        .iter()
        .find(|t| AFTER_HAVING.iter().any(|k| t.is_keyword(k)) || t.is_punct(";"))
        .map(|t| t.start)
        .unwrap_or_else(|| tokens.last().map_or(sql.len(), |t| t.end));
    Ok(format!("{} HAVING 1 {}", &sql[..at], &sql[at..]))
}

/// Top-level clauses that follow HAVING.
const AFTER_HAVING: &[&str] = &["window", "order", "limit"];

fn missing_table(table: &str) -> Error {
    Error::invalid(format!(
        "payload search query must read the collection table {table} in its top-level FROM clause"
    ))
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Walks the top-level FROM clause (depth-0 tokens only) and returns how the result
/// columns refer to `table`: its alias if it has one, else its name.
fn find_qualifier(from: &[&Token], table: &str) -> Option<String> {
    let mut expect_table = true;
    let mut i = 0;
    while i < from.len() {
        let t = from[i];
        if AFTER_FROM.iter().any(|k| t.is_keyword(k)) {
            return None;
        }
        if t.is_punct(",") || t.is_keyword("join") {
            expect_table = true;
            i += 1;
            continue;
        }
        if expect_table && matches!(t.kind, Kind::Word { .. }) {
            expect_table = false;
            // `schema.table` or `table`
            let (schema, name, mut j) = match (from.get(i + 1), from.get(i + 2)) {
                (Some(dot), Some(n)) if dot.is_punct(".") => (Some(&t.text), &n.text, i + 3),
                _ => (None, &t.text, i + 1),
            };
            let in_main = !matches!(schema, Some(s) if !s.eq_ignore_ascii_case("main"));
            if in_main && name.eq_ignore_ascii_case(table) {
                if from.get(j).is_some_and(|t| t.is_keyword("as")) {
                    j += 1;
                }
                return Some(match from.get(j) {
                    Some(alias)
                        if matches!(alias.kind, Kind::Word { .. })
                            && !NOT_ALIAS.iter().any(|k| alias.is_keyword(k)) =>
                    {
                        alias.text.clone()
                    }
                    _ => name.clone(),
                });
            }
            i = j;
            continue;
        }
        if expect_table && t.is_punct("(") {
            // A parenthesized subquery or join: its inside is deeper, not scanned.
            expect_table = false;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(sql: &str) -> String {
        add_rowid_column(sql, "t").unwrap()
    }

    #[test]
    fn plain_star_and_named_columns() {
        assert_eq!(
            rewrite("SELECT * FROM t WHERE price < 150"),
            "SELECT \"t\".rowid AS __vxl_rowid, * FROM t WHERE price < 150"
        );
        assert_eq!(
            rewrite("select distinct name from t"),
            "select distinct \"t\".rowid AS __vxl_rowid, name from t"
        );
    }

    #[test]
    fn aliases_and_joins() {
        assert!(rewrite("SELECT a.name FROM t AS a").contains("\"a\".rowid"));
        assert!(rewrite("SELECT a.name FROM t a WHERE a.x = 1").contains("\"a\".rowid"));
        assert!(rewrite("SELECT t.name, u.c FROM u JOIN t ON t.k = u.k").contains("\"t\".rowid"));
        assert!(rewrite("SELECT x.name FROM u, main.t x").contains("\"x\".rowid"));
        assert!(rewrite("SELECT * FROM \"t\" JOIN u ON 1").contains("\"t\".rowid"));
        assert!(rewrite("SELECT * FROM t LEFT JOIN u ON 1").contains("\"t\".rowid"));
    }

    #[test]
    fn quotes_comments_and_subqueries_do_not_mislead() {
        let sql = "SELECT name, 'FROM t x' AS s /* FROM t y */ FROM (SELECT 1) q, t z -- FROM t w\n WHERE name IN (SELECT name FROM t)";
        assert!(rewrite(sql).contains("\"z\".rowid"));
        let cte = "WITH c AS (SELECT * FROM t) SELECT t.name FROM t JOIN c ON c.rowid = t.rowid";
        assert!(rewrite(cte).starts_with("WITH c AS (SELECT * FROM t) SELECT \"t\".rowid"));
    }

    #[test]
    fn aggregate_probe_adds_having_to_the_top_level_select() {
        let probe = |sql: &str| aggregate_probe(sql, "t").unwrap();
        assert_eq!(probe("SELECT count(*) FROM t WHERE x > 1"), "SELECT count(*) FROM t WHERE x > 1 HAVING 1 ");
        assert_eq!(probe("SELECT n FROM t ORDER BY n LIMIT 3"), "SELECT n FROM t  HAVING 1 ORDER BY n LIMIT 3");
        assert_eq!(probe("SELECT n FROM t LIMIT 3"), "SELECT n FROM t  HAVING 1 LIMIT 3");
        assert_eq!(probe("SELECT rank() OVER w FROM t WINDOW w AS ()"), "SELECT rank() OVER w FROM t  HAVING 1 WINDOW w AS ()");
        assert_eq!(probe("SELECT n FROM t; -- done"), "SELECT n FROM t HAVING 1 ; -- done");
        assert_eq!(probe("SELECT n FROM t -- LIMIT 1"), "SELECT n FROM t HAVING 1  -- LIMIT 1");
        let nested = "WITH c AS (SELECT k FROM u GROUP BY k ORDER BY k) SELECT n FROM t WHERE n IN (SELECT k FROM c GROUP BY k HAVING 1)";
        assert_eq!(probe(nested), format!("{nested} HAVING 1 "));
        assert!(probe("SELECT n, count(*) OVER (ORDER BY n) FROM t").ends_with(") FROM t HAVING 1 "));
        for grouped in ["SELECT n FROM t GROUP BY n", "SELECT count(*) FROM t HAVING count(*) > 1"] {
            assert!(aggregate_probe(grouped, "t").unwrap_err().message.contains("aggregate"), "{grouped}");
        }
    }

    #[test]
    fn rejects_queries_without_the_table_or_compound() {
        assert!(add_rowid_column("SELECT * FROM u", "t").is_err());
        assert!(add_rowid_column("SELECT * FROM (SELECT * FROM t)", "t").is_err());
        assert!(add_rowid_column("SELECT * FROM t UNION SELECT * FROM t", "t").is_err());
        assert!(add_rowid_column("SELECT 'unterminated FROM t", "t").is_err());
        assert!(add_rowid_column("VALUES (1)", "t").is_err());
    }
}
