//! Errors as the addon hands them to JavaScript: a stable `code` (the codes of
//! src/errors.ts) and a message. The TypeScript layer turns them into VectorXLiteError.

use std::any::Any;
use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use vectorxlite_core as core;

use super::env::Env;
use crate::sys;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsError {
    pub code: &'static str,
    pub message: String,
}

pub type JsResult<T> = Result<T, JsError>;

impl JsError {
    pub fn invalid(message: impl Into<String>) -> JsError {
        JsError { code: "INVALID_ARGUMENT", message: message.into() }
    }

    pub fn internal(message: impl Into<String>) -> JsError {
        JsError { code: "INTERNAL", message: message.into() }
    }

    /// A panic caught at the boundary: the addon's bug, reported instead of aborting Node.
    pub fn from_panic(payload: Box<dyn Any + Send>) -> JsError {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        JsError::internal(format!("the native addon panicked: {detail}"))
    }
}

/// Runs `f`, turning a panic into an INTERNAL error, so that no panic unwinds into Node.
pub fn catching<T>(f: impl FnOnce() -> JsResult<T>) -> JsResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| Err(JsError::from_panic(panic)))
}

/// The one conversion from engine errors: the engine's code names are the JS codes.
impl From<core::Error> for JsError {
    fn from(e: core::Error) -> JsError {
        JsError { code: e.code.as_str(), message: e.message }
    }
}

/// Turns a failed Node-API status into INTERNAL with Node's own description of it.
pub fn check(env: sys::napi_env, status: sys::napi_status) -> JsResult<()> {
    if status == sys::napi_ok {
        return Ok(());
    }
    let mut info: *const sys::napi_extended_error_info = ptr::null();
    let detail = unsafe {
        if sys::napi_get_last_error_info(env, &mut info) == sys::napi_ok
            && !info.is_null()
            && !(*info).error_message.is_null()
        {
            CStr::from_ptr((*info).error_message).to_string_lossy().into_owned()
        } else {
            "no detail".to_string()
        }
    };
    Err(JsError::internal(format!("Node-API call failed (status {status}): {detail}")))
}

/// Builds a JS Error with `code` set (napi_create_error sets the property itself).
pub fn create_js_error(env: Env, error: &JsError) -> JsResult<sys::napi_value> {
    let code = env.create_string(error.code)?;
    let message = env.create_string(&error.message)?;
    let mut value = ptr::null_mut();
    check(env.raw(), unsafe { sys::napi_create_error(env.raw(), code, message, &mut value) })?;
    Ok(value)
}

/// Throws `error` unless a JavaScript exception is already pending (that one wins).
pub fn throw(env: Env, error: &JsError) {
    let mut pending = false;
    unsafe {
        if sys::napi_is_exception_pending(env.raw(), &mut pending) != sys::napi_ok || pending {
            return;
        }
        if let Ok(value) = create_js_error(env, error) {
            sys::napi_throw(env.raw(), value);
        }
    }
}
