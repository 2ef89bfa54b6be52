//! Promises settled later: `Deferred` is created with its Promise on the JS thread, may
//! travel to another thread, and is settled back on the JS thread with a value or an error.

use std::ptr;

use super::env::Env;
use super::error::{check, create_js_error, JsResult};
use crate::sys;

pub struct Deferred(sys::napi_deferred);

// SAFETY: a napi_deferred is an opaque pointer that is only dereferenced by Node when
// `settle` passes it back on the JS thread; moving it across threads is what Node-API's
// own async examples do.
unsafe impl Send for Deferred {}

impl Deferred {
    /// A new pending Promise and the Deferred that settles it.
    pub fn new(env: Env) -> JsResult<(Deferred, sys::napi_value)> {
        let raw = env.raw();
        let mut promise = ptr::null_mut();
        let mut deferred = ptr::null_mut();
        check(raw, unsafe { sys::napi_create_promise(raw, &mut deferred, &mut promise) })?;
        Ok((Deferred(deferred), promise))
    }

    /// Resolves with the value, or rejects with the error as a JS Error carrying its code.
    pub fn settle(self, env: Env, outcome: JsResult<sys::napi_value>) {
        let raw = env.raw();
        let settled = match outcome {
            Ok(value) => check(raw, unsafe { sys::napi_resolve_deferred(raw, self.0, value) }),
            Err(error) => create_js_error(env, &error)
                .and_then(|value| check(raw, unsafe { sys::napi_reject_deferred(raw, self.0, value) })),
        };
        // A deferred can only fail to settle if the env is shutting down; nobody is left to tell.
        drop(settled);
    }
}
