//! The safe layer over the raw bindings in `crate::sys`: values, errors, exported
//! functions, Promises, async work on the libuv pool, per-object worker threads,
//! threadsafe functions and wrapped handles.
//! Code outside this module never calls Node-API functions directly.

pub mod async_work;
pub mod env;
pub mod error;
pub mod export;
pub mod promise;
pub mod tsfn;
pub mod worker;
pub mod wrap;

pub use env::Env;
pub use error::{JsError, JsResult};

/// A JS value handle, valid in the callback (handle scope) that produced it.
pub type JsValue = crate::sys::napi_value;
/// Identifies which kind of wrapped handle an object holds (see `wrap`).
pub type TypeTag = crate::sys::napi_type_tag;
