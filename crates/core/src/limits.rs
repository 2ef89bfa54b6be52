//! The allowed ranges of the numeric settings that reach vectorlite, checked before it
//! sees them: vectorlite reads some of them as 32-bit signed integers, and hnswlib
//! allocates a whole index's capacity up front, so an out-of-range value would come back
//! as an unexplained INTERNAL error ("ef should be greater than 0", std::bad_alloc).

use crate::error::{Error, Result};

/// Largest search breadth (`ef`, `defaultEf`) and `efConstruction`. hnswlib keeps up to
/// this many candidates per query; far beyond any useful recall, well inside i32.
pub const MAX_EF: u32 = 1_000_000;

pub const MIN_M: u32 = 2;
pub const MAX_M: u32 = 256;

/// Largest up-front allocation an explicit `maxElements` may ask of hnswlib. The index
/// grows past its capacity on its own, so this only bounds the initial size.
pub const MAX_INDEX_BYTES: u64 = 8 << 30;

/// What hnswlib allocates per element of capacity: the vector, level-0 links (2·M of 4
/// bytes), the label, plus per-element lock, level and pointer bookkeeping.
pub fn index_bytes_per_element(dimension: u32, m: u32) -> u64 {
    dimension as u64 * 4 + m as u64 * 2 * 4 + 64
}

/// The largest `maxElements` a collection of this shape accepts.
pub fn max_elements_for(dimension: u32, m: u32) -> u32 {
    (MAX_INDEX_BYTES / index_bytes_per_element(dimension, m)).min(u32::MAX as u64) as u32
}

pub fn check_ef(what: &str, ef: u32) -> Result<()> {
    if !(1..=MAX_EF).contains(&ef) {
        return Err(Error::invalid(format!("{what} must be between 1 and {MAX_EF}, got {ef}")));
    }
    Ok(())
}

pub fn check_m(m: u32) -> Result<()> {
    if !(MIN_M..=MAX_M).contains(&m) {
        return Err(Error::invalid(format!("hnsw.m must be between {MIN_M} and {MAX_M}, got {m}")));
    }
    Ok(())
}

pub fn check_max_elements(max_elements: u32, dimension: u32, m: u32) -> Result<()> {
    let most = max_elements_for(dimension, m);
    if !(1..=most).contains(&max_elements) {
        return Err(Error::invalid(format!(
            "maxElements must be between 1 and {most} for dimension {dimension} and hnsw.m {m} \
             (the index allocates about {} bytes per element up front, at most {} GiB); \
             the index grows past maxElements by itself, so a smaller value only means later rebuilds, got {max_elements}",
            index_bytes_per_element(dimension, m),
            MAX_INDEX_BYTES >> 30
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(check_ef("ef", 1).is_ok() && check_ef("ef", MAX_EF).is_ok());
        assert!(check_ef("ef", 0).is_err() && check_ef("ef", MAX_EF + 1).is_err() && check_ef("ef", u32::MAX).is_err());
        assert!(check_m(2).is_ok() && check_m(256).is_ok() && check_m(1).is_err() && check_m(257).is_err());
        let most = max_elements_for(128, 16);
        assert!(check_max_elements(most, 128, 16).is_ok());
        assert!(check_max_elements(most + 1, 128, 16).is_err());
        assert!(check_max_elements(u32::MAX, 1, 2).is_err());
        assert!(most as u64 * index_bytes_per_element(128, 16) <= MAX_INDEX_BYTES);
    }
}
