//! A long-lived thread that owns a value (a database's engine) and runs the jobs the JS
//! thread gives it, one at a time in call order, each settling a Promise.
//!
//! Why not Node-API async work: the operations of one database had to be queued in JS to
//! keep them in call order and off several pool threads (where they would only wait on the
//! engine's lock), so every call paid a trip through that queue's promise chain on top of
//! the hand-off to a pool thread and back. Here the JS thread sends the job over a channel
//! to the thread that owns the engine, which runs jobs in the order they were sent; results
//! go back through one threadsafe function per worker, whose queue Node drains in one pass
//! when several are ready. After each job the worker polls its queue for a short while
//! before it sleeps, so a caller that awaits each result and calls again at once reaches it
//! without a wake-up. docs/addon.md has the measurements.
//!
//! Lifecycle: after `end` (called right after queueing close), the worker runs what was
//! queued, drops the value and ends; later calls reject with CLOSED without reaching it.
//! When the `Worker` is dropped instead (its JS handle was garbage-collected), it ends the
//! same way. The threadsafe function keeps the event loop alive only while a Promise of this
//! worker is pending, so an idle open database never holds the process. When the env is torn
//! down (the process or a worker_threads thread exits) with the worker idle, a cleanup hook
//! ends it and waits for it, so its value is dropped before the process goes away; with a
//! call still in flight it does not wait, since that call may be waiting on the JS thread
//! (onProgress).

use std::cell::Cell;
use std::os::raw::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::env::Env;
use super::error::{catching, JsError, JsResult};
use super::promise::Deferred;
use super::tsfn::{Message, Tsfn};
use crate::sys;

/// How long an idle worker polls its queue before it sleeps. A caller that awaits each
/// result calls again after the result's trip back to the JS thread (tens of microseconds on
/// a virtual machine, where waking a halted vCPU is slow) and its own work; a sleeping worker
/// would then need a futex wake-up, which costs as much again. Long enough to catch that
/// (in `npm run bench` at ef 64 the mean wait for the worker was 15.3 µs when polling for
/// 100 µs, 2.9 µs for 400 µs), short enough that an idle database costs next to nothing.
const POLL: Duration = Duration::from_micros(400);

/// Runs on the worker with its value; returns what settles the Promise on the JS thread.
type Work<S> = Box<dyn FnOnce(&S) -> Message + Send>;

enum Request<S> {
    Job(Work<S>),
    /// Nothing follows: the worker ends.
    End,
}

/// The JS thread's side of a worker. Not Send: it lives in the JS handle (napi_wrap).
pub struct Worker<S> {
    jobs: Sender<Request<S>>,
    delivery: Arc<Tsfn>,
    /// Promises of this worker not settled yet; while there are any, the event loop is kept
    /// alive. Only the JS thread changes it (at submission and when settling).
    pending: Arc<AtomicUsize>,
    /// Set by `end`.
    ended: Cell<bool>,
    env: sys::napi_env,
    /// The argument of the env cleanup hook `tear_down`, owned here (Box::into_raw).
    teardown: *mut Teardown<S>,
}

/// What `tear_down` needs to end the worker and wait for it.
struct Teardown<S> {
    jobs: Sender<Request<S>>,
    pending: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl<S: Send + 'static> Worker<S> {
    /// Starts a thread named `name` that owns `state`.
    pub fn start(env: Env, name: &str, state: S) -> JsResult<Worker<S>> {
        let delivery = Tsfn::new(env, None, name)?;
        let (jobs, queue) = mpsc::channel();
        let worker_delivery = delivery.clone();
        let spawned = thread::Builder::new().name(name.to_string()).spawn(move || serve(state, queue, worker_delivery));
        let thread = match spawned {
            Ok(thread) => thread,
            Err(e) => {
                delivery.release();
                return Err(JsError::internal(format!("cannot start the {name} thread: {e}")));
            }
        };
        let pending = Arc::new(AtomicUsize::new(0));
        let teardown =
            Box::into_raw(Box::new(Teardown { jobs: jobs.clone(), pending: pending.clone(), thread: Some(thread) }));
        let worker = Worker { jobs, delivery, pending, ended: Cell::new(false), env: env.raw(), teardown };
        // If this fails, the worker still ends when it is dropped; it just is not waited for.
        unsafe { sys::napi_add_env_cleanup_hook(env.raw(), Some(tear_down::<S>), teardown.cast()) };
        Ok(worker)
    }

    /// Runs `work` on the worker after every job sent before it, then `finish` on the JS
    /// thread to turn its result into the value the returned Promise resolves with. An
    /// error (or panic) of either rejects the Promise; after `end`, it rejects with CLOSED.
    pub fn run<T, W, F>(&self, env: Env, work: W, finish: F) -> JsResult<sys::napi_value>
    where
        T: Send + 'static,
        W: FnOnce(&S) -> JsResult<T> + Send + 'static,
        F: FnOnce(Env, T) -> JsResult<sys::napi_value> + Send + 'static,
    {
        let (deferred, promise) = Deferred::new(env)?;
        if self.ended.get() {
            deferred.settle(env, Err(closed()));
            return Ok(promise);
        }
        let pending = self.pending.clone();
        let delivery = self.delivery.clone();
        let work: Work<S> = Box::new(move |state| {
            let result = catching(|| work(state));
            Box::new(move |env, _callback| {
                deferred.settle(env, result.and_then(|value| catching(|| finish(env, value))));
                if pending.fetch_sub(1, Ordering::Relaxed) == 1 {
                    delivery.keep_alive(env, false);
                }
            })
        });
        if self.jobs.send(Request::Job(work)).is_err() {
            // The worker thread is gone, which only a panic outside any job could cause;
            // the job (and its deferred) came back inside the error and was dropped.
            return Err(JsError::internal("the database's worker thread has stopped"));
        }
        if self.pending.fetch_add(1, Ordering::Relaxed) == 0 {
            self.delivery.keep_alive(env, true);
        }
        Ok(promise)
    }
}

impl<S> Worker<S> {
    /// No more jobs: the worker ends once it has run those already sent.
    pub fn end(&self) {
        if !self.ended.replace(true) {
            // A worker that is already gone has nothing left to end.
            let _ = self.jobs.send(Request::End);
        }
    }
}

impl<S> Drop for Worker<S> {
    /// The JS handle was collected (or the env is going away): the worker ends after the
    /// jobs already sent, without being waited for here on the JS thread.
    fn drop(&mut self) {
        unsafe {
            sys::napi_remove_env_cleanup_hook(self.env, Some(tear_down::<S>), self.teardown.cast());
            drop(Box::from_raw(self.teardown));
        }
        self.end();
    }
}

/// Env cleanup hook, on the JS thread while the env is torn down: ends the worker and, when
/// no call of it is in flight, waits for it to drop its value.
unsafe extern "C" fn tear_down<S>(arg: *mut c_void) {
    // SAFETY: `arg` is the Teardown the Worker registered and frees only after removing
    // this hook; both happen on this thread.
    let teardown = unsafe { &mut *arg.cast::<Teardown<S>>() };
    let _ = teardown.jobs.send(Request::End);
    if teardown.pending.load(Ordering::Relaxed) == 0 {
        if let Some(thread) = teardown.thread.take() {
            // A panic on the worker has nobody to report to at teardown.
            let _ = thread.join();
        }
    }
}

fn closed() -> JsError {
    JsError { code: "CLOSED", message: "the database is closed".into() }
}

/// The worker thread: runs jobs until `end` or until the `Worker` is dropped and the queue
/// is empty, then drops its state and lets Node finalize the delivery function.
fn serve<S>(state: S, queue: Receiver<Request<S>>, delivery: Arc<Tsfn>) {
    while let Some(Request::Job(work)) = next(&queue) {
        // A message that cannot be delivered (env torn down) is dropped: nobody awaits it.
        delivery.post(work(&state));
    }
    drop(state);
    delivery.release();
}

/// The next request, polling for up to POLL before sleeping; None once the `Worker` is
/// gone and everything it sent has been taken.
fn next<S>(queue: &Receiver<Request<S>>) -> Option<Request<S>> {
    let idle_since = Instant::now();
    loop {
        match queue.try_recv() {
            Ok(request) => return Some(request),
            Err(TryRecvError::Disconnected) => return None,
            // Yielding rather than spinning hands the core to any other runnable thread;
            // on a busy machine that measured faster than spinning or sleeping at once.
            Err(TryRecvError::Empty) if idle_since.elapsed() < POLL => thread::yield_now(),
            Err(TryRecvError::Empty) => return queue.recv().ok(),
        }
    }
}
