//! Every bad input gets its stable error code and leaves the database exactly as it was.
use super::common::*;
use vectorxlite_core::*;

fn shop() -> Engine {
    let db = memory();
    db.create_collection(&with_schema("t", 2, "CREATE TABLE t (rowid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")).unwrap();
    db.create_collection(&with_schema("u", 2, "CREATE TABLE u (rowid INTEGER PRIMARY KEY, label TEXT)")).unwrap();
    db.insert("t", &point(1, vec![1.0, 0.0], Some("INSERT INTO t(name) VALUES ('one')"))).unwrap();
    db.insert("u", &point(1, vec![0.0, 1.0], Some("INSERT INTO u(label) VALUES ('x')"))).unwrap();
    db
}

fn insert_sql(sql: &str) -> NewPoint {
    point(2, vec![0.5, 0.5], Some(sql))
}

fn search_sql(sql: &str) -> SearchQuery {
    SearchQuery { payload_search_query: Some(sql.to_string()), ..query("t", vec![1.0, 0.0], 5) }
}

#[test]
fn invalid_collection_configs() {
    let db = shop();
    for name in ["", "1abc", "a-b", "a b", "x;DROP TABLE t", "vxl_mine", "sqlite_x"] {
        rejects(&db, ErrorCode::InvalidArgument, |db| db.create_collection(&config(name, 2, Distance::L2)));
    }
    for dim in [0, 65_537] {
        rejects(&db, ErrorCode::InvalidArgument, |db| db.create_collection(&config("c", dim, Distance::L2)));
    }
    rejects(&db, ErrorCode::InvalidArgument, |db| {
        db.create_collection(&CollectionConfig { max_elements: Some(0), ..config("c", 2, Distance::L2) })
    });
    rejects(&db, ErrorCode::AlreadyExists, |db| db.create_collection(&config("t", 2, Distance::L2)));
    rejects(&db, ErrorCode::AlreadyExists, |db| db.create_collection(&config("T", 2, Distance::L2)));
    assert_eq!(Distance::parse("hamming").unwrap_err().code, ErrorCode::InvalidArgument);
}

#[test]
fn invalid_payload_schemas() {
    let db = shop();
    let cases = [
        ("CREATE TABLE c (rowid INTEGER PRIMARY KEY", ErrorCode::SqlError),
        ("CREATE TABLE c (rowid INTEGER PRIMARY KEY); DROP TABLE u", ErrorCode::ForbiddenSql),
        ("CREATE TABLE other (rowid INTEGER PRIMARY KEY)", ErrorCode::ForbiddenSql),
        ("CREATE TEMP TABLE c (rowid INTEGER PRIMARY KEY)", ErrorCode::ForbiddenSql),
        ("CREATE VIEW c AS SELECT 1", ErrorCode::ForbiddenSql),
        ("DROP TABLE u", ErrorCode::ForbiddenSql),
        ("CREATE TABLE c (name TEXT)", ErrorCode::InvalidArgument),
        ("CREATE TABLE c (k INTEGER PRIMARY KEY DESC, name TEXT)", ErrorCode::InvalidArgument),
        ("CREATE TABLE c (k INTEGER PRIMARY KEY, name TEXT) WITHOUT ROWID", ErrorCode::InvalidArgument),
        ("", ErrorCode::InvalidArgument),
    ];
    for (schema, code) in cases {
        rejects(&db, code, |db| db.create_collection(&with_schema("c", 2, schema)));
        assert!(!db.collection_exists("c").unwrap());
    }
    db.create_collection(&with_schema("c", 2, "CREATE TABLE c (id INTEGER PRIMARY KEY, name TEXT)")).unwrap();
}

#[test]
fn invalid_vectors_ids_and_collections() {
    let db = shop();
    rejects(&db, ErrorCode::DimensionMismatch, |db| db.insert("t", &point(2, vec![1.0, 2.0, 3.0], None)));
    rejects(&db, ErrorCode::InvalidArgument, |db| db.insert("t", &point(2, vec![], None)));
    rejects(&db, ErrorCode::InvalidArgument, |db| db.insert("t", &point(2, vec![f32::NAN, 1.0], None)));
    rejects(&db, ErrorCode::InvalidArgument, |db| db.insert("t", &point(2, vec![f32::NEG_INFINITY, 1.0], None)));
    rejects(&db, ErrorCode::AlreadyExists, |db| db.insert("t", &insert_sql("INSERT INTO t(name) VALUES ('dup id')").clone_with_id(1)));
    rejects(&db, ErrorCode::NotFound, |db| db.insert("nope", &point(2, vec![1.0, 0.0], None)));
    rejects(&db, ErrorCode::NotFound, |db| db.search(&query("nope", vec![1.0, 0.0], 1)));
    rejects(&db, ErrorCode::NotFound, |db| db.get("nope", 1));
    rejects(&db, ErrorCode::NotFound, |db| db.delete("nope", 1));
    rejects(&db, ErrorCode::NotFound, |db| db.collection_info("nope"));
    rejects(&db, ErrorCode::NotFound, |db| db.delete_collection("nope"));
    rejects(&db, ErrorCode::InvalidArgument, |db| db.search(&query("t", vec![1.0, 0.0], 0)));
    rejects(&db, ErrorCode::InvalidArgument, |db| db.search(&SearchQuery { ef: Some(0), ..query("t", vec![1.0, 0.0], 1) }));
    rejects(&db, ErrorCode::DimensionMismatch, |db| db.search(&query("t", vec![1.0], 1)));
    rejects(&db, ErrorCode::InvalidArgument, |db| db.search(&query("t", vec![f32::INFINITY, 0.0], 1)));
}

trait WithId {
    fn clone_with_id(&self, id: i64) -> NewPoint;
}

impl WithId for NewPoint {
    fn clone_with_id(&self, id: i64) -> NewPoint {
        NewPoint { id, ..self.clone() }
    }
}

#[test]
fn payload_insert_queries_may_only_add_their_own_row() {
    let db = shop();
    let cases = [
        ("INSERT INTO t(name) VALUES ('a'", ErrorCode::SqlError),
        ("INSERT INTO t(nope) VALUES ('a')", ErrorCode::SqlError),
        ("INSERT INTO t(name) VALUES (NULL)", ErrorCode::SqlError),
        ("INSERT INTO t(name) VALUES ('one')", ErrorCode::SqlError),
        ("INSERT INTO t(name) VALUES ('a'); DROP TABLE u", ErrorCode::ForbiddenSql),
        ("INSERT INTO t(name) VALUES ('a'); INSERT INTO t(name) VALUES ('b')", ErrorCode::ForbiddenSql),
        ("INSERT INTO u(label) VALUES ('a')", ErrorCode::ForbiddenSql),
        ("UPDATE t SET name = 'x'", ErrorCode::ForbiddenSql),
        ("DELETE FROM u", ErrorCode::ForbiddenSql),
        ("SELECT * FROM t", ErrorCode::ForbiddenSql),
        ("DROP TABLE u", ErrorCode::ForbiddenSql),
        ("INSERT INTO t(name) SELECT name FROM vxl_collections", ErrorCode::ForbiddenSql),
        ("INSERT OR REPLACE INTO t(name) VALUES ('one')", ErrorCode::ForbiddenSql),
        ("INSERT INTO t(name) VALUES ('a') ON CONFLICT(name) DO UPDATE SET name = 'b'", ErrorCode::ForbiddenSql),
        ("INSERT INTO t(name) VALUES ('a'), ('b')", ErrorCode::InvalidArgument),
        ("INSERT INTO t(name) SELECT label FROM u WHERE 0", ErrorCode::InvalidArgument),
        ("PRAGMA writable_schema = 1", ErrorCode::ForbiddenSql),
        ("ATTACH ':memory:' AS x", ErrorCode::ForbiddenSql),
    ];
    for (sql, code) in cases {
        rejects(&db, code, |db| db.insert("t", &insert_sql(sql)));
    }
    // Reading other user tables while inserting is fine.
    db.insert("t", &insert_sql("INSERT INTO t(name) SELECT label FROM u")).unwrap();
    assert_eq!(db.get("t", 2).unwrap().unwrap().payload[1].1, Value::Text("x".into()));
}

#[test]
fn payload_search_queries_may_only_read() {
    let db = shop();
    let cases = [
        ("SELECT * FROM t WHERE", ErrorCode::SqlError),
        ("SELECT nope FROM t", ErrorCode::SqlError),
        ("SELECT * FROM t; DROP TABLE u", ErrorCode::ForbiddenSql),
        ("SELECT * FROM t; SELECT * FROM u", ErrorCode::ForbiddenSql),
        ("DELETE FROM t", ErrorCode::ForbiddenSql),
        ("INSERT INTO t(name) VALUES ('x')", ErrorCode::ForbiddenSql),
        ("UPDATE t SET name = 'x'", ErrorCode::ForbiddenSql),
        ("DROP TABLE u", ErrorCode::ForbiddenSql),
        ("SELECT * FROM vxl_collections", ErrorCode::ForbiddenSql),
        ("SELECT * FROM t JOIN temp.vxl_idx_t i ON i.rowid = t.rowid", ErrorCode::ForbiddenSql),
        ("SELECT * FROM u", ErrorCode::InvalidArgument),
        ("SELECT * FROM t UNION SELECT * FROM u", ErrorCode::InvalidArgument),
        ("", ErrorCode::InvalidArgument),
        ("-- nothing", ErrorCode::InvalidArgument),
    ];
    for (sql, code) in cases {
        rejects(&db, code, |db| db.search(&search_sql(sql)));
    }
}

#[test]
fn batch_is_all_or_nothing() {
    let db = shop();
    let good = |id: i64| point(id, vec![0.1 * id as f32, 1.0], Some(&format!("INSERT INTO t(name) VALUES ('n{id}')")));
    let bad_batches = [
        (vec![good(10), good(11), point(12, vec![1.0], None)], ErrorCode::DimensionMismatch),
        (vec![good(10), good(11), point(12, vec![1.0, 0.0], Some("INSERT INTO t(name) VALUES ("))], ErrorCode::SqlError),
        (vec![good(10), good(11), point(12, vec![1.0, 0.0], Some("INSERT INTO t(name) VALUES ('n10')"))], ErrorCode::SqlError),
        (vec![good(10), good(11), good(1)], ErrorCode::AlreadyExists),
        (vec![good(10), good(11), good(10)], ErrorCode::AlreadyExists),
        (vec![good(10), point(11, vec![1.0, 0.0], Some("INSERT INTO u(label) VALUES ('x')"))], ErrorCode::ForbiddenSql),
    ];
    for (batch, code) in bad_batches {
        rejects(&db, code, |db| db.insert_batch("t", &batch));
        assert!(db.get("t", 10).unwrap().is_none());
    }
    db.insert_batch("t", &[good(10), good(11)]).unwrap();
    assert_eq!(db.collection_info("t").unwrap().count, 3);
    assert_eq!(db.search(&query("t", vec![1.1, 1.0], 1)).unwrap()[0].id, 11);
}

/// A UNIQUE column beside the key used to hide the rowid alias from the check (SQLite
/// answered its probe from the covering autoindex); the key decides, not the other columns.
#[test]
fn rowid_alias_is_found_beside_unique_columns() {
    let db = memory();
    let accepted = [
        "CREATE TABLE a (rowid INTEGER PRIMARY KEY, label TEXT, tag TEXT UNIQUE)",
        "CREATE TABLE a (tag TEXT UNIQUE, k integer PRIMARY KEY, label TEXT, UNIQUE(label, tag))",
        "CREATE TABLE a (k INTEGER, tag TEXT UNIQUE, PRIMARY KEY(k DESC))",
    ];
    for schema in accepted {
        db.create_collection(&with_schema("a", 2, schema)).unwrap_or_else(|e| panic!("{schema}: {e}"));
        db.insert("a", &point(7, vec![1.0, 0.0], Some("INSERT INTO a(tag) VALUES ('x')"))).unwrap();
        let hit = &db.search(&SearchQuery { payload_search_query: Some("SELECT tag FROM a".into()), ..query("a", vec![1.0, 0.0], 1) }).unwrap()[0];
        assert_eq!((hit.id, &hit.payload[0].1), (7, &Value::Text("x".into())), "{schema}");
        db.delete_collection("a").unwrap();
    }
    let refused = [
        "CREATE TABLE a (k INTEGER PRIMARY KEY DESC, tag TEXT UNIQUE)",
        "CREATE TABLE a (k INT PRIMARY KEY, tag TEXT UNIQUE)",
        "CREATE TABLE a (k TEXT PRIMARY KEY, tag TEXT UNIQUE)",
        "CREATE TABLE a (k INTEGER, j INTEGER, tag TEXT UNIQUE, PRIMARY KEY(k, j))",
        "CREATE TABLE a (label TEXT, tag TEXT UNIQUE)",
        "CREATE TABLE a (k INTEGER PRIMARY KEY, tag TEXT UNIQUE) WITHOUT ROWID",
    ];
    for schema in refused {
        assert_eq!(code(db.create_collection(&with_schema("a", 2, schema))), ErrorCode::InvalidArgument, "{schema}");
        assert!(!db.collection_exists("a").unwrap());
    }
}

/// Another connection holding the write lock makes the engine's write wait out its busy
/// timeout and fail: IO_ERROR (try again), not INTERNAL or SQL_ERROR, and nothing changes.
#[test]
fn a_database_locked_by_another_connection_is_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let db = Engine::open(&path, options()).unwrap();
    db.create_collection(&with_schema("t", 2, "CREATE TABLE t (rowid INTEGER PRIMARY KEY, name TEXT)")).unwrap();
    let before = db.digest().unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = db.insert("t", &point(1, vec![1.0, 0.0], Some("INSERT INTO t(name) VALUES ('x')"))).unwrap_err();
    assert_eq!(err.code, ErrorCode::IoError, "{err}");
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(db.digest().unwrap(), before);
    db.insert("t", &point(1, vec![1.0, 0.0], Some("INSERT INTO t(name) VALUES ('x')"))).unwrap();
}
