//! `Env`: the JavaScript thread's handle to Node-API, with the value conversions the addon
//! needs. An `Env` is only valid on the JS thread during the callback that received it;
//! it holds a raw pointer, so it is neither Send nor Sync and cannot leak to a worker.

use std::ptr;

use super::error::{check, JsError, JsResult};
use crate::sys;

/// Largest integer a JS number holds exactly (Number.MAX_SAFE_INTEGER).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

#[derive(Clone, Copy)]
pub struct Env(sys::napi_env);

impl Env {
    pub fn new(raw: sys::napi_env) -> Env {
        Env(raw)
    }

    pub fn raw(self) -> sys::napi_env {
        self.0
    }

    fn ok(self, status: sys::napi_status) -> JsResult<()> {
        check(self.0, status)
    }

    // ---- creating values ----

    pub fn undefined(self) -> JsResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_undefined(self.0, &mut v) })?;
        Ok(v)
    }

    pub fn null(self) -> JsResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_null(self.0, &mut v) })?;
        Ok(v)
    }

    pub fn boolean(self, b: bool) -> JsResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_boolean(self.0, b, &mut v) })?;
        Ok(v)
    }

    pub fn create_string(self, s: &str) -> JsResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_string_utf8(self.0, s.as_ptr().cast(), s.len(), &mut v) })?;
        Ok(v)
    }

    pub fn create_double(self, n: f64) -> JsResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_double(self.0, n, &mut v) })?;
        Ok(v)
    }

    /// A JS number; integers beyond ±2^53 round to the nearest double (JS numbers are doubles).
    pub fn create_int64(self, n: i64) -> JsResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_int64(self.0, n, &mut v) })?;
        Ok(v)
    }

    pub fn create_object(self) -> JsResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_object(self.0, &mut v) })?;
        Ok(v)
    }

    pub fn set_property(self, object: sys::napi_value, name: &str, value: sys::napi_value) -> JsResult<()> {
        let key = self.create_string(name)?;
        self.ok(unsafe { sys::napi_set_property(self.0, object, key, value) })
    }

    pub fn create_array(self, len: usize) -> JsResult<sys::napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_array_with_length(self.0, len, &mut v) })?;
        Ok(v)
    }

    pub fn set_element(self, array: sys::napi_value, index: u32, value: sys::napi_value) -> JsResult<()> {
        self.ok(unsafe { sys::napi_set_element(self.0, array, index, value) })
    }

    /// A Float32Array over a fresh ArrayBuffer, filled with one memcpy.
    pub fn create_float32_array(self, values: &[f32]) -> JsResult<sys::napi_value> {
        self.create_typed_array(values, sys::napi_float32_array)
    }

    /// A Float64Array over a fresh ArrayBuffer, filled with one memcpy.
    pub fn create_float64_array(self, values: &[f64]) -> JsResult<sys::napi_value> {
        self.create_typed_array(values, sys::napi_float64_array)
    }

    /// `kind` must be the typed array type whose element is `T`.
    fn create_typed_array<T: Copy>(self, values: &[T], kind: sys::napi_typedarray_type) -> JsResult<sys::napi_value> {
        let byte_len = std::mem::size_of_val(values);
        let mut data: *mut std::os::raw::c_void = ptr::null_mut();
        let mut buffer = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_arraybuffer(self.0, byte_len, &mut data, &mut buffer) })?;
        if byte_len > 0 {
            unsafe { ptr::copy_nonoverlapping(values.as_ptr(), data.cast::<T>(), values.len()) };
        }
        let mut array = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_typedarray(self.0, kind, values.len(), buffer, 0, &mut array) })?;
        Ok(array)
    }

    /// A Node.js Buffer holding a copy of `bytes`.
    pub fn create_buffer(self, bytes: &[u8]) -> JsResult<sys::napi_value> {
        let mut data: *mut std::os::raw::c_void = ptr::null_mut();
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_buffer_copy(self.0, bytes.len(), bytes.as_ptr().cast(), &mut data, &mut v) })?;
        Ok(v)
    }

    pub fn call_function(self, function: sys::napi_value, args: &[sys::napi_value]) -> JsResult<sys::napi_value> {
        let this = self.undefined()?;
        let mut result = ptr::null_mut();
        self.ok(unsafe { sys::napi_call_function(self.0, this, function, args.len(), args.as_ptr(), &mut result) })?;
        Ok(result)
    }

    /// Clears the pending JavaScript exception, if any, and returns it.
    pub fn take_exception(self) -> Option<sys::napi_value> {
        let mut pending = false;
        if unsafe { sys::napi_is_exception_pending(self.0, &mut pending) } != sys::napi_ok || !pending {
            return None;
        }
        let mut exception = ptr::null_mut();
        let cleared = unsafe { sys::napi_get_and_clear_last_exception(self.0, &mut exception) };
        (cleared == sys::napi_ok).then_some(exception)
    }

    // ---- reading values ----

    pub fn type_of(self, value: sys::napi_value) -> JsResult<sys::napi_valuetype> {
        let mut t = 0;
        self.ok(unsafe { sys::napi_typeof(self.0, value, &mut t) })?;
        Ok(t)
    }

    /// A property that must be present.
    pub fn get_property(self, object: sys::napi_value, name: &str) -> JsResult<sys::napi_value> {
        self.get_optional_property(object, name)?
            .ok_or_else(|| JsError::invalid(format!("{name} is required")))
    }

    /// A property, or None when it is undefined or null.
    pub fn get_optional_property(self, object: sys::napi_value, name: &str) -> JsResult<Option<sys::napi_value>> {
        if self.type_of(object)? != sys::napi_object {
            return Err(JsError::invalid(format!("expected an object holding {name}")));
        }
        let key = self.create_string(name)?;
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_property(self.0, object, key, &mut v) })?;
        match self.type_of(v)? {
            sys::napi_undefined | sys::napi_null => Ok(None),
            _ => Ok(Some(v)),
        }
    }

    pub fn get_string(self, value: sys::napi_value, what: &str) -> JsResult<String> {
        if self.type_of(value)? != sys::napi_string {
            return Err(JsError::invalid(format!("{what} must be a string")));
        }
        let mut len = 0usize;
        self.ok(unsafe { sys::napi_get_value_string_utf8(self.0, value, ptr::null_mut(), 0, &mut len) })?;
        let mut bytes = vec![0u8; len + 1];
        let mut written = 0usize;
        self.ok(unsafe {
            sys::napi_get_value_string_utf8(self.0, value, bytes.as_mut_ptr().cast(), bytes.len(), &mut written)
        })?;
        bytes.truncate(written);
        String::from_utf8(bytes).map_err(|_| JsError::invalid(format!("{what} is not valid UTF-8")))
    }

    pub fn get_bool(self, value: sys::napi_value, what: &str) -> JsResult<bool> {
        if self.type_of(value)? != sys::napi_boolean {
            return Err(JsError::invalid(format!("{what} must be a boolean")));
        }
        let mut b = false;
        self.ok(unsafe { sys::napi_get_value_bool(self.0, value, &mut b) })?;
        Ok(b)
    }

    pub fn get_f64(self, value: sys::napi_value, what: &str) -> JsResult<f64> {
        if self.type_of(value)? != sys::napi_number {
            return Err(JsError::invalid(format!("{what} must be a number")));
        }
        let mut n = 0.0;
        self.ok(unsafe { sys::napi_get_value_double(self.0, value, &mut n) })?;
        Ok(n)
    }

    /// A safe integer (Number.isSafeInteger), as ids are.
    pub fn get_safe_integer(self, value: sys::napi_value, what: &str) -> JsResult<i64> {
        let n = self.get_f64(value, what)?;
        if n.fract() != 0.0 || !n.is_finite() || n.abs() > MAX_SAFE_INTEGER {
            return Err(JsError::invalid(format!("{what} must be a safe integer, got {n}")));
        }
        Ok(n as i64)
    }

    pub fn get_u32(self, value: sys::napi_value, what: &str) -> JsResult<u32> {
        let n = self.get_f64(value, what)?;
        if n.fract() != 0.0 || !(0.0..=u32::MAX as f64).contains(&n) {
            return Err(JsError::invalid(format!("{what} must be an integer from 0 to {}, got {n}", u32::MAX)));
        }
        Ok(n as u32)
    }

    /// Copies a Float32Array's elements out with one memcpy (the JS side converts number[]).
    pub fn get_float32_vec(self, value: sys::napi_value, what: &str) -> JsResult<Vec<f32>> {
        self.copy_typed_array(value, sys::napi_float32_array, what, "a Float32Array")
    }

    /// Copies the bytes of a Buffer (or any Uint8Array) out with one memcpy.
    pub fn get_bytes(self, value: sys::napi_value, what: &str) -> JsResult<Vec<u8>> {
        self.copy_typed_array(value, sys::napi_uint8_array, what, "a Buffer")
    }

    /// `kind` must be the typed array type whose element is `T`.
    fn copy_typed_array<T: Copy>(
        self,
        value: sys::napi_value,
        kind: sys::napi_typedarray_type,
        what: &str,
        expected: &str,
    ) -> JsResult<Vec<T>> {
        let mut is_typed = false;
        self.ok(unsafe { sys::napi_is_typedarray(self.0, value, &mut is_typed) })?;
        if !is_typed {
            return Err(JsError::invalid(format!("{what} must be {expected}")));
        }
        let mut actual = 0;
        let mut len = 0usize;
        // Node returns `data` already advanced by the view's byteOffset.
        let mut data: *mut std::os::raw::c_void = ptr::null_mut();
        self.ok(unsafe {
            sys::napi_get_typedarray_info(self.0, value, &mut actual, &mut len, &mut data, ptr::null_mut(), ptr::null_mut())
        })?;
        if actual != kind {
            return Err(JsError::invalid(format!("{what} must be {expected}")));
        }
        let mut out = Vec::<T>::with_capacity(len);
        if len > 0 {
            unsafe {
                ptr::copy_nonoverlapping(data.cast::<T>(), out.as_mut_ptr(), len);
                out.set_len(len);
            }
        }
        Ok(out)
    }

    pub fn get_array(self, value: sys::napi_value, what: &str) -> JsResult<Vec<sys::napi_value>> {
        let mut is_array = false;
        self.ok(unsafe { sys::napi_is_array(self.0, value, &mut is_array) })?;
        if !is_array {
            return Err(JsError::invalid(format!("{what} must be an array")));
        }
        let mut len = 0u32;
        self.ok(unsafe { sys::napi_get_array_length(self.0, value, &mut len) })?;
        (0..len)
            .map(|i| {
                let mut v = ptr::null_mut();
                self.ok(unsafe { sys::napi_get_element(self.0, value, i, &mut v) })?;
                Ok(v)
            })
            .collect()
    }

    pub fn expect_function(self, value: sys::napi_value, what: &str) -> JsResult<sys::napi_value> {
        if self.type_of(value)? != sys::napi_function {
            return Err(JsError::invalid(format!("{what} must be a function")));
        }
        Ok(value)
    }
}
