//! Promise-returning operations that run on the libuv thread pool.
//!
//! `spawn` takes two halves: `work`, which runs on a pool thread and must not touch JS
//! (it gets no Env), and `finish`, which runs back on the JS thread and turns the result
//! into a JS value. The Promise settles with that value, or rejects with the error.
//! Panics in either half become INTERNAL rejections.

use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use super::env::Env;
use super::error::{check, create_js_error, JsError, JsResult};
use crate::sys;

type Work<T> = Box<dyn FnOnce() -> JsResult<T> + Send>;
type Finish<T> = Box<dyn FnOnce(Env, T) -> JsResult<sys::napi_value> + Send>;

struct Task<T> {
    work: Option<Work<T>>,
    finish: Option<Finish<T>>,
    result: Option<JsResult<T>>,
    deferred: sys::napi_deferred,
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
    let mut promise = ptr::null_mut();
    let mut deferred = ptr::null_mut();
    check(raw, unsafe { sys::napi_create_promise(raw, &mut deferred, &mut promise) })?;

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
        settle(env, task.deferred, Err(e));
    }
    Ok(promise)
}

/// Runs on a pool thread. Only touches the task's own fields: no Node-API calls here.
unsafe extern "C" fn execute<T>(_env: sys::napi_env, data: *mut c_void) {
    let task = unsafe { &mut *data.cast::<Task<T>>() };
    if let Some(work) = task.work.take() {
        let result = catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| Err(JsError::from_panic(panic)));
        task.result = Some(result);
    }
}

/// Runs on the JS thread, inside a handle scope Node opens for it.
unsafe extern "C" fn complete<T>(env: sys::napi_env, status: sys::napi_status, data: *mut c_void) {
    let env = Env::new(env);
    let mut task = unsafe { Box::from_raw(data.cast::<Task<T>>()) };
    unsafe { sys::napi_delete_async_work(env.raw(), task.handle) };
    let outcome = match (status, task.result.take(), task.finish.take()) {
        (sys::napi_ok, Some(Ok(value)), Some(finish)) => catch_unwind(AssertUnwindSafe(|| finish(env, value)))
            .unwrap_or_else(|panic| Err(JsError::from_panic(panic))),
        (sys::napi_ok, Some(Err(e)), _) => Err(e),
        (sys::napi_cancelled, _, _) => Err(JsError { code: "CANCELLED", message: "the operation was cancelled".into() }),
        (status, _, _) => Err(JsError::internal(format!("async work ended with Node-API status {status}"))),
    };
    settle(env, task.deferred, outcome);
}

fn settle(env: Env, deferred: sys::napi_deferred, outcome: JsResult<sys::napi_value>) {
    let raw = env.raw();
    let settled = match outcome {
        Ok(value) => check(raw, unsafe { sys::napi_resolve_deferred(raw, deferred, value) }),
        Err(error) => create_js_error(env, &error)
            .and_then(|value| check(raw, unsafe { sys::napi_reject_deferred(raw, deferred, value) })),
    };
    // A deferred can only fail to settle if the env is shutting down; nobody is left to tell.
    drop(settled);
}
