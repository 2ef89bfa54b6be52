//! Promise-returning operations that run on the libuv thread pool: what `open` uses (a
//! database's later calls run on its own worker thread, see `worker`).
//!
//! `spawn` takes two halves: `work`, which runs on a pool thread and must not touch JS
//! (it gets no Env), and `finish`, which runs back on the JS thread and turns the result
//! into a JS value. The Promise settles with that value, or rejects with the error.
//! Panics in either half become INTERNAL rejections.

use std::os::raw::c_void;
use std::ptr;

use super::env::Env;
use super::error::{catching, check, JsError, JsResult};
use super::promise::Deferred;
use crate::sys;

type Work<T> = Box<dyn FnOnce() -> JsResult<T> + Send>;
type Finish<T> = Box<dyn FnOnce(Env, T) -> JsResult<sys::napi_value> + Send>;

struct Task<T> {
    work: Option<Work<T>>,
    finish: Option<Finish<T>>,
    result: Option<JsResult<T>>,
    deferred: Deferred,
    handle: sys::napi_async_work,
}

/// Queues `work` on the thread pool and returns the Promise of its outcome.
pub fn spawn<T, W, F>(env: Env, name: &str, work: W, finish: F) -> JsResult<sys::napi_value>
where
    T: Send + 'static,
    W: FnOnce() -> JsResult<T> + Send + 'static,
    F: FnOnce(Env, T) -> JsResult<sys::napi_value> + Send + 'static,
{
    let raw = env.raw();
    let (deferred, promise) = Deferred::new(env)?;

    let task = Box::into_raw(Box::new(Task {
        work: Some(Box::new(work) as Work<T>),
        finish: Some(Box::new(finish) as Finish<T>),
        result: None,
        deferred,
        handle: ptr::null_mut(),
    }));
    let queued = (|| {
        let resource_name = env.create_string(name)?;
        let mut handle = ptr::null_mut();
        check(raw, unsafe {
            sys::napi_create_async_work(
                raw,
                ptr::null_mut(),
                resource_name,
                Some(execute::<T>),
                Some(complete::<T>),
                task.cast(),
                &mut handle,
            )
        })?;
        unsafe { (*task).handle = handle };
        check(raw, unsafe { sys::napi_queue_async_work(raw, handle) }).inspect_err(|_| unsafe {
            sys::napi_delete_async_work(raw, handle);
        })
    })();
    if let Err(e) = queued {
        // Nothing was queued, so nothing else owns the task; the promise is still pending.
        let task = unsafe { Box::from_raw(task) };
        task.deferred.settle(env, Err(e));
    }
    Ok(promise)
}

/// Runs on a pool thread. Only touches the task's own fields: no Node-API calls here.
unsafe extern "C" fn execute<T>(_env: sys::napi_env, data: *mut c_void) {
    let task = unsafe { &mut *data.cast::<Task<T>>() };
    if let Some(work) = task.work.take() {
        let result = catching(work);
        task.result = Some(result);
    }
}

/// Runs on the JS thread, inside a handle scope Node opens for it.
unsafe extern "C" fn complete<T>(env: sys::napi_env, status: sys::napi_status, data: *mut c_void) {
    let env = Env::new(env);
    let mut task = unsafe { Box::from_raw(data.cast::<Task<T>>()) };
    unsafe { sys::napi_delete_async_work(env.raw(), task.handle) };
    let outcome = match (status, task.result.take(), task.finish.take()) {
        (sys::napi_ok, Some(Ok(value)), Some(finish)) => catching(|| finish(env, value)),
        (sys::napi_ok, Some(Err(e)), _) => Err(e),
        (sys::napi_cancelled, _, _) => Err(JsError { code: "CANCELLED", message: "the operation was cancelled".into() }),
        (status, _, _) => Err(JsError::internal(format!("async work ended with Node-API status {status}"))),
    };
    task.deferred.settle(env, outcome);
}
