//! Threadsafe functions: how another thread gets code run on the JS thread.
//!
//! `Tsfn` is the shared core: any thread posts a `Message` (a closure), Node runs it on the
//! JS thread. The per-database workers use it to settle Promises (`worker`);
//! `ThreadsafeFunction` uses it to call a JS callback with a value (`onProgress`).

use std::marker::PhantomData;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};

use super::env::Env;
use super::error::{check, JsResult};
use crate::sys;

/// Runs on the JS thread with the env and the function's JS callback (null when it has none).
pub type Message = Box<dyn FnOnce(Env, sys::napi_value) + Send>;

struct SendHandle(sys::napi_threadsafe_function);
// SAFETY: Node-API documents napi_call/release_threadsafe_function as callable from any thread.
unsafe impl Send for SendHandle {}

/// A Node threadsafe function. For posting from any thread, the handle is None once Node
/// has finalized it (env teardown, or after the release) or it was released; the mutex keeps
/// a post from racing the finalizer, which frees Node's object. The JS thread, where the
/// finalizer itself runs, only needs to know whether it has run (`keep_alive`).
pub struct Tsfn {
    handle: Mutex<Option<SendHandle>>,
    raw: AtomicPtr<sys::napi_threadsafe_function__>,
    finalized: AtomicBool,
}

impl Tsfn {
    /// Creates the function, calling `callback` (if any) from the messages posted to it. It
    /// starts unref'd: it does not keep the event loop alive until `keep_alive(true)`.
    pub fn new(env: Env, callback: Option<sys::napi_value>, name: &str) -> JsResult<Arc<Tsfn>> {
        let raw = env.raw();
        let tsfn =
            Arc::new(Tsfn { handle: Mutex::new(None), raw: AtomicPtr::default(), finalized: AtomicBool::new(false) });
        let resource_name = env.create_string(name)?;
        let finalize_data = Arc::into_raw(tsfn.clone()) as *mut c_void;
        let mut handle = ptr::null_mut();
        let created = check(raw, unsafe {
            sys::napi_create_threadsafe_function(
                raw,
                callback.unwrap_or(ptr::null_mut()),
                ptr::null_mut(),
                resource_name,
                0,
                1,
                finalize_data,
                Some(finalize),
                ptr::null_mut(),
                Some(call_js),
                &mut handle,
            )
        });
        if let Err(e) = created {
            drop(unsafe { Arc::from_raw(finalize_data as *const Tsfn) });
            return Err(e);
        }
        *tsfn.lock() = Some(SendHandle(handle));
        tsfn.raw.store(handle, Ordering::Relaxed);
        check(raw, unsafe { sys::napi_unref_threadsafe_function(raw, handle) })?;
        Ok(tsfn)
    }

    /// Queues `message` for the JS thread; false (and the message dropped) once the function
    /// is gone. Never waits: the queue is unbounded.
    pub fn post(&self, message: Message) -> bool {
        let guard = self.lock();
        let Some(handle) = guard.as_ref() else { return false };
        let data = Box::into_raw(Box::new(message));
        let status = unsafe { sys::napi_call_threadsafe_function(handle.0, data.cast(), sys::napi_tsfn_nonblocking) };
        if status != sys::napi_ok {
            drop(unsafe { Box::from_raw(data) });
        }
        status == sys::napi_ok
    }

    /// Whether the function keeps the event loop alive. JS thread only; without the lock,
    /// which a post on another thread may hold, because only the finalizer can end the
    /// handle's life and it runs on this thread.
    pub fn keep_alive(&self, env: Env, alive: bool) {
        if self.finalized.load(Ordering::Relaxed) {
            return;
        }
        let (env, handle) = (env.raw(), self.raw.load(Ordering::Relaxed));
        // Fails only for an invalid handle, which `finalized` rules out.
        let _ = unsafe {
            if alive {
                sys::napi_ref_threadsafe_function(env, handle)
            } else {
                sys::napi_unref_threadsafe_function(env, handle)
            }
        };
    }

    /// Gives up this thread's use of the function: Node delivers what was posted, then
    /// finalizes it. Later posts are dropped.
    pub fn release(&self) {
        // Release only signals Node's JS thread; it never finalizes synchronously, so
        // holding the lock here cannot deadlock with `finalize`.
        if let Some(handle) = self.lock().take() {
            unsafe { sys::napi_release_threadsafe_function(handle.0, sys::napi_tsfn_release) };
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<SendHandle>> {
        self.handle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let tsfn = unsafe { Arc::from_raw(data as *const Tsfn) };
    tsfn.lock().take();
    tsfn.finalized.store(true, Ordering::Relaxed);
}

/// Runs on the JS thread. `env` is null while Node tears the function down: the message is
/// only dropped then.
unsafe extern "C" fn call_js(env: sys::napi_env, callback: sys::napi_value, _context: *mut c_void, data: *mut c_void) {
    let message = unsafe { Box::from_raw(data.cast::<Message>()) };
    if env.is_null() {
        return;
    }
    // A panic has nobody to report to here; it must not unwind into Node.
    let _ = catch_unwind(AssertUnwindSafe(|| message(Env::new(env), callback)));
}

/// Turns the value sent from a worker into the callback's single argument.
pub type Convert<T> = fn(Env, T) -> JsResult<sys::napi_value>;

/// A JS callback that other threads call with a value (`onProgress`).
///
/// `call` waits until the callback has run. Node delivers each threadsafe function's
/// messages through its own queue, so without the wait an operation's Promise (settled
/// through the database's function) could resolve before the progress it reported
/// reached JavaScript.
pub struct ThreadsafeFunction<T> {
    tsfn: Arc<Tsfn>,
    convert: Convert<T>,
    /// The JS thread, which must never wait for itself.
    js_thread: ThreadId,
    value: PhantomData<fn(T)>,
}

/// Set once the callback has run or its message was dropped; `call` waits on it.
#[derive(Default)]
struct Delivered {
    done: Mutex<bool>,
    signal: Condvar,
}

impl Delivered {
    fn set(&self) {
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.signal.notify_all();
    }

    fn wait(&self) {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        while !*done {
            done = self.signal.wait(done).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Marks delivery when dropped: whether the message ran, failed or was dropped unrun.
struct MarkDelivered(Arc<Delivered>);

impl Drop for MarkDelivered {
    fn drop(&mut self) {
        self.0.set();
    }
}

impl<T: Send + 'static> ThreadsafeFunction<T> {
    /// Wraps `callback`. The function does not keep the event loop alive on its own.
    pub fn new(env: Env, callback: sys::napi_value, name: &str, convert: Convert<T>) -> JsResult<Self> {
        let tsfn = Tsfn::new(env, Some(callback), name)?;
        Ok(ThreadsafeFunction { tsfn, convert, js_thread: thread::current().id(), value: PhantomData })
    }

    /// Calls the callback with `value` on the JS thread and returns once it has run. Does
    /// nothing once the function is gone; on the JS thread itself it only queues the call.
    pub fn call(&self, value: T) {
        let delivered = Arc::new(Delivered::default());
        let mark = MarkDelivered(delivered.clone());
        let convert = self.convert;
        let posted = self.tsfn.post(Box::new(move |env, callback| {
            let _mark = mark;
            // Errors of the callback are ignored: the engine's operation must go on whatever
            // a progress listener does, and nobody awaits the call. A pending exception left
            // here makes Node print DEP0168 ("Uncaught N-API callback exception") on every
            // call, so it is cleared; a conversion failure has nobody to tell either.
            let _ = convert(env, value).and_then(|arg| env.call_function(callback, &[arg]));
            env.take_exception();
        }));
        if posted && thread::current().id() != self.js_thread {
            delivered.wait();
        }
    }
}

impl<T> Drop for ThreadsafeFunction<T> {
    fn drop(&mut self) {
        self.tsfn.release();
    }
}
