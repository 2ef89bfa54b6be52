//! Exported functions. Every JS-callable function goes through one trampoline that reads
//! the arguments, runs the Rust body under catch_unwind and turns an error (or a panic)
//! into a thrown JS error: no panic unwinds into Node.

use std::os::raw::c_void;
use std::ptr;

use super::env::Env;
use super::error::{catching, throw, JsResult};
use crate::sys;

/// The Rust side of an exported function: the env and the call's arguments in.
pub type ExportFn = fn(Env, &[sys::napi_value]) -> JsResult<sys::napi_value>;

/// More than any export takes; extra arguments are ignored like in JS.
const MAX_ARGS: usize = 8;

unsafe extern "C" fn trampoline(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let env = Env::new(env);
    let outcome = catching(|| {
        let mut argc = MAX_ARGS;
        let mut argv = [ptr::null_mut(); MAX_ARGS];
        let mut data: *mut c_void = ptr::null_mut();
        super::error::check(env.raw(), unsafe {
            sys::napi_get_cb_info(env.raw(), info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data)
        })?;
        // SAFETY: `data` is the ExportFn that `define` stored with this very function.
        let body: ExportFn = unsafe { std::mem::transmute::<*mut c_void, ExportFn>(data) };
        body(env, &argv[..argc.min(MAX_ARGS)])
    });
    match outcome {
        Ok(value) => value,
        Err(error) => {
            throw(env, &error);
            ptr::null_mut()
        }
    }
}

/// Adds `name` as a function on `exports`, backed by `body`.
pub fn define(env: Env, exports: sys::napi_value, name: &str, body: ExportFn) -> JsResult<()> {
    let mut function = ptr::null_mut();
    super::error::check(env.raw(), unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr().cast(),
            name.len(),
            Some(trampoline),
            body as *mut c_void,
            &mut function,
        )
    })?;
    env.set_property(exports, name, function)
}
