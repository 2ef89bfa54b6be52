//! The addon's exports: one function per VectorXLite method (src/embedded/database.ts).
//! Each reads its arguments on the JS thread and returns a Promise. `open` runs on the libuv
//! thread pool and starts the database's worker thread (napi::worker), which runs every later
//! call in call order. The database handle is a JS object owning the `Worker`, whose thread
//! alone owns the engine; when the handle is collected, the worker finishes what was called,
//! closes the engine and ends.

use std::path::PathBuf;
use std::sync::Arc;

use vectorxlite_core::{Engine, IndexProgress, OpenOptions};

use crate::convert;
use crate::napi::async_work::spawn;
use crate::napi::export::{define, ExportFn};
use crate::napi::tsfn::ThreadsafeFunction;
use crate::napi::worker::Worker;
use crate::napi::wrap::{unwrap, wrap};
use crate::napi::{Env, JsError, JsResult, JsValue, TypeTag};

/// Marks objects made by `open`; random, fixed forever for this addon.
const DATABASE_TAG: TypeTag = TypeTag { lower: 0x5f3a_9c1e_7b42_d806, upper: 0xa1c4_0e97_3d58_b26f };

/// What a database handle owns: the worker thread that runs its calls in order and owns
/// the engine, so a collected handle's engine closes on the worker, off the JS thread.
struct Database {
    worker: Worker<Arc<Engine>>,
}

pub const EXPORTS: &[(&str, ExportFn)] = &[
    ("open", open),
    ("createCollection", create_collection),
    ("collectionExists", collection_exists),
    ("listCollections", list_collections),
    ("collectionInfo", collection_info),
    ("insert", insert),
    ("insertBatch", insert_batch),
    ("search", search),
    ("searchPacked", search_packed),
    ("get", get),
    ("delete", delete),
    ("deleteCollection", delete_collection),
    ("exportSnapshot", export_snapshot),
    ("importSnapshot", import_snapshot),
    ("digest", digest),
    ("close", close),
];

pub fn register(env: Env, exports: JsValue) -> JsResult<()> {
    EXPORTS.iter().try_for_each(|(name, body)| define(env, exports, name, *body))
}

pub(crate) fn arg(args: &[JsValue], index: usize, what: &str) -> JsResult<JsValue> {
    args.get(index).copied().ok_or_else(|| JsError::invalid(format!("{what} is required")))
}

/// The worker of the database the call is for: its handle is the first argument.
fn database<'a>(env: Env, args: &[JsValue]) -> JsResult<&'a Worker<Arc<Engine>>> {
    database_at(env, args, 0)
}

/// The worker of the database handle at `args[index]`: where its calls run, in call order.
pub(crate) fn database_at<'a>(env: Env, args: &[JsValue], index: usize) -> JsResult<&'a Worker<Arc<Engine>>> {
    let handle = arg(args, index, "database handle")?;
    Ok(&unwrap::<Database>(env, handle, &DATABASE_TAG, "database handle")?.worker)
}

fn string_arg(env: Env, args: &[JsValue], index: usize, what: &str) -> JsResult<String> {
    env.get_string(arg(args, index, what)?, what)
}

fn undefined<T>(env: Env, _: T) -> JsResult<JsValue> {
    env.undefined()
}

/// open(path, { vectorlitePath, defaultEf?, onProgress?, durable? }) → Promise<handle>
fn open(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let path = string_arg(env, args, 0, "path")?;
    let options = arg(args, 1, "options")?;
    let vectorlite_path = PathBuf::from(convert::required_string(env, options, "vectorlitePath")?);
    let default_ef = match env.get_optional_property(options, "defaultEf")? {
        Some(v) => Some(env.get_u32(v, "defaultEf")?),
        None => None,
    };
    let progress = match env.get_optional_property(options, "onProgress")? {
        Some(callback) => {
            let callback = env.expect_function(callback, "onProgress")?;
            let tsfn = ThreadsafeFunction::new(env, callback, "vectorxlite:onProgress", convert::index_progress)?;
            let report: Arc<dyn Fn(IndexProgress) + Send + Sync> = Arc::new(move |p| tsfn.call(p));
            Some(report)
        }
        None => None,
    };
    // durable: false skips fsyncs, for a cluster node's state machine (rebuilt at every open).
    let durable = match env.get_optional_property(options, "durable")? {
        Some(v) => env.get_bool(v, "durable")?,
        None => true,
    };
    let options = OpenOptions { vectorlite_path, default_ef, progress, durable };
    spawn(
        env,
        "vectorxlite:open",
        move || Ok(Engine::open(&path, options)?),
        |env, engine| {
            let worker = Worker::start(env, "vectorxlite-db", Arc::new(engine))?;
            wrap(env, Database { worker }, &DATABASE_TAG)
        },
    )
}

fn create_collection(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let config = convert::collection_config(env, arg(args, 1, "collection options")?)?;
    db.run(env, move |engine| Ok(engine.create_collection(&config)?), undefined)
}

fn collection_exists(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let name = string_arg(env, args, 1, "name")?;
    db.run(env, move |engine| Ok(engine.collection_exists(&name)?), |env, b| env.boolean(b))
}

fn list_collections(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    db.run(env, move |engine| Ok(engine.list_collections()?), |env, infos| {
        convert::collection_infos(env, &infos)
    })
}

fn collection_info(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let name = string_arg(env, args, 1, "name")?;
    db.run(env, move |engine| Ok(engine.collection_info(&name)?), |env, info| {
        convert::collection_info(env, &info)
    })
}

/// insert(handle, { collection, id, vector, payloadInsertQuery? })
fn insert(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let options = arg(args, 1, "insert options")?;
    let collection = convert::required_string(env, options, "collection")?;
    let point = convert::new_point(env, options)?;
    db.run(env, move |engine| Ok(engine.insert(&collection, &point)?), undefined)
}

/// insertBatch(handle, collection, [{ id, vector, payloadInsertQuery? }])
fn insert_batch(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let collection = string_arg(env, args, 1, "collection")?;
    let points = env
        .get_array(arg(args, 2, "points")?, "points")?
        .into_iter()
        .map(|p| convert::new_point(env, p))
        .collect::<JsResult<Vec<_>>>()?;
    db.run(env, move |engine| Ok(engine.insert_batch(&collection, &points)?), undefined)
}

fn search(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let query = convert::search_query(env, arg(args, 1, "search options")?)?;
    db.run(env, move |engine| Ok(engine.search(&query)?), |env, hits| convert::search_hits(env, &hits))
}

/// searchPacked(handle, query) → Promise<{ hits: Float64Array, payloads? }>: the same search
/// with its results packed (convert::packed_search_hits); what VectorXLite.search calls.
fn search_packed(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let query = convert::search_query(env, arg(args, 1, "search options")?)?;
    db.run(env, move |engine| Ok(engine.search(&query)?), |env, hits| convert::packed_search_hits(env, &hits))
}

/// get(handle, collection, id) → Promise<point | null>
fn get(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let collection = string_arg(env, args, 1, "collection")?;
    let id = env.get_safe_integer(arg(args, 2, "id")?, "id")?;
    db.run(env, move |engine| Ok(engine.get(&collection, id)?), |env, point| {
        convert::stored_point(env, point.as_ref())
    })
}

/// delete(handle, collection, id) → Promise<boolean>
fn delete(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let collection = string_arg(env, args, 1, "collection")?;
    let id = env.get_safe_integer(arg(args, 2, "id")?, "id")?;
    db.run(env, move |engine| Ok(engine.delete(&collection, id)?), |env, existed| env.boolean(existed))
}

fn delete_collection(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let name = string_arg(env, args, 1, "name")?;
    db.run(env, move |engine| Ok(engine.delete_collection(&name)?), undefined)
}

fn export_snapshot(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let path = PathBuf::from(string_arg(env, args, 1, "path")?);
    db.run(env, move |engine| Ok(engine.export_snapshot(&path)?), |env, meta| {
        convert::snapshot_metadata(env, &meta)
    })
}

fn import_snapshot(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let path = PathBuf::from(string_arg(env, args, 1, "path")?);
    db.run(env, move |engine| Ok(engine.import_snapshot(&path)?), |env, summary| {
        convert::import_summary(env, &summary)
    })
}

/// digest(handle) → Promise<string>: SHA-256 (hex) of every collection's config and points.
fn digest(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    db.run(env, move |engine| Ok(engine.digest()?), |env, hex| env.create_string(&hex))
}

/// close(handle): the worker's last job; later calls reject with CLOSED.
fn close(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database(env, args)?;
    let closed = db.run(env, move |engine| Ok(engine.close()?), undefined)?;
    db.end();
    Ok(closed)
}
