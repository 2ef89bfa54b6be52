//! A threadsafe function: lets a pool thread hand values to a JS callback, which Node
//! then calls on the JS thread. Used for `onProgress` while the engine rebuilds an index.
//!
//! `call` waits until the callback has run. Node delivers threadsafe calls and async-work
//! completions through different queues, so without the wait an operation's Promise could
//! resolve before the progress it reported reached JavaScript.

use std::marker::PhantomData;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};

use super::env::Env;
use super::error::{check, JsResult};
use crate::sys;

/// Turns the value sent from a worker into the callback's single argument.
pub type Convert<T> = fn(Env, T) -> JsResult<sys::napi_value>;

/// The Node handle, or None once Node has finalized it (env teardown) or we released it;
/// the mutex keeps a worker's call from racing the finalizer.
struct Shared {
    handle: Mutex<Option<SendHandle>>,
}

struct SendHandle(sys::napi_threadsafe_function);
// SAFETY: Node-API documents napi_call/release_threadsafe_function as callable from any thread.
unsafe impl Send for SendHandle {}

pub struct ThreadsafeFunction<T> {
    shared: Arc<Shared>,
    /// The JS thread, which must never wait for itself.
    js_thread: ThreadId,
    convert: PhantomData<fn(T)>,
}

/// Set once the callback has run (or Node dropped the call); `call` waits on it.
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

struct Message<T> {
    value: T,
    delivered: Arc<Delivered>,
}

impl<T: Send + 'static> ThreadsafeFunction<T> {
    /// Wraps `callback`. The function does not keep the event loop alive on its own.
    pub fn new(env: Env, callback: sys::napi_value, name: &str, convert: Convert<T>) -> JsResult<Self> {
        let raw = env.raw();
        let shared = Arc::new(Shared { handle: Mutex::new(None) });
        let resource_name = env.create_string(name)?;
        let finalize_data = Arc::into_raw(shared.clone()) as *mut c_void;
        let mut handle = ptr::null_mut();
        let created = check(raw, unsafe {
            sys::napi_create_threadsafe_function(
                raw,
                callback,
                ptr::null_mut(),
                resource_name,
                0,
                1,
                finalize_data,
                Some(finalize),
                convert as *mut c_void,
                Some(call_js::<T>),
                &mut handle,
            )
        });
        if let Err(e) = created {
            drop(unsafe { Arc::from_raw(finalize_data as *const Shared) });
            return Err(e);
        }
        *lock(&shared) = Some(SendHandle(handle));
        check(raw, unsafe { sys::napi_unref_threadsafe_function(raw, handle) })?;
        Ok(ThreadsafeFunction { shared, js_thread: thread::current().id(), convert: PhantomData })
    }

    /// Calls the callback with `value` on the JS thread and returns once it has run. Does
    /// nothing once the function is gone; on the JS thread itself it only queues the call.
    pub fn call(&self, value: T) {
        let delivered = Arc::new(Delivered::default());
        let queued = {
            let guard = lock(&self.shared);
            let Some(handle) = guard.as_ref() else { return };
            let data = Box::into_raw(Box::new(Message { value, delivered: delivered.clone() }));
            let status = unsafe { sys::napi_call_threadsafe_function(handle.0, data.cast(), sys::napi_tsfn_nonblocking) };
            if status != sys::napi_ok {
                drop(unsafe { Box::from_raw(data) });
            }
            status == sys::napi_ok
        };
        if queued && thread::current().id() != self.js_thread {
            delivered.wait();
        }
    }
}

impl<T> Drop for ThreadsafeFunction<T> {
    fn drop(&mut self) {
        // Release only signals Node's JS thread; it never finalizes synchronously, so
        // holding the lock here cannot deadlock with `finalize`.
        if let Some(handle) = lock(&self.shared).take() {
            unsafe { sys::napi_release_threadsafe_function(handle.0, sys::napi_tsfn_release) };
        }
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Option<SendHandle>> {
    shared.handle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let shared = unsafe { Arc::from_raw(data as *const Shared) };
    lock(&shared).take();
}

/// Runs on the JS thread. `env` is null while Node tears the function down: just free.
/// Either way the waiting caller is released.
unsafe extern "C" fn call_js<T>(env: sys::napi_env, callback: sys::napi_value, context: *mut c_void, data: *mut c_void) {
    let message = unsafe { Box::from_raw(data.cast::<Message<T>>()) };
    let Message { value, delivered } = *message;
    struct Release(Arc<Delivered>);
    impl Drop for Release {
        fn drop(&mut self) {
            self.0.set();
        }
    }
    let _release = Release(delivered);
    if env.is_null() || callback.is_null() {
        return;
    }
    // SAFETY: `context` is the Convert<T> that `new` registered with this call_js::<T>.
    let convert: Convert<T> = unsafe { std::mem::transmute::<*mut c_void, Convert<T>>(context) };
    let env = Env::new(env);
    // Errors of the callback are ignored: the engine's operation must go on whatever a
    // progress listener does, and nobody awaits the call. A pending exception left here
    // makes Node print DEP0168 ("Uncaught N-API callback exception") on every call, so it is
    // cleared; a conversion failure has nobody to tell either.
    let _ = catch_unwind(AssertUnwindSafe(|| convert(env, value).and_then(|arg| env.call_function(callback, &[arg]))));
    env.take_exception();
}
