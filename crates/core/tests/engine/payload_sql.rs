//! The shapes of payload SQL at the edges of the rules (docs/engine.md, "Payload SQL rules
//! and limits"): each either works or is refused with its code and changes nothing.
use super::common::*;
use vectorxlite_core::*;

fn shop() -> Engine {
    let db = memory();
    db.create_collection(&with_schema("t", 2, "CREATE TABLE t (rowid INTEGER PRIMARY KEY, name TEXT, price REAL)")).unwrap();
    db.create_collection(&with_schema("u", 2, "CREATE TABLE u (rowid INTEGER PRIMARY KEY, label TEXT)")).unwrap();
    for i in 1..=6i64 {
        let sql = format!("INSERT INTO t(name, price) VALUES ('item {i}', {})", i * 10);
        db.insert("t", &point(i, vec![1.0, i as f32], Some(&sql))).unwrap();
    }
    db.insert("u", &point(1, vec![0.0, 1.0], Some("INSERT INTO u(label) VALUES ('item 2')"))).unwrap();
    db
}

fn filter(sql: &str) -> SearchQuery {
    SearchQuery { payload_search_query: Some(sql.to_string()), ..query("t", vec![1.0, 0.0], 10) }
}

fn ids(hits: &[SearchHit]) -> Vec<i64> {
    let mut ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
    ids.sort();
    ids
}

/// An aggregate or grouped query has no collection row per result row: the rowid SQLite
/// would report beside `count(*)` is an arbitrary row, so such a filter is refused.
#[test]
fn aggregate_and_grouped_search_filters_are_refused() {
    let db = shop();
    for sql in [
        "SELECT count(*) FROM t WHERE price > 30",
        "SELECT count(*) AS n FROM t",
        "SELECT max(price) FROM t",
        "SELECT name, count(*) FROM t GROUP BY name",
        "SELECT name FROM t GROUP BY name",
        "SELECT * FROM t GROUP BY price HAVING price > 0",
        "SELECT count(*) AS n FROM t WHERE price > 0 ORDER BY n LIMIT 3 OFFSET 0",
        "SELECT count(*), rank() OVER w FROM t WINDOW w AS (ORDER BY 1)",
        "SELECT t.name, group_concat(u.label) FROM t JOIN u ON u.label = t.name",
        "WITH c AS (SELECT 1 AS one) SELECT total(price) FROM t, c WHERE c.one = 1",
        "SELECT (SELECT count(t.price)) FROM t",
        "SELECT count(*) FROM t; -- trailing comment",
    ] {
        let err = rejects(&db, ErrorCode::InvalidArgument, |db| db.search(&filter(sql)));
        assert!(err.message.contains("aggregate"), "{sql}: {err}");
    }
}

/// Aggregates inside subqueries, window functions and two-argument max() keep one result
/// row per collection row, so they filter as usual.
#[test]
fn row_filters_with_aggregates_inside_still_work() {
    let db = shop();
    assert_eq!(ids(&db.search(&filter("SELECT * FROM t WHERE price > (SELECT avg(price) FROM t)")).unwrap()), [4, 5, 6]);
    assert_eq!(ids(&db.search(&filter("SELECT name, (SELECT count(*) FROM u) AS n FROM t WHERE price < 30")).unwrap()), [1, 2]);
    let window = db.search(&filter("SELECT name, count(*) OVER () AS n FROM t WHERE price <= 20")).unwrap();
    assert_eq!(ids(&window), [1, 2]);
    assert!(window.iter().all(|h| h.payload[1].1 == Value::Integer(2)));
    let scalar_max = db.search(&filter("SELECT max(price, 35.0) AS p FROM t WHERE rowid = 1")).unwrap();
    assert_eq!((scalar_max.len(), &scalar_max[0].payload[0].1), (1, &Value::Real(35.0)));
    let distinct = db.search(&filter("SELECT DISTINCT price > 30 AS big FROM t")).unwrap();
    assert_eq!(ids(&distinct), [1, 2, 3, 4, 5, 6]);
}

/// RETURNING would hand back the row's temporary rowid, before the engine moves it to the
/// point id, to a caller that receives nothing: refused before anything runs.
#[test]
fn returning_in_a_payload_insert_is_refused() {
    let db = shop();
    for sql in [
        "INSERT INTO t(name) VALUES ('r') RETURNING rowid",
        "INSERT INTO t(name) VALUES ('r') RETURNING *",
        "INSERT INTO t(name) SELECT label FROM u RETURNING name",
    ] {
        let err = rejects(&db, ErrorCode::InvalidArgument, |db| db.insert("t", &point(9, vec![1.0, 0.0], Some(sql))));
        assert!(err.message.contains("RETURNING"), "{sql}: {err}");
    }
    rejects(&db, ErrorCode::ForbiddenSql, |db| {
        db.insert("t", &point(9, vec![1.0, 0.0], Some("INSERT INTO t(name) VALUES ('r') RETURNING (SELECT count(*) FROM vxl_collections)")))
    });
}

/// A CTE is part of the statement (the authorizer names it as the accessor of what it
/// reads); reading through it follows the same table rules as reading directly.
#[test]
fn common_table_expressions_work_in_inserts_and_filters() {
    let db = shop();
    db.insert("t", &point(7, vec![1.0, 7.0], Some("WITH v(x, y) AS (SELECT 'cte', 70) INSERT INTO t(name, price) SELECT x, y FROM v"))).unwrap();
    let row = db.get("t", 7).unwrap().unwrap().payload;
    assert_eq!(row, vec![("rowid".into(), Value::Integer(7)), ("name".into(), Value::Text("cte".into())), ("price".into(), Value::Real(70.0))]);
    let recursive = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4) INSERT INTO t(name, price) SELECT 'sum', sum(i) FROM n";
    db.insert("t", &point(8, vec![1.0, 8.0], Some(recursive))).unwrap();
    assert_eq!(db.get("t", 8).unwrap().unwrap().payload[2].1, Value::Real(10.0));
    let from_collections = "WITH l AS (SELECT label FROM u) INSERT INTO t(name) SELECT label FROM l";
    db.insert("t", &point(9, vec![1.0, 9.0], Some(from_collections))).unwrap();
    assert_eq!(db.get("t", 9).unwrap().unwrap().payload[1].1, Value::Text("item 2".into()));

    let cte_filter = "WITH cheap AS (SELECT rowid AS k FROM t WHERE price <= 30) SELECT t.name FROM t JOIN cheap ON cheap.k = t.rowid";
    assert_eq!(ids(&db.search(&filter(cte_filter)).unwrap()), [1, 2, 3, 8]);

    // SQLite does not say whether a FROM item none of whose columns are used is a CTE or
    // a table, so such an item must be a collection table; using a column of the CTE works.
    let unused = rejects(&db, ErrorCode::ForbiddenSql, |db| db.search(&filter("WITH c AS (SELECT 1 AS one) SELECT t.name FROM t, c")));
    assert!(unused.message.contains("use one of its columns"), "{unused}");
    assert_eq!(db.search(&filter("WITH c AS (SELECT 1 AS one) SELECT t.name FROM t, c WHERE c.one = 1")).unwrap().len(), 9);

    rejects(&db, ErrorCode::ForbiddenSql, |db| {
        db.insert("t", &point(10, vec![1.0, 0.0], Some("WITH c AS (SELECT name FROM vxl_collections) INSERT INTO t(name) SELECT name FROM c")))
    });
    rejects(&db, ErrorCode::ForbiddenSql, |db| {
        db.search(&filter("WITH c AS (SELECT name FROM sqlite_master) SELECT t.name FROM t, c"))
    });
}

fn rows_of(path: &str, table: &str) -> Vec<(i64, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare(&format!("SELECT rowid, k FROM {table} ORDER BY rowid")).unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

fn sequence_of(path: &str, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT seq FROM sqlite_sequence WHERE name = ?1", [table], |r| r.get(0)).unwrap()
}

/// AUTOINCREMENT writes sqlite_sequence, SQLite's bookkeeping for the collection's own
/// table. Every row still ends up at rowid = id, and a temporary rowid the user's INSERT
/// chose (even the largest one SQLite has) does not exhaust the sequence for later inserts.
#[test]
fn autoincrement_payload_tables_keep_rowid_equal_to_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let db = Engine::open(&path, options()).unwrap();
    // The table is named as the schema spells it, which may differ in case from the collection.
    db.create_collection(&with_schema("A", 2, "CREATE TABLE a (k INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)")).unwrap();
    db.insert("a", &point(100, vec![1.0, 0.0], Some("INSERT INTO a(name) VALUES ('x')"))).unwrap();
    db.insert("a", &point(5, vec![0.0, 1.0], Some("INSERT INTO a(name) VALUES ('y')"))).unwrap();
    db.insert("a", &point(7, vec![1.0, 1.0], None)).unwrap();
    let max_rowid = "INSERT INTO a(k, name) VALUES (9223372036854775807, 'z')";
    db.insert("a", &point(-3, vec![1.0, 2.0], Some(max_rowid))).unwrap();
    let batch: Vec<NewPoint> = (200..210)
        .map(|id| point(id, vec![id as f32, 1.0], Some("INSERT INTO a(name) VALUES ('b')")))
        .collect();
    db.insert_batch("a", &batch).unwrap();
    db.insert("a", &point(1, vec![2.0, 1.0], Some("INSERT INTO a(name) VALUES ('after')"))).unwrap();

    let mut expected: Vec<i64> = vec![-3, 1, 5, 7, 100];
    expected.extend(200..210);
    let rows = rows_of(&path, "a");
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), expected);
    assert!(rows.iter().all(|(rowid, k)| rowid == k), "{rows:?}");
    assert_eq!(sequence_of(&path, "a"), 209, "the sequence follows the ids, not the temporary rowids");
    assert_eq!(db.get("a", 1).unwrap().unwrap().payload[1].1, Value::Text("after".into()));
    let q = SearchQuery { payload_search_query: Some("SELECT name FROM a WHERE k < 0".into()), ..query("a", vec![1.0, 0.0], 5) };
    assert_eq!(ids(&db.search(&q).unwrap()), [-3]);

    // A direct write to the sequence is not the table's bookkeeping.
    rejects(&db, ErrorCode::ForbiddenSql, |db| {
        db.insert("a", &point(300, vec![1.0, 0.0], Some("INSERT INTO sqlite_sequence(name, seq) VALUES ('a', 1)")))
    });
    rejects(&db, ErrorCode::ForbiddenSql, |db| {
        db.insert("a", &point(300, vec![1.0, 0.0], Some("INSERT INTO a(name) SELECT name FROM sqlite_sequence")))
    });
    db.close().unwrap();
}

/// Payload SQL reads collection payload tables and nothing else: not SQLite's schema or
/// sequence tables, not the engine's catalog, durable vectors or vectorlite tables, not
/// table-valued functions, not tables created outside the engine.
#[test]
fn payload_sql_reads_only_collection_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let db = Engine::open(&path, options()).unwrap();
    db.create_collection(&with_schema("t", 2, "CREATE TABLE t (rowid INTEGER PRIMARY KEY, name TEXT)")).unwrap();
    db.create_collection(&with_schema("s", 2, "CREATE TABLE s (k INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)")).unwrap();
    db.insert("t", &point(1, vec![1.0, 0.0], Some("INSERT INTO t(name) VALUES ('one')"))).unwrap();
    db.insert("s", &point(1, vec![1.0, 0.0], Some("INSERT INTO s(name) VALUES ('one')"))).unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("CREATE TABLE outside (name TEXT); INSERT INTO outside VALUES ('one'); CREATE VIEW v AS SELECT * FROM t;").unwrap();
    drop(other);
    let readers = [
        "sqlite_master",
        "sqlite_schema",
        "main.sqlite_master",
        "sqlite_temp_master",
        "sqlite_sequence",
        "vxl_collections",
        "vxl_meta",
        "vxl_vec_t",
        "temp.vxl_idx_t",
        "outside",
        "v",
        "pragma_table_info('t')",
        "json_each('[1]')",
        "dbstat",
        "sqlite_stmt",
    ];
    for source in readers {
        let search = format!("SELECT t.name FROM t, {source} AS x");
        let err = rejects(&db, ErrorCode::ForbiddenSql, |db| db.search(&SearchQuery { payload_search_query: Some(search.clone()), ..query("t", vec![1.0, 0.0], 5) }));
        assert!(err.message.contains("collection"), "{search}: {err}");
        let subquery = format!("SELECT name FROM t WHERE EXISTS (SELECT 1 FROM {source})");
        rejects(&db, ErrorCode::ForbiddenSql, |db| db.search(&SearchQuery { payload_search_query: Some(subquery.clone()), ..query("t", vec![1.0, 0.0], 5) }));
        let insert = format!("INSERT INTO t(name) SELECT 'x' FROM {source} LIMIT 1");
        rejects(&db, ErrorCode::ForbiddenSql, |db| db.insert("t", &point(2, vec![0.0, 1.0], Some(&insert))));
    }
    // Another collection's payload table is readable: a JOIN is a required shape.
    let join = SearchQuery { payload_search_query: Some("SELECT t.name, s.k FROM t JOIN s ON s.name = t.name".into()), ..query("t", vec![1.0, 0.0], 5) };
    assert_eq!(db.search(&join).unwrap()[0].payload, vec![("name".into(), Value::Text("one".into())), ("k".into(), Value::Integer(1))]);
    db.insert("t", &point(2, vec![0.0, 1.0], Some("INSERT INTO t(name) SELECT name || '!' FROM s"))).unwrap();
    assert_eq!(db.get("t", 2).unwrap().unwrap().payload[1].1, Value::Text("one!".into()));

    // A trigger is code stored in the database: a payload insert that would run it is refused.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("CREATE TRIGGER copy AFTER INSERT ON t BEGIN INSERT INTO outside VALUES (new.name); END;").unwrap();
    drop(other);
    let err = rejects(&db, ErrorCode::ForbiddenSql, |db| db.insert("t", &point(3, vec![1.0, 1.0], Some("INSERT INTO t(name) VALUES ('x')"))));
    assert!(err.message.contains("trigger or view 'copy'"), "{err}");
    db.close().unwrap();
}

/// load_extension() would run native code from any file: payload SQL may call functions, but
/// not that one, whether or not extension loading happens to be enabled on the connection.
#[test]
fn load_extension_in_payload_sql_is_forbidden() {
    let db = shop();
    for sql in ["SELECT name FROM t WHERE load_extension('/nonexistent.so') IS NULL", "SELECT name, LOAD_EXTENSION('x', 'y') FROM t"] {
        let err = rejects(&db, ErrorCode::ForbiddenSql, |db| db.search(&filter(sql)));
        assert!(err.message.contains("load_extension"), "{sql}: {err}");
    }
    let err = rejects(&db, ErrorCode::ForbiddenSql, |db| {
        db.insert("t", &point(9, vec![1.0, 0.0], Some("INSERT INTO t(name) VALUES (load_extension('/nonexistent.so'))")))
    });
    assert!(err.message.contains("load_extension"), "{err}");
}
