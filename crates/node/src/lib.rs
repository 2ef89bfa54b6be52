//! VectorXLite's Node-API addon: exposes crates/core to JavaScript. Node loads this cdylib
//! (renamed `vectorxlite.<triple>.node`) and calls `napi_register_module_v1`.
//!
//! Layout: `sys` holds the generated raw bindings, `napi` the safe layer over them,
//! `convert` the JS ↔ engine data conversions, `database` the exported functions,
//! `snapshot_stream` the chunked snapshot reader and writer handles.

mod convert;
mod database;
mod napi;
mod snapshot_stream;
mod sys;

use std::panic::{catch_unwind, AssertUnwindSafe};

/// The Node-API version the addon is built against (see scripts/gen-napi-bindings.sh).
const NAPI_VERSION: i32 = 8;

/// Node reads this to learn which Node-API version the module targets.
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    NAPI_VERSION
}

/// Node's module entry point (what NAPI_MODULE_INIT defines in C).
///
/// # Safety
/// Called by Node only, on the JS thread, with a live `env` and the module's `exports`.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: sys::napi_env, exports: sys::napi_value) -> sys::napi_value {
    let env = napi::Env::new(env);
    let registered = catch_unwind(AssertUnwindSafe(|| {
        database::register(env, exports).and_then(|()| snapshot_stream::register(env, exports))
    }))
        .unwrap_or_else(|panic| Err(napi::JsError::from_panic(panic)));
    if let Err(error) = registered {
        napi::error::throw(env, &error);
    }
    exports
}
