//! Chunked snapshots for JavaScript (vectorxlite_core::{SnapshotReader, SnapshotWriter}):
//! a reader handle whose `next` resolves the next chunk of a snapshot as a Buffer, or null
//! after the last, and a writer handle that takes chunks in order and imports them on
//! `finish`. One chunk is in memory at a time; the snapshot itself is staged in a file in a
//! directory the caller names, so a snapshot far larger than memory streams through.
//!
//! The two calls that use the engine run on the database's worker thread (napi::worker),
//! in call order with its other calls: `snapshotReaderOpen` (the export) and
//! `snapshotWriterFinish` (the import). A write made before them, awaited or not, is in the
//! snapshot, or is replaced by the import; once `close` has run they reject with CLOSED.
//! Chunk reads and writes touch only the staged file and run on the libuv thread pool
//! (napi::async_work), so a long stream does not hold up the database's other calls.
//!
//! Calls on one handle must be awaited one after the other (the pool may run two queued
//! calls in either order, which would reorder chunks): a `next`/`write`/`finish` made before
//! the previous one settled throws INVALID_ARGUMENT at once. `close`/`abort` may be called
//! at any time.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use vectorxlite_core::{SnapshotReader, SnapshotWriter, DEFAULT_CHUNK_SIZE};

use crate::convert;
use crate::database::{arg, database_at};
use crate::napi::async_work::spawn;
use crate::napi::export::{define, ExportFn};
use crate::napi::wrap::{unwrap, wrap};
use crate::napi::{Env, JsError, JsResult, JsValue, TypeTag};

/// Mark objects made by `snapshotReaderOpen` / `snapshotWriterOpen`; random, fixed forever.
const READER_TAG: TypeTag = TypeTag { lower: 0x5ee4_bbe6_4208_483b, upper: 0x918f_ea12_2748_da54 };
const WRITER_TAG: TypeTag = TypeTag { lower: 0x49b8_6c20_b06e_769b, upper: 0x947b_3a4d_ddd2_371e };

pub const EXPORTS: &[(&str, ExportFn)] = &[
    ("snapshotReaderOpen", reader_open),
    ("snapshotReaderNext", reader_next),
    ("snapshotReaderClose", reader_close),
    ("snapshotWriterOpen", writer_open),
    ("snapshotWriterWrite", writer_write),
    ("snapshotWriterFinish", writer_finish),
    ("snapshotWriterAbort", writer_abort),
];

pub fn register(env: Env, exports: JsValue) -> JsResult<()> {
    EXPORTS.iter().try_for_each(|(name, body)| define(env, exports, name, *body))
}

/// A stream's state behind the handle JS holds, with the one-call-at-a-time guard.
struct Stream<S> {
    busy: AtomicBool,
    state: Mutex<S>,
}

type Shared<S> = Arc<Stream<S>>;

impl<S> Stream<S> {
    fn new(state: S) -> Shared<S> {
        Arc::new(Stream { busy: AtomicBool::new(false), state: Mutex::new(state) })
    }

    /// Claims the stream for one ordered call; taken on the JS thread, in call order.
    fn claim(self: &Arc<Self>, what: &str) -> JsResult<Claim<S>> {
        if self.busy.swap(true, Ordering::AcqRel) {
            return Err(JsError::invalid(format!(
                "another call on this {what} is in progress; await each call before the next"
            )));
        }
        Ok(Claim(Arc::clone(self)))
    }

    fn lock(&self) -> MutexGuard<'_, S> {
        // A panic in a call is reported as INTERNAL by spawn; the state it left is still
        // the best there is for close/abort to drop.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Held from the call until its Promise settles, on the JS thread.
struct Claim<S>(Shared<S>);

impl<S> Drop for Claim<S> {
    fn drop(&mut self) {
        self.0.busy.store(false, Ordering::Release);
    }
}

/// Runs `work` on the thread pool under `claim`, which is released on the JS thread just
/// before the Promise settles: a call made before the previous one settled is refused,
/// whatever order the pool would have run them in. (A task that is never queued or that
/// fails drops the claim with it.)
fn spawn_claimed<S, T, W, F>(env: Env, name: &str, claim: Claim<S>, work: W, finish: F) -> JsResult<JsValue>
where
    S: Send + 'static,
    T: Send + 'static,
    W: FnOnce(&mut S) -> JsResult<T> + Send + 'static,
    F: FnOnce(Env, T) -> JsResult<JsValue> + Send + 'static,
{
    let stream = Arc::clone(&claim.0);
    spawn(
        env,
        name,
        move || Ok(work(&mut stream.lock())),
        move |env, outcome| {
            drop(claim);
            finish(env, outcome?)
        },
    )
}

fn closed(what: &str) -> JsError {
    JsError { code: "CLOSED", message: format!("the snapshot {what} is closed") }
}

// ---- reader ----

enum ReaderState {
    Reading(SnapshotReader),
    /// The last chunk was handed out; the staged file is gone.
    Done,
    /// A read failed; every later `next` repeats why, so a broken stream never looks complete.
    Failed(JsError),
    Closed,
}

fn reader(env: Env, args: &[JsValue]) -> JsResult<Shared<ReaderState>> {
    unwrap::<Shared<ReaderState>>(env, arg(args, 0, "snapshot reader")?, &READER_TAG, "snapshot reader").cloned()
}

/// snapshotReaderOpen(db, { stagingDir, chunkSize? }) → Promise<reader>: exports a
/// consistent snapshot into stagingDir. The reader carries `metadata`, `chunkSize`,
/// `totalBytes` and `chunkCount`.
fn reader_open(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let db = database_at(env, args, 0)?;
    let options = arg(args, 1, "snapshot reader options")?;
    let staging_dir = staging_dir(env, options)?;
    let chunk_size = match env.get_optional_property(options, "chunkSize")? {
        Some(v) => env.get_u32(v, "chunkSize")? as usize,
        None => DEFAULT_CHUNK_SIZE,
    };
    db.run(
        env,
        move |engine| Ok(SnapshotReader::export(engine, &staging_dir, chunk_size)?),
        |env, reader| {
            let metadata = convert::snapshot_metadata(env, reader.metadata())?;
            let sizes = [
                ("chunkSize", reader.chunk_size() as f64),
                ("totalBytes", reader.total_bytes() as f64),
                ("chunkCount", reader.chunk_count() as f64),
            ];
            let handle = wrap::<Shared<ReaderState>>(env, Stream::new(ReaderState::Reading(reader)), &READER_TAG)?;
            env.set_property(handle, "metadata", metadata)?;
            for (name, n) in sizes {
                env.set_property(handle, name, env.create_double(n)?)?;
            }
            Ok(handle)
        },
    )
}

fn staging_dir(env: Env, options: JsValue) -> JsResult<PathBuf> {
    let dir = convert::required_string(env, options, "stagingDir")?;
    Ok(PathBuf::from(dir))
}

/// snapshotReaderNext(reader) → Promise<Buffer | null>: the next chunk, null after the last.
fn reader_next(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let stream = reader(env, args)?;
    let claim = stream.claim("snapshot reader")?;
    spawn_claimed(
        env,
        "vectorxlite:snapshotReaderNext",
        claim,
        |state| {
            let ReaderState::Reading(reader) = state else {
                return match state {
                    ReaderState::Done => Ok(None),
                    ReaderState::Failed(e) => Err(e.clone()),
                    _ => Err(closed("reader")),
                };
            };
            match reader.next_chunk() {
                Ok(Some(chunk)) => {
                    if chunk.is_last {
                        *state = ReaderState::Done;
                    }
                    Ok(Some(chunk.data))
                }
                Ok(None) => {
                    *state = ReaderState::Done;
                    Ok(None)
                }
                Err(e) => {
                    let e = JsError::from(e);
                    *state = ReaderState::Failed(e.clone());
                    Err(e)
                }
            }
        },
        |env, data| match data {
            Some(bytes) => env.create_buffer(&bytes),
            None => env.null(),
        },
    )
}

/// snapshotReaderClose(reader) → Promise<void>: removes the staged snapshot now instead of
/// when the reader is garbage collected. Later `next` calls reject with CLOSED.
fn reader_close(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let stream = reader(env, args)?;
    spawn(
        env,
        "vectorxlite:snapshotReaderClose",
        move || {
            *stream.lock() = ReaderState::Closed;
            Ok(())
        },
        |env, ()| env.undefined(),
    )
}

// ---- writer ----

enum WriterState {
    Writing(SnapshotWriter),
    /// `finish` ran (imported or not) or `abort` did; the staged file is gone.
    Ended,
}

fn writer(env: Env, args: &[JsValue]) -> JsResult<Shared<WriterState>> {
    unwrap::<Shared<WriterState>>(env, arg(args, 0, "snapshot writer")?, &WRITER_TAG, "snapshot writer").cloned()
}

/// snapshotWriterOpen(db, { stagingDir }) → Promise<writer>: starts an import into db
/// whose chunks are staged in stagingDir.
fn writer_open(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    // Only checked here: the import itself runs on this database's worker at `finish`.
    database_at(env, args, 0)?;
    let staging_dir = staging_dir(env, arg(args, 1, "snapshot writer options")?)?;
    spawn(
        env,
        "vectorxlite:snapshotWriterOpen",
        move || Ok(SnapshotWriter::create(&staging_dir).map(WriterState::Writing)?),
        |env, state| wrap::<Shared<WriterState>>(env, Stream::new(state), &WRITER_TAG),
    )
}

/// snapshotWriterWrite(writer, chunk: Buffer) → Promise<void>: the next chunk, in order.
/// A refused chunk (SNAPSHOT_INVALID) ends the import: later calls repeat the refusal.
fn writer_write(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let stream = writer(env, args)?;
    let data = env.get_bytes(arg(args, 1, "chunk")?, "chunk")?;
    let claim = stream.claim("snapshot writer")?;
    spawn_claimed(
        env,
        "vectorxlite:snapshotWriterWrite",
        claim,
        move |state| match state {
            WriterState::Writing(writer) => Ok(writer.append(data)?),
            WriterState::Ended => Err(closed("writer")),
        },
        |env, ()| env.undefined(),
    )
}

/// snapshotWriterFinish(writer, db) → Promise<{ snapshotId, bytesRestored, filesRestored }>:
/// verifies the complete stream and replaces the database with it, on the database's worker
/// after the calls made before it, or rejects and changes nothing (SNAPSHOT_INVALID for an
/// incomplete or damaged stream).
fn writer_finish(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let stream = writer(env, args)?;
    let db = database_at(env, args, 1)?;
    let claim = stream.claim("snapshot writer")?;
    let state = Arc::clone(&claim.0);
    db.run(
        env,
        move |engine| match std::mem::replace(&mut *state.lock(), WriterState::Ended) {
            WriterState::Writing(writer) => Ok(writer.finish(engine)?),
            WriterState::Ended => Err(closed("writer")),
        },
        move |env, summary| {
            drop(claim);
            convert::import_summary(env, &summary)
        },
    )
}

/// snapshotWriterAbort(writer) → Promise<void>: gives the import up and removes the staged
/// chunks; the database is untouched. Safe to call more than once.
fn writer_abort(env: Env, args: &[JsValue]) -> JsResult<JsValue> {
    let stream = writer(env, args)?;
    spawn(
        env,
        "vectorxlite:snapshotWriterAbort",
        move || {
            *stream.lock() = WriterState::Ended;
            Ok(())
        },
        |env, ()| env.undefined(),
    )
}
