//! Link settings for a Node-API addon. The N-API functions live in the node executable
//! that loads the addon, so the cdylib must leave them undefined and let the loader bind
//! them.
//!
//! - Linux: shared objects may have undefined symbols by default; nothing to do.
//! - macOS: the linker rejects undefined symbols unless told to look them up at load time.
//! - Windows: symbols must come from an import library. Node ships `node.lib` in its
//!   headers tarball (`node-v<version>-headers.tar.gz`, `win-x64/node.lib`); point
//!   `NODE_LIB_DIR` at the folder holding it. (Untested here: no Windows builder.)
use std::env;

fn main() {
    println!("cargo:rerun-if-env-changed=NODE_LIB_DIR");
    match env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("macos") => {
            println!("cargo:rustc-cdylib-link-arg=-undefined");
            println!("cargo:rustc-cdylib-link-arg=dynamic_lookup");
        }
        Ok("windows") => match env::var("NODE_LIB_DIR") {
            Ok(dir) => {
                println!("cargo:rustc-link-search=native={dir}");
                println!("cargo:rustc-link-lib=dylib=node");
            }
            Err(_) => println!(
                "cargo:warning=set NODE_LIB_DIR to the folder holding node.lib (from Node's headers tarball) or linking fails"
            ),
        },
        _ => {}
    }
}
