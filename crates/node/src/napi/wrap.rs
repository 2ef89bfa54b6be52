//! Rust values owned by JS objects (napi_wrap). The object carries a type tag, so a
//! foreign object passed where a handle is expected is an INVALID_ARGUMENT, not a crash.
//! The value is dropped by the finalizer when the object is garbage collected.

use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use super::env::Env;
use super::error::{check, JsError, JsResult};
use crate::sys;

/// Creates an object owning `value`, tagged with `tag`.
pub fn wrap<T: 'static>(env: Env, value: T, tag: &sys::napi_type_tag) -> JsResult<sys::napi_value> {
    let raw = env.raw();
    let object = env.create_object()?;
    check(raw, unsafe { sys::napi_type_tag_object(raw, object, tag) })?;
    let data = Box::into_raw(Box::new(value));
    let wrapped = check(raw, unsafe {
        sys::napi_wrap(raw, object, data.cast(), Some(finalize::<T>), ptr::null_mut(), ptr::null_mut())
    });
    if let Err(e) = wrapped {
        drop(unsafe { Box::from_raw(data) });
        return Err(e);
    }
    Ok(object)
}

/// The value inside an object made by `wrap` with the same `tag`. The reference is valid
/// while the object is alive, i.e. for the rest of the callback that received it.
pub fn unwrap<'a, T: 'static>(env: Env, object: sys::napi_value, tag: &sys::napi_type_tag, what: &str) -> JsResult<&'a T> {
    let raw = env.raw();
    let mut matches = false;
    if env.type_of(object)? == sys::napi_object {
        check(raw, unsafe { sys::napi_check_object_type_tag(raw, object, tag, &mut matches) })?;
    }
    if !matches {
        return Err(JsError::invalid(format!("{what} is not a handle created by this addon")));
    }
    let mut data: *mut c_void = ptr::null_mut();
    check(raw, unsafe { sys::napi_unwrap(raw, object, &mut data) })?;
    Ok(unsafe { &*data.cast::<T>() })
}

unsafe extern "C" fn finalize<T>(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // A panic while dropping has nobody to report to; it must not unwind into the GC.
    let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(data.cast::<T>()) })));
}
