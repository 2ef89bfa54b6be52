//! Conversions between JS values and the engine's types. Reading runs on the JS thread
//! before work is queued (so workers own plain Rust data); writing runs when it finishes.
//! The TypeScript layer has already validated and defaulted everything; the checks here
//! keep a direct caller of the addon from reaching the engine with malformed data.

use vectorxlite_core::{
    CollectionConfig, CollectionInfo, Distance, ImportSummary, IndexProgress, NewPoint, SearchHit, SearchQuery,
    SnapshotMetadata, StoredPoint, Value,
};

use crate::napi::{Env, JsResult, JsValue};

/// Issue 2's default; the TypeScript layer applies it too, this covers direct callers.
const DEFAULT_TOP_K: u32 = 10;

fn optional_string(env: Env, object: JsValue, name: &str) -> JsResult<Option<String>> {
    env.get_optional_property(object, name)?.map(|v| env.get_string(v, name)).transpose()
}

fn optional_u32(env: Env, object: JsValue, name: &str) -> JsResult<Option<u32>> {
    env.get_optional_property(object, name)?.map(|v| env.get_u32(v, name)).transpose()
}

pub fn required_string(env: Env, object: JsValue, name: &str) -> JsResult<String> {
    env.get_string(env.get_property(object, name)?, name)
}

/// `{ name, dimension, distance?, payloadSchema?, maxElements?, hnsw?: { m?, efConstruction? } }`
pub fn collection_config(env: Env, object: JsValue) -> JsResult<CollectionConfig> {
    let distance = match optional_string(env, object, "distance")? {
        Some(d) => Distance::parse(&d)?,
        None => Distance::Cosine,
    };
    let hnsw = env.get_optional_property(object, "hnsw")?;
    let (m, ef_construction) = match hnsw {
        Some(h) => (optional_u32(env, h, "m")?, optional_u32(env, h, "efConstruction")?),
        None => (None, None),
    };
    Ok(CollectionConfig {
        name: required_string(env, object, "name")?,
        dimension: env.get_u32(env.get_property(object, "dimension")?, "dimension")?,
        distance,
        payload_schema: optional_string(env, object, "payloadSchema")?,
        max_elements: optional_u32(env, object, "maxElements")?,
        m,
        ef_construction,
    })
}

/// `{ id, vector: Float32Array, payloadInsertQuery? }`
pub fn new_point(env: Env, object: JsValue) -> JsResult<NewPoint> {
    Ok(NewPoint {
        id: env.get_safe_integer(env.get_property(object, "id")?, "id")?,
        vector: env.get_float32_vec(env.get_property(object, "vector")?, "vector")?,
        payload_insert_query: optional_string(env, object, "payloadInsertQuery")?,
    })
}

/// `{ collection, vector: Float32Array, topK?, payloadSearchQuery?, ef? }`
pub fn search_query(env: Env, object: JsValue) -> JsResult<SearchQuery> {
    Ok(SearchQuery {
        collection: required_string(env, object, "collection")?,
        vector: env.get_float32_vec(env.get_property(object, "vector")?, "vector")?,
        top_k: optional_u32(env, object, "topK")?.unwrap_or(DEFAULT_TOP_K),
        payload_search_query: optional_string(env, object, "payloadSearchQuery")?,
        ef: optional_u32(env, object, "ef")?,
    })
}

/// INTEGER and REAL become numbers: an INTEGER beyond ±2^53 rounds to the nearest double,
/// as JSON.parse would; store such values as TEXT to keep every digit.
pub fn value(env: Env, value: &Value) -> JsResult<JsValue> {
    match value {
        Value::Null => env.null(),
        Value::Integer(i) => env.create_int64(*i),
        Value::Real(r) => env.create_double(*r),
        Value::Text(t) => env.create_string(t),
        Value::Blob(b) => env.create_buffer(b),
    }
}

/// Columns in SELECT order; when two columns share a name (a JOIN), the later one wins.
pub fn payload(env: Env, columns: &[(String, Value)]) -> JsResult<JsValue> {
    let object = env.create_object()?;
    for (name, v) in columns {
        env.set_property(object, name, value(env, v)?)?;
    }
    Ok(object)
}

pub fn collection_info(env: Env, info: &CollectionInfo) -> JsResult<JsValue> {
    let object = env.create_object()?;
    env.set_property(object, "name", env.create_string(&info.name)?)?;
    env.set_property(object, "dimension", env.create_double(info.dimension.into())?)?;
    env.set_property(object, "distance", env.create_string(info.distance.as_str())?)?;
    env.set_property(object, "count", env.create_double(info.count as f64)?)?;
    env.set_property(object, "maxElements", env.create_double(info.max_elements as f64)?)?;
    Ok(object)
}

pub fn collection_infos(env: Env, infos: &[CollectionInfo]) -> JsResult<JsValue> {
    array(env, infos, collection_info)
}

pub fn search_hits(env: Env, hits: &[SearchHit]) -> JsResult<JsValue> {
    array(env, hits, |env, hit| {
        let object = env.create_object()?;
        env.set_property(object, "id", env.create_int64(hit.id)?)?;
        env.set_property(object, "distance", env.create_double(hit.distance.into())?)?;
        env.set_property(object, "payload", payload(env, &hit.payload)?)?;
        Ok(object)
    })
}

/// Search results packed for a cheap crossing: `{ hits, payloads? }` where `hits` is a
/// Float64Array of id, distance pairs (ids as doubles, like every id that reaches JS) and
/// `payloads` one object per hit, present only when some hit has payload columns. The
/// TypeScript layer builds the result objects: V8 makes them in JS for a fraction of what a
/// dozen Node-API calls per hit cost, which was most of the addon's fixed cost per search.
pub fn packed_search_hits(env: Env, hits: &[SearchHit]) -> JsResult<JsValue> {
    let packed: Vec<f64> = hits.iter().flat_map(|h| [h.id as f64, f64::from(h.distance)]).collect();
    let object = env.create_object()?;
    env.set_property(object, "hits", env.create_float64_array(&packed)?)?;
    if hits.iter().any(|h| !h.payload.is_empty()) {
        env.set_property(object, "payloads", array(env, hits, |env, hit| payload(env, &hit.payload))?)?;
    }
    Ok(object)
}

pub fn stored_point(env: Env, point: Option<&StoredPoint>) -> JsResult<JsValue> {
    let Some(point) = point else { return env.null() };
    let object = env.create_object()?;
    env.set_property(object, "id", env.create_int64(point.id)?)?;
    env.set_property(object, "vector", env.create_float32_array(&point.vector)?)?;
    env.set_property(object, "payload", payload(env, &point.payload)?)?;
    Ok(object)
}

pub fn snapshot_metadata(env: Env, meta: &SnapshotMetadata) -> JsResult<JsValue> {
    let object = env.create_object()?;
    env.set_property(object, "snapshotId", env.create_string(&meta.snapshot_id)?)?;
    env.set_property(object, "createdAt", env.create_int64(meta.created_at)?)?;
    env.set_property(object, "totalSize", env.create_double(meta.total_size as f64)?)?;
    let files = array(env, &meta.files, |env, file| {
        let f = env.create_object()?;
        env.set_property(f, "fileName", env.create_string(&file.file_name)?)?;
        env.set_property(f, "fileType", env.create_string(file.file_type.as_str())?)?;
        env.set_property(f, "fileSize", env.create_double(file.file_size as f64)?)?;
        env.set_property(f, "checksum", env.create_string(&file.checksum)?)?;
        Ok(f)
    })?;
    env.set_property(object, "files", files)?;
    env.set_property(object, "version", env.create_double(meta.version.into())?)?;
    env.set_property(object, "checksum", env.create_string(&meta.checksum)?)?;
    Ok(object)
}

pub fn import_summary(env: Env, summary: &ImportSummary) -> JsResult<JsValue> {
    let object = env.create_object()?;
    env.set_property(object, "snapshotId", env.create_string(&summary.snapshot_id)?)?;
    env.set_property(object, "bytesRestored", env.create_double(summary.bytes_restored as f64)?)?;
    env.set_property(object, "filesRestored", env.create_double(summary.files_restored.into())?)?;
    Ok(object)
}

pub fn index_progress(env: Env, progress: IndexProgress) -> JsResult<JsValue> {
    let object = env.create_object()?;
    env.set_property(object, "collection", env.create_string(&progress.collection)?)?;
    env.set_property(object, "reason", env.create_string(progress.reason.as_str())?)?;
    env.set_property(object, "done", env.create_double(progress.done as f64)?)?;
    env.set_property(object, "total", env.create_double(progress.total as f64)?)?;
    Ok(object)
}

fn array<T>(env: Env, items: &[T], each: impl Fn(Env, &T) -> JsResult<JsValue>) -> JsResult<JsValue> {
    let out = env.create_array(items.len())?;
    for (i, item) in items.iter().enumerate() {
        let index = u32::try_from(i).map_err(|_| crate::napi::JsError::internal("result has more than 2^32 items"))?;
        env.set_element(out, index, each(env, item)?)?;
    }
    Ok(out)
}
