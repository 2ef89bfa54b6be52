//! The addon's exports: one function per VectorXLite method (src/embedded/database.ts).
//! Each reads its arguments on the JS thread, runs the engine call on the thread pool and
//! returns a Promise. The database handle is a JS object owning an `Arc<Engine>`, so a call
//! in flight keeps the engine alive even if the handle is collected meanwhile.

use std::path::PathBuf;
use std::sync::Arc;

use vectorxlite_core::{Engine, IndexProgress, OpenOptions};

use crate::convert;
use crate::napi::async_work::spawn;
use crate::napi::export::{define, ExportFn};
use crate::napi::tsfn::ThreadsafeFunction;
use crate::napi::wrap::{unwrap, wrap};
use crate::napi::{Env, JsError, JsResult, JsValue, TypeTag};

/// Marks objects made by `open`; random, fixed forever for this addon.
const DATABASE_TAG: TypeTag = TypeTag { lower: 0x5f3a_9c1e_7b42_d806, upper: 0xa1c4_0e97_3d58_b26f };

type Handle = Arc<Engine>;

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

pub(crate) fn engine(env: Env, args: &[JsValue]) -> JsResult<Handle> {
    let handle = arg(args, 0, "database handle")?;
    unwrap::<Handle>(env, handle, &DATABASE_TAG, "database handle").cloned()
}

fn string_arg(env: Env, args: &[JsValue], index: usize, what: &str) -> JsResult<String> {
    env.get_string(arg(args, index, what)?, what)
}

fn undefined<T>(env: Env, _: T) -> JsResult<JsValue> {
    env.undefined()
}

/// open(path, { vectorlitePath, defaultEf?, onProgress? }) → Promise<handle>
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
    let options = OpenOptions { vectorlite_path, default_ef, progress };
    spawn(
        env,
        "vectorxlite:open",
        move || Ok(Engine::open(&path, options)?),
        |env, engine| wrap::<Handle>(env, Arc::new(engine), &DATABASE_TAG),
    )
}

fn create_collection(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let config = convert::collection_config(env, arg(args, 1, "collection options")?)?;
    spawn(env, "vectorxlite:createCollection", move || Ok(engine.create_collection(&config)?), undefined)
}

fn collection_exists(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let name = string_arg(env, args, 1, "name")?;
    spawn(env, "vectorxlite:collectionExists", move || Ok(engine.collection_exists(&name)?), |env, b| env.boolean(b))
}

fn list_collections(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    spawn(env, "vectorxlite:listCollections", move || Ok(engine.list_collections()?), |env, infos| {
        convert::collection_infos(env, &infos)
    })
}

fn collection_info(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let name = string_arg(env, args, 1, "name")?;
    spawn(env, "vectorxlite:collectionInfo", move || Ok(engine.collection_info(&name)?), |env, info| {
        convert::collection_info(env, &info)
    })
}

/// insert(handle, { collection, id, vector, payloadInsertQuery? })
fn insert(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let options = arg(args, 1, "insert options")?;
    let collection = convert::required_string(env, options, "collection")?;
    let point = convert::new_point(env, options)?;
    spawn(env, "vectorxlite:insert", move || Ok(engine.insert(&collection, &point)?), undefined)
}

/// insertBatch(handle, collection, [{ id, vector, payloadInsertQuery? }])
fn insert_batch(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let collection = string_arg(env, args, 1, "collection")?;
    let points = env
        .get_array(arg(args, 2, "points")?, "points")?
        .into_iter()
        .map(|p| convert::new_point(env, p))
        .collect::<JsResult<Vec<_>>>()?;
    spawn(env, "vectorxlite:insertBatch", move || Ok(engine.insert_batch(&collection, &points)?), undefined)
}

fn search(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let query = convert::search_query(env, arg(args, 1, "search options")?)?;
    spawn(env, "vectorxlite:search", move || Ok(engine.search(&query)?), |env, hits| convert::search_hits(env, &hits))
}

/// searchPacked(handle, query) → Promise<{ hits: Float64Array, payloads? }>: the same search
/// with its results packed (convert::packed_search_hits); what VectorXLite.search calls.
fn search_packed(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let query = convert::search_query(env, arg(args, 1, "search options")?)?;
    spawn(env, "vectorxlite:search", move || Ok(engine.search(&query)?), |env, hits| convert::packed_search_hits(env, &hits))
}

/// get(handle, collection, id) → Promise<point | null>
fn get(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let collection = string_arg(env, args, 1, "collection")?;
    let id = env.get_safe_integer(arg(args, 2, "id")?, "id")?;
    spawn(env, "vectorxlite:get", move || Ok(engine.get(&collection, id)?), |env, point| {
        convert::stored_point(env, point.as_ref())
    })
}

/// delete(handle, collection, id) → Promise<boolean>
fn delete(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let collection = string_arg(env, args, 1, "collection")?;
    let id = env.get_safe_integer(arg(args, 2, "id")?, "id")?;
    spawn(env, "vectorxlite:delete", move || Ok(engine.delete(&collection, id)?), |env, existed| env.boolean(existed))
}

fn delete_collection(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let name = string_arg(env, args, 1, "name")?;
    spawn(env, "vectorxlite:deleteCollection", move || Ok(engine.delete_collection(&name)?), undefined)
}

fn export_snapshot(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let path = PathBuf::from(string_arg(env, args, 1, "path")?);
    spawn(env, "vectorxlite:exportSnapshot", move || Ok(engine.export_snapshot(&path)?), |env, meta| {
        convert::snapshot_metadata(env, &meta)
    })
}

fn import_snapshot(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    let path = PathBuf::from(string_arg(env, args, 1, "path")?);
    spawn(env, "vectorxlite:importSnapshot", move || Ok(engine.import_snapshot(&path)?), |env, summary| {
        convert::import_summary(env, &summary)
    })
}

/// digest(handle) → Promise<string>: SHA-256 (hex) of every collection's config and points.
fn digest(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    spawn(env, "vectorxlite:digest", move || Ok(engine.digest()?), |env, hex| env.create_string(&hex))
}

fn close(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let engine = engine(env, args)?;
    spawn(env, "vectorxlite:close", move || Ok(engine.close()?), undefined)
}
