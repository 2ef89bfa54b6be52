//! The engine: one SQLite connection per database owns the vectorlite indexes, and every
//! operation runs under one mutex on it (vectorlite indexes live in the memory of the
//! connection that built them, so a pool would return wrong results).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use rusqlite::{Connection, LoadExtensionGuard, OpenFlags, TransactionBehavior};

use crate::catalog::{self, Collection};
use crate::claim::FileClaim;
use crate::digest;
use crate::error::{Error, ErrorCode, Result};
use crate::index::{self, IndexWriteError, Progress};
use crate::limits;
use crate::names::{self, quote, vectors_table};
use crate::payload;
use crate::search::{self, Plan};
use crate::snapshot;
use crate::types::*;
use crate::vector::{self, MAX_DIMENSION};

/// Search breadth when neither the search nor OpenOptions gives one; see docs/engine.md
/// for the measurement behind it.
pub const DEFAULT_EF: u32 = 192;
pub const DEFAULT_M: u32 = 16;
pub const DEFAULT_EF_CONSTRUCTION: u32 = 200;
/// Initial HNSW capacity when a collection gives none: hnswlib allocates the whole
/// capacity up front, so it is sized to about 64 MiB of vectors, between these bounds.
const DEFAULT_CAPACITY_MIN: u32 = 64;
const DEFAULT_CAPACITY_MAX: u32 = 100_000;

pub struct Engine {
    state: Mutex<Option<State>>,
}

struct Live {
    c: Collection,
    count: u64,
}

struct State {
    conn: Connection,
    /// The database file; None for ":memory:".
    db_path: Option<PathBuf>,
    claim: Option<FileClaim>,
    /// `<db>.vxl/` beside a file database, holding one index file per collection.
    index_dir: Option<PathBuf>,
    collections: HashMap<String, Live>,
    schema_version: i64,
    /// The clean-close marker has been cleared in this session.
    marked_dirty: bool,
    default_ef: u32,
    progress: Progress,
}

fn closed() -> Error {
    Error::new(ErrorCode::Closed, "the database is closed")
}

fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Engine {
    /// Opens (creating if missing) a database file, or ":memory:". Indexes are loaded
    /// from their files when current, else rebuilt (reported as `open`).
    pub fn open(path: &str, options: OpenOptions) -> Result<Engine> {
        if let Some(ef) = options.default_ef {
            limits::check_ef("defaultEf", ef)?;
        }
        let memory = path == ":memory:";
        if path.is_empty() {
            return Err(Error::invalid("database path must not be empty (use ':memory:' for an in-memory database)"));
        }
        let db_path = if memory { None } else { Some(absolute(Path::new(path))?) };
        let claim = db_path.clone().map(FileClaim::take).transpose()?;
        let conn = if memory {
            Connection::open_in_memory()
        } else {
            Connection::open(path)
        }
        .map_err(|e| Error::new(ErrorCode::IoError, format!("cannot open database {path}: {e}")))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        if !memory {
            // WAL with FULL sync: a resolved write survives kill -9 and power loss. NORMAL
            // (not durable): it survives kill -9; a power failure may lose the latest commits.
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
                .map_err(|e| Error::new(ErrorCode::IoError, format!("cannot use database {path}: {e}")))?;
            conn.execute_batch(if options.durable { "PRAGMA synchronous = FULL" } else { "PRAGMA synchronous = NORMAL" })?;
        }
        // SAFETY: the library is vectorlite, named by the caller; loading is switched off
        // again right after, so user SQL cannot load anything.
        unsafe {
            let _guard = LoadExtensionGuard::new(&conn)?;
            conn.load_extension(&options.vectorlite_path, None).map_err(|e| {
                Error::invalid(format!(
                    "cannot load the vectorlite extension from {}: {e}",
                    options.vectorlite_path.display()
                ))
            })?;
        }
        {
            let tx = conn.unchecked_transaction()?;
            catalog::ensure_schema(&tx)?;
            tx.commit()?;
        }
        let index_dir = match &db_path {
            None => None,
            Some(p) => {
                let mut dir = p.clone().into_os_string();
                dir.push(".vxl");
                let dir = PathBuf::from(dir);
                std::fs::create_dir_all(&dir)?;
                Some(dir)
            }
        };
        let mut state = State {
            conn,
            db_path,
            claim,
            index_dir,
            collections: HashMap::new(),
            schema_version: 0,
            marked_dirty: false,
            default_ef: options.default_ef.unwrap_or(DEFAULT_EF),
            progress: options.progress,
        };
        state.load_collections()?;
        state.schema_version = state.schema_version()?;
        Ok(Engine { state: Mutex::new(Some(state)) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
        let mut guard = self.state.lock();
        let state = guard.as_mut().ok_or_else(closed)?;
        state.restore_indexes_after_reparse()?;
        f(state)
    }

    /// Creates a collection: registry row, durable vector table, payload table, index.
    pub fn create_collection(&self, config: &CollectionConfig) -> Result<()> {
        self.with(|s| {
            validate_config(config)?;
            s.create_collection(config)
        })
    }

    /// True if the collection exists (names compare case-insensitively, like SQL).
    pub fn collection_exists(&self, name: &str) -> Result<bool> {
        self.with(|s| Ok(s.collections.contains_key(&key(name))))
    }

    /// Every collection, sorted by name.
    pub fn list_collections(&self) -> Result<Vec<CollectionInfo>> {
        self.with(|s| {
            let mut out: Vec<CollectionInfo> = s.collections.values().map(info).collect();
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        })
    }

    /// Config, point count and current HNSW capacity (`max_elements`, grows).
    pub fn collection_info(&self, name: &str) -> Result<CollectionInfo> {
        self.with(|s| s.live(name).map(info))
    }

    /// Inserts one point; its payload row gets rowid = id.
    pub fn insert(&self, collection: &str, point: &NewPoint) -> Result<()> {
        self.with(|s| s.insert(collection, std::slice::from_ref(point)))
    }

    /// Inserts all points in one transaction, or none of them.
    pub fn insert_batch(&self, collection: &str, points: &[NewPoint]) -> Result<()> {
        self.with(|s| s.insert(collection, points))
    }

    /// Nearest points first; with a payload search query, the nearest among the rows it
    /// matches, min(topK, matches) of them, with its columns as payload.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        self.with(|s| {
            if query.top_k == 0 {
                return Err(Error::invalid("topK must be at least 1"));
            }
            if let Some(ef) = query.ef {
                limits::check_ef("ef", ef)?;
            }
            s.search(query)
        })
    }

    /// The stored vector and the whole payload row of one point.
    pub fn get(&self, collection: &str, id: i64) -> Result<Option<StoredPoint>> {
        self.with(|s| {
            let live = s.live(collection)?;
            let blob: Option<Vec<u8>> = s
                .conn
                .prepare_cached(&format!("SELECT vector FROM {} WHERE id = ?1", quote(&vectors_table(&live.c.name))))?
                .query_row([id], |r| r.get(0))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })?;
            match blob {
                None => Ok(None),
                Some(b) => Ok(Some(StoredPoint {
                    id,
                    vector: vector::from_blob(&b)?,
                    payload: payload::get(&s.conn, &live.c.name, id)?,
                })),
            }
        })
    }

    /// Removes payload row, durable vector and index entry; true if the point existed.
    pub fn delete(&self, collection: &str, id: i64) -> Result<bool> {
        self.with(|s| s.delete(collection, id))
    }

    /// Drops the collection's tables, index and index file.
    pub fn delete_collection(&self, name: &str) -> Result<()> {
        self.with(|s| s.delete_collection(name))
    }

    /// Writes a snapshot file (docs/snapshot-format.md) of a consistent copy.
    pub fn export_snapshot(&self, dest: &Path) -> Result<SnapshotMetadata> {
        self.with(|s| s.export_snapshot(dest))
    }

    /// Verifies a snapshot completely, then replaces the database atomically.
    pub fn import_snapshot(&self, src: &Path) -> Result<ImportSummary> {
        self.with(|s| s.import_snapshot(src))
    }

    /// SHA-256 (hex) over every collection's config, ids, vectors and payload rows.
    pub fn digest(&self) -> Result<String> {
        self.with(|s| {
            let mut cs: Vec<Collection> = s.collections.values().map(|l| l.c.clone()).collect();
            cs.sort_by(|a, b| a.name.cmp(&b.name));
            digest::compute(&s.conn, &cs)
        })
    }

    /// Closes the connection, which makes vectorlite write each index file, then records
    /// those files' checksums and the clean-close marker so the next open can trust them.
    pub fn close(&self) -> Result<()> {
        let Some(state) = self.state.lock().take() else {
            return Ok(());
        };
        state.close()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn info(l: &Live) -> CollectionInfo {
    CollectionInfo {
        name: l.c.name.clone(),
        dimension: l.c.dimension,
        distance: l.c.distance,
        count: l.count,
        max_elements: l.c.capacity as u64,
    }
}

fn validate_config(c: &CollectionConfig) -> Result<()> {
    names::validate_collection_name(&c.name)?;
    if c.dimension == 0 || c.dimension > MAX_DIMENSION {
        return Err(Error::invalid(format!(
            "dimension must be between 1 and {MAX_DIMENSION}, got {}",
            c.dimension
        )));
    }
    let m = c.m.unwrap_or(DEFAULT_M);
    limits::check_m(m)?;
    if let Some(ef) = c.ef_construction {
        limits::check_ef("hnsw.efConstruction", ef)?;
    }
    if let Some(n) = c.max_elements {
        limits::check_max_elements(n, c.dimension, m)?;
    }
    Ok(())
}

/// The canonical path of a database file that may not exist yet.
fn absolute(path: &Path) -> Result<PathBuf> {
    if path.exists() {
        return Ok(std::fs::canonicalize(path)?);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid(format!("database path {} does not name a file", path.display())))?;
    let parent = std::fs::canonicalize(parent).map_err(|e| {
        Error::new(ErrorCode::IoError, format!("cannot open database {}: {e}", path.display()))
    })?;
    Ok(parent.join(name))
}

fn default_capacity(dimension: u32, m: u32) -> u32 {
    let per_vector = limits::index_bytes_per_element(dimension, m);
    ((64u64 << 20) / per_vector).clamp(DEFAULT_CAPACITY_MIN as u64, DEFAULT_CAPACITY_MAX as u64) as u32
}

impl State {
    fn schema_version(&self) -> Result<i64> {
        // Read before every operation: cached, so it costs a step, not a compile.
        Ok(self.conn.prepare_cached("PRAGMA schema_version")?.query_row([], |r| r.get(0))?)
    }

    fn index_file(&self, name: &str) -> Option<PathBuf> {
        self.index_dir.as_ref().map(|d| index::file_for(d, name))
    }

    fn live(&self, name: &str) -> Result<&Live> {
        self.collections
            .get(&key(name))
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("collection '{name}' does not exist")))
    }

    /// Creates every collection's index: loaded from its file when the last session closed
    /// cleanly and the file is byte-for-byte the one it wrote, else rebuilt.
    fn load_collections(&mut self) -> Result<()> {
        let clean = catalog::clean_close(&self.conn)?;
        self.collections.clear();
        for c in catalog::load_all(&self.conn)? {
            let file = self.index_file(&c.name);
            let current = match (&file, &c.index_file) {
                (Some(f), Some(recorded)) if clean && f.exists() => &snapshot::hash_file(f)? == recorded,
                _ => false,
            };
            if current {
                index::create(&self.conn, &c, file.as_deref())?;
            } else {
                index::rebuild(&self.conn, &c, file.as_deref(), RebuildReason::Open, &self.progress)?;
            }
            let count = catalog::count(&self.conn, &c.name)?;
            self.collections.insert(key(&c.name), Live { c, count });
        }
        Ok(())
    }

    /// SQLite reparses the schema after ALTER TABLE, VACUUM or DDL from another
    /// connection, and vectorlite then reconnects every index: one without a file comes
    /// back empty, one with a file comes back from what vectorlite wrote on disconnect.
    /// Neither is checked against the durable vectors, so after a schema change the engine
    /// did not make itself, every index is rebuilt from the durable tables.
    fn restore_indexes_after_reparse(&mut self) -> Result<()> {
        let version = self.schema_version()?;
        if version == self.schema_version {
            return Ok(());
        }
        for live in self.collections.values() {
            let file = self.index_file(&live.c.name);
            index::rebuild(&self.conn, &live.c, file.as_deref(), RebuildReason::Reparse, &self.progress)?;
        }
        self.schema_version = self.schema_version()?;
        Ok(())
    }

    /// SQLite resets the schema when a transaction that ran DDL rolls back, and vectorlite
    /// reconnects every index (empty without a file, reloaded with one). So the indexes are
    /// rebuilt from the durable vectors before `error` is returned.
    fn after_failed_ddl<T>(&mut self, error: Error) -> Result<T> {
        for live in self.collections.values() {
            let file = self.index_file(&live.c.name);
            index::rebuild(&self.conn, &live.c, file.as_deref(), RebuildReason::Reparse, &self.progress)?;
        }
        self.note_own_schema_change()?;
        Err(error)
    }

    /// Records a schema change the engine made itself (CREATE/DROP TABLE of a collection),
    /// which reconnects no index and must not trigger a rebuild.
    fn note_own_schema_change(&mut self) -> Result<()> {
        self.schema_version = self.schema_version()?;
        Ok(())
    }

    /// Starts a write transaction; the first one of a session also clears the clean-close
    /// marker in it, so a crash after it commits makes the next open rebuild the indexes.
    fn begin_write(&mut self) -> Result<rusqlite::Transaction<'_>> {
        let marked = self.marked_dirty;
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        if !marked {
            catalog::set_clean_close(&tx, false)?;
        }
        Ok(tx)
    }

    fn create_collection(&mut self, config: &CollectionConfig) -> Result<()> {
        if self.collections.contains_key(&key(&config.name)) {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("collection '{}' already exists", config.name),
            ));
        }
        let table_taken: bool = self.conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE name = ?1 COLLATE NOCASE",
            [&config.name],
            |r| r.get(0),
        )?;
        if table_taken {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("a table named '{}' already exists in the database", config.name),
            ));
        }
        let m = config.m.unwrap_or(DEFAULT_M);
        let c = Collection {
            name: config.name.clone(),
            dimension: config.dimension,
            distance: config.distance,
            m,
            ef_construction: config.ef_construction.unwrap_or(DEFAULT_EF_CONSTRUCTION),
            max_elements: config.max_elements.unwrap_or_else(|| default_capacity(config.dimension, m)),
            capacity: 0,
            payload_schema: config.payload_schema.clone(),
            index_file: None,
        };
        let c = Collection { capacity: c.max_elements, ..c };
        // A bad payload schema must fail before any DDL runs here, because rolling DDL
        // back resets the schema, which reconnects every index (see `after_failed_ddl`).
        // So it is compiled here first (names resolve against the real tables), then run
        // on a throwaway database where the table's shape is checked.
        payload::inspect_schema(&self.conn, &c)?;
        let scratch = Connection::open_in_memory()?;
        payload::create_table(&scratch, &c)?;
        drop(scratch);
        let created = self.begin_write().and_then(|tx| {
            catalog::insert(&tx, &c)?;
            payload::create_table(&tx, &c)?;
            Ok(tx.commit()?)
        });
        if let Err(e) = created {
            return self.after_failed_ddl(e);
        }
        self.marked_dirty = true;
        self.note_own_schema_change()?;
        let file = self.index_file(&c.name);
        // A file left by an earlier collection of the same name must not be loaded.
        let built = index::rebuild(&self.conn, &c, file.as_deref(), RebuildReason::Open, &None);
        if let Err(e) = built {
            let tx = self.begin_write()?;
            catalog::remove(&tx, &c.name)?;
            tx.commit()?;
            self.note_own_schema_change()?;
            return Err(e);
        }
        self.collections.insert(key(&c.name), Live { c, count: 0 });
        Ok(())
    }

    fn insert(&mut self, collection: &str, points: &[NewPoint]) -> Result<()> {
        let c = self.live(collection)?.c.clone();
        let mut ids = std::collections::HashSet::with_capacity(points.len());
        for p in points {
            if !(index::MIN_ID..=index::MAX_ID).contains(&p.id) {
                return Err(Error::invalid(format!(
                    "id {} is out of range; ids must be between {} and {}",
                    p.id,
                    index::MIN_ID,
                    index::MAX_ID
                )));
            }
            vector::validate(&p.vector, c.dimension)?;
            if !ids.insert(p.id) {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    format!("id {} appears more than once in the batch", p.id),
                ));
            }
        }
        if points.is_empty() {
            return Ok(());
        }
        let blobs: Vec<Vec<u8>> = points.iter().map(|p| vector::to_blob(&p.vector)).collect();
        let tx = self.begin_write()?;
        let rows_before = payload::count(&tx, &c.name)?;
        {
            let mut put = tx.prepare_cached(&format!(
                "INSERT INTO {}(id, vector) VALUES (?1, ?2)",
                quote(&vectors_table(&c.name))
            ))?;
            let mut exists = tx.prepare_cached(&format!(
                "SELECT count(*) FROM {} WHERE id = ?1",
                quote(&vectors_table(&c.name))
            ))?;
            for (p, blob) in points.iter().zip(&blobs) {
                if exists.query_row([p.id], |r| r.get::<_, i64>(0))? > 0 {
                    return Err(Error::new(
                        ErrorCode::AlreadyExists,
                        format!("id {} already exists in collection '{}'", p.id, c.name),
                    ));
                }
                put.execute(rusqlite::params![p.id, blob])?;
                payload::insert(&tx, &c.name, p.id, p.payload_insert_query.as_deref())?;
            }
        }
        // INSERT OR REPLACE can delete another point's payload row while inserting its
        // own; SQLite reports no hook for that, so the row count is the proof.
        if payload::count(&tx, &c.name)? != rows_before + points.len() as u64 {
            return Err(Error::new(
                ErrorCode::ForbiddenSql,
                "a payload insert replaced or removed existing rows (e.g. INSERT OR REPLACE); it may only add its own row",
            ));
        }
        tx.commit()?;
        self.marked_dirty = true;
        let live = self.collections.get_mut(&key(&c.name)).expect("collection checked above");
        live.count += points.len() as u64;
        let count = live.count;
        if count > c.capacity as u64 {
            return self.grow(&c.name, count);
        }
        for (p, blob) in points.iter().zip(&blobs) {
            match index::insert(&self.conn, &c, p.id, blob) {
                Ok(()) => {}
                Err(IndexWriteError::Full) => return self.grow(&c.name, count),
                Err(IndexWriteError::Other) => {
                    let file = self.index_file(&c.name);
                    return index::rebuild(&self.conn, &c, file.as_deref(), RebuildReason::Reparse, &self.progress);
                }
            }
        }
        Ok(())
    }

    /// Rebuilds an index with room for at least `needed` vectors (doubling, so repeated
    /// growth costs amortized O(1) rebuilds per vector).
    fn grow(&mut self, name: &str, needed: u64) -> Result<()> {
        let live = self.collections.get_mut(&key(name)).expect("collection exists");
        let capacity = (live.c.capacity as u64 * 2).max(needed).min(u32::MAX as u64) as u32;
        live.c.capacity = capacity;
        let c = live.c.clone();
        catalog::set_capacity(&self.conn, &c.name, capacity)?;
        let file = self.index_file(&c.name);
        index::rebuild(&self.conn, &c, file.as_deref(), RebuildReason::Grow, &self.progress)
    }

    fn search(&mut self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        let live = self.live(&q.collection)?;
        vector::validate(&q.vector, live.c.dimension)?;
        let plan = Plan {
            collection: &live.c,
            count: live.count,
            vector: &q.vector,
            top_k: q.top_k,
            ef: q.ef.unwrap_or(self.default_ef),
        };
        match q.payload_search_query.as_deref() {
            None => search::unfiltered(&self.conn, &plan),
            Some(sql) => search::filtered(&self.conn, &plan, sql),
        }
    }

    fn delete(&mut self, collection: &str, id: i64) -> Result<bool> {
        let c = self.live(collection)?.c.clone();
        let tx = self.begin_write()?;
        let removed = tx.execute(&format!("DELETE FROM {} WHERE id = ?1", quote(&vectors_table(&c.name))), [id])?;
        if removed == 0 {
            return Ok(false);
        }
        tx.execute(&format!("DELETE FROM main.{} WHERE rowid = ?1", quote(&c.name)), [id])?;
        tx.commit()?;
        self.marked_dirty = true;
        if let Some(live) = self.collections.get_mut(&key(&c.name)) {
            live.count -= 1;
        }
        if index::remove(&self.conn, &c, id).is_err() {
            // The row is deleted durably; an index that cannot forget it is rebuilt.
            let file = self.index_file(&c.name);
            index::rebuild(&self.conn, &c, file.as_deref(), RebuildReason::Reparse, &self.progress)?;
        }
        Ok(true)
    }

    fn delete_collection(&mut self, name: &str) -> Result<()> {
        let c = self.live(name)?.c.clone();
        let removed = self.begin_write().and_then(|tx| {
            catalog::remove(&tx, &c.name)?;
            Ok(tx.commit()?)
        });
        if let Err(e) = removed {
            return self.after_failed_ddl(e);
        }
        self.marked_dirty = true;
        self.note_own_schema_change()?;
        self.collections.remove(&key(&c.name));
        index::drop(&self.conn, &c)?;
        if let Some(f) = self.index_file(&c.name) {
            let _ = std::fs::remove_file(f);
        }
        Ok(())
    }

    fn export_snapshot(&mut self, dest: &Path) -> Result<SnapshotMetadata> {
        if let (Some(db), Ok(target)) = (&self.db_path, std::fs::canonicalize(dest)) {
            if &target == db {
                return Err(Error::invalid("snapshot destination must not be the database file itself"));
            }
        }
        let copy = snapshot::sibling(dest, "db");
        let result = (|| {
            self.conn
                .backup(rusqlite::DatabaseName::Main, &copy, None)
                .map_err(|e| Error::new(ErrorCode::IoError, format!("cannot copy the database to {}: {e}", copy.display())))?;
            snapshot::write(dest, &copy, now_millis())
        })();
        let _ = std::fs::remove_file(&copy);
        result
    }

    fn import_snapshot(&mut self, src: &Path) -> Result<ImportSummary> {
        let verified = snapshot::verify(src)?;
        let staged = match &self.index_dir {
            Some(dir) => snapshot::sibling(&dir.with_extension("import"), "db"),
            None => snapshot::sibling(&std::env::temp_dir().join("vectorxlite-import"), "db"),
        };
        let result = (|| {
            verified.extract_db(src, &staged)?;
            let candidate = snapshot::open_staged_db(&staged)?;
            // Indexes are caches of the old data; drop them before the data changes
            // under them, and restore them if the replacement fails.
            for live in self.collections.values() {
                index::drop(&self.conn, &live.c)?;
            }
            let replaced = rusqlite::backup::Backup::new(&candidate, &mut self.conn)
                .and_then(|b| b.step(-1).map(|_| ()));
            drop(candidate);
            if let Err(e) = replaced {
                self.load_collections()?;
                return Err(Error::new(ErrorCode::IoError, format!("cannot replace the database: {e}")));
            }
            if let Some(dir) = &self.index_dir {
                for entry in std::fs::read_dir(dir)? {
                    let _ = std::fs::remove_file(entry?.path());
                }
            }
            self.marked_dirty = false;
            let tx = self.begin_write()?;
            catalog::ensure_schema(&tx)?;
            tx.commit()?;
            self.marked_dirty = true;
            self.load_collections()?;
            self.note_own_schema_change()?;
            Ok(ImportSummary {
                snapshot_id: verified.meta.snapshot_id.clone(),
                bytes_restored: verified.meta.total_size,
                files_restored: verified.meta.files.len() as u32,
            })
        })();
        let _ = std::fs::remove_file(&staged);
        result
    }

    fn close(self) -> Result<()> {
        let State { conn, db_path, claim, index_dir, collections, .. } = self;
        let result = Self::persist_indexes(conn, db_path, index_dir, collections);
        drop(claim);
        result
    }

    fn persist_indexes(
        conn: Connection,
        db_path: Option<PathBuf>,
        index_dir: Option<PathBuf>,
        collections: HashMap<String, Live>,
    ) -> Result<()> {
        conn.close()
            .map_err(|(_, e)| Error::new(ErrorCode::IoError, format!("closing the database failed: {e}")))?;
        let (Some(db_path), Some(dir)) = (db_path, index_dir) else { return Ok(()) };
        // The index files now hold exactly the committed vectors; record that with a
        // plain connection (no extension needed: indexes live in TEMP, not in the file).
        let conn = Connection::open_with_flags(&db_path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| Error::new(ErrorCode::IoError, format!("cannot record index state: {e}")))?;
        let tx = conn.unchecked_transaction()?;
        for live in collections.values() {
            let f = index::file_for(&dir, &live.c.name);
            let recorded = if f.exists() { Some(snapshot::hash_file(&f)?) } else { None };
            catalog::record_index_file(&tx, &live.c.name, recorded.as_ref().map(|(n, s)| (*n, s.as_str())))?;
        }
        catalog::set_clean_close(&tx, true)?;
        tx.commit()?;
        conn.close().map_err(|(_, e)| Error::new(ErrorCode::IoError, format!("closing the database failed: {e}")))?;
        Ok(())
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    fn vectorlite() -> PathBuf {
        std::env::var("VECTORLITE_PATH").map(PathBuf::from).unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../node_modules/@1yefuwang1/vectorlite-linux-x64/src/vectorlite.so")
        })
    }

    /// Index without a file (":memory:"): a reparse on the engine's own connection empties
    /// it, which only code inside the crate can cause; the next call must rebuild it.
    #[test]
    fn emptied_index_is_rebuilt_before_answering() {
        let events: Arc<Mutex<Vec<IndexProgress>>> = Arc::default();
        let sink = Arc::clone(&events);
        let progress: Progress = Some(Arc::new(move |p| sink.lock().unwrap().push(p)));
        let db = Engine::open(":memory:", OpenOptions { vectorlite_path: vectorlite(), default_ef: None, progress, durable: true }).unwrap();
        let config = CollectionConfig {
            name: "c".into(),
            dimension: 2,
            distance: Distance::L2,
            payload_schema: None,
            max_elements: None,
            m: None,
            ef_construction: None,
        };
        db.create_collection(&config).unwrap();
        let points: Vec<NewPoint> = (0..50)
            .map(|i| NewPoint { id: i, vector: vec![i as f32, 1.0], payload_insert_query: None })
            .collect();
        db.insert_batch("c", &points).unwrap();
        for op in ["VACUUM", "CREATE TABLE z (rowid INTEGER PRIMARY KEY); ALTER TABLE z RENAME TO y; DROP TABLE y"] {
            events.lock().unwrap().clear();
            db.state.lock().as_ref().unwrap().conn.execute_batch(op).unwrap();
            for p in &points {
                let q = SearchQuery { collection: "c".into(), vector: p.vector.clone(), top_k: 1, payload_search_query: None, ef: None };
                assert_eq!(db.search(&q).unwrap()[0].id, p.id, "after {op}");
            }
            let reasons: Vec<RebuildReason> = events.lock().unwrap().iter().map(|e| e.reason).collect();
            assert!(reasons.contains(&RebuildReason::Reparse), "after {op}: {reasons:?}");
        }
    }

    /// durable: false (a cluster node's state machine, rebuilt at every open) commits
    /// without fsync (synchronous=NORMAL, 1); the default is FULL (2).
    #[test]
    fn durable_false_skips_commit_fsyncs() {
        let dir = std::env::temp_dir().join(format!("vxl-durable-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (durable, expected) in [(true, 2), (false, 1)] {
            let path = dir.join(format!("{durable}.db"));
            let db = Engine::open(path.to_str().unwrap(), OpenOptions { vectorlite_path: vectorlite(), default_ef: None, progress: None, durable }).unwrap();
            let guard = db.state.lock();
            let mode: i64 = guard.as_ref().unwrap().conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
            assert_eq!(mode, expected, "durable: {durable}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A full database (here: `max_page_count` on the engine's connection, which makes
    /// SQLite answer SQLITE_FULL) is RESOURCE_EXHAUSTED, not the user's SQL_ERROR, whether
    /// the user's payload INSERT or the engine's own write hits it; nothing is stored.
    #[test]
    fn a_full_database_is_resource_exhausted_not_sql_error() {
        let dir = std::env::temp_dir().join(format!("vxl-full-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("full.db");
        let db = Engine::open(path.to_str().unwrap(), OpenOptions { vectorlite_path: vectorlite(), default_ef: None, progress: None, durable: true }).unwrap();
        let config = CollectionConfig {
            name: "t".into(),
            dimension: 64,
            distance: Distance::L2,
            payload_schema: Some("CREATE TABLE t (rowid INTEGER PRIMARY KEY, body BLOB)".into()),
            max_elements: None,
            m: None,
            ef_construction: None,
        };
        db.create_collection(&config).unwrap();
        db.insert("t", &NewPoint { id: 1, vector: vec![1.0; 64], payload_insert_query: None }).unwrap();
        let before = db.digest().unwrap();
        let limit = |extra: i64| {
            let guard = db.state.lock();
            let conn = &guard.as_ref().unwrap().conn;
            let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
            conn.query_row(&format!("PRAGMA max_page_count = {}", pages + extra), [], |_| Ok(())).unwrap();
        };
        limit(2);
        let big = NewPoint { id: 2, vector: vec![2.0; 64], payload_insert_query: Some("INSERT INTO t(body) VALUES (zeroblob(1000000))".into()) };
        let err = db.insert("t", &big).unwrap_err();
        assert_eq!(err.code, ErrorCode::ResourceExhausted, "{err}");
        assert!(err.message.contains("full"), "{err}");
        let many: Vec<NewPoint> = (10..2_000).map(|id| NewPoint { id, vector: vec![id as f32; 64], payload_insert_query: None }).collect();
        let err = db.insert_batch("t", &many).unwrap_err();
        assert_eq!(err.code, ErrorCode::ResourceExhausted, "{err}");
        assert_eq!(db.digest().unwrap(), before);
        limit(100_000);
        db.insert("t", &big).unwrap();
        db.insert_batch("t", &many).unwrap();
        assert_eq!(db.collection_info("t").unwrap().count, 2 + many.len() as u64);
        db.close().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
