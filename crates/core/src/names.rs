//! Collection names and the internal names derived from them.
//!
//! Every internal object carries the `vxl_` prefix, which collection names may not use, so
//! a user table can never collide with engine state.

use crate::error::{Error, Result};

pub const INTERNAL_PREFIX: &str = "vxl_";
pub const REGISTRY_TABLE: &str = "vxl_collections";
pub const META_TABLE: &str = "vxl_meta";

pub fn validate_collection_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let valid_start = chars
        .next()
        .map(|c| c.is_ascii_alphabetic() || c == '_')
        .unwrap_or(false);
    if !valid_start || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::invalid(format!(
            "collection name '{name}' must be an SQL identifier: letters, digits and '_', not starting with a digit"
        )));
    }
    if name.len() > 128 {
        return Err(Error::invalid("collection name must be at most 128 characters"));
    }
    let lower = name.to_ascii_lowercase();
    if lower.starts_with(INTERNAL_PREFIX) || lower.starts_with("sqlite_") {
        return Err(Error::invalid(format!(
            "collection name '{name}' must not start with '{INTERNAL_PREFIX}' or 'sqlite_' (reserved)"
        )));
    }
    Ok(())
}

/// Durable vectors of a collection: an ordinary table, written with the payload row.
pub fn vectors_table(collection: &str) -> String {
    format!("vxl_vec_{collection}")
}

/// The vectorlite virtual table (in the connection's temp schema) caching the HNSW index.
pub fn index_table(collection: &str) -> String {
    format!("vxl_idx_{collection}")
}

/// Quotes an identifier for SQL; names are validated identifiers, quoting is belt and braces.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_identifiers() {
        for ok in ["a", "_x", "Docs_2", "A1b2"] {
            assert!(validate_collection_name(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_non_identifiers_and_reserved() {
        for bad in ["", "1a", "a-b", "a b", "a;b", "vxl_x", "VXL_x", "sqlite_master", "é"] {
            assert!(validate_collection_name(bad).is_err(), "{bad}");
        }
    }
}
