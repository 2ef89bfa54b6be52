//! Vector validation, the blob encoding vectorlite reads (f32 little-endian), and
//! brute-force distances defined exactly as vectorlite's: cosine = 1 - cos,
//! l2 = squared euclidean, ip = 1 - dot.

use crate::error::{Error, ErrorCode, Result};
use crate::types::Distance;

pub const MAX_DIMENSION: u32 = 65_536;

pub fn validate(vector: &[f32], dimension: u32) -> Result<()> {
    if vector.is_empty() {
        return Err(Error::invalid("vector must not be empty"));
    }
    if vector.len() != dimension as usize {
        return Err(Error::new(
            ErrorCode::DimensionMismatch,
            format!(
                "vector has {} components but the collection's dimension is {dimension}",
                vector.len()
            ),
        ));
    }
    if let Some(i) = vector.iter().position(|x| !x.is_finite()) {
        return Err(Error::invalid(format!(
            "vector component {i} is {}; every component must be a finite number",
            vector[i]
        )));
    }
    Ok(())
}

pub fn to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn from_blob(blob: &[u8]) -> Result<Vec<f32>> {
    if blob.len() % 4 != 0 {
        return Err(Error::internal(format!(
            "stored vector has {} bytes, not a multiple of 4",
            blob.len()
        )));
    }
    Ok(blob
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// Accumulates in f64 so the result is at least as exact as vectorlite's SIMD f32 sums;
/// the two agree to f32 rounding.
pub fn distance(kind: Distance, a: &[f32], b: &[f32]) -> f32 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    match kind {
        Distance::Ip => (1.0 - dot) as f32,
        Distance::L2 => a
            .iter()
            .zip(b)
            .map(|(x, y)| {
                let d = *x as f64 - *y as f64;
                d * d
            })
            .sum::<f64>() as f32,
        Distance::Cosine => {
            let na: f64 = a.iter().map(|x| *x as f64 * *x as f64).sum::<f64>().sqrt();
            let nb: f64 = b.iter().map(|x| *x as f64 * *x as f64).sum::<f64>().sqrt();
            if na == 0.0 || nb == 0.0 {
                // vectorlite normalizes a zero vector to itself, so its dot product is 0.
                1.0
            } else {
                (1.0 - dot / (na * nb)) as f32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_round_trip() {
        let v = vec![1.5f32, -2.0, 0.0, f32::MIN_POSITIVE];
        assert_eq!(from_blob(&to_blob(&v)).unwrap(), v);
    }

    #[test]
    fn distances_follow_vectorlite_definitions() {
        let a = [1.0f32, 0.0];
        let b = [0.0f32, 2.0];
        assert!((distance(Distance::Cosine, &a, &b) - 1.0).abs() < 1e-6);
        assert!((distance(Distance::L2, &a, &b) - 5.0).abs() < 1e-6);
        assert!((distance(Distance::Ip, &a, &a) - 0.0).abs() < 1e-6);
    }

    #[test]
    fn validation_codes() {
        assert_eq!(validate(&[], 1).unwrap_err().code, ErrorCode::InvalidArgument);
        assert_eq!(validate(&[1.0], 2).unwrap_err().code, ErrorCode::DimensionMismatch);
        assert_eq!(validate(&[f32::NAN], 1).unwrap_err().code, ErrorCode::InvalidArgument);
        assert_eq!(validate(&[f32::INFINITY], 1).unwrap_err().code, ErrorCode::InvalidArgument);
        assert!(validate(&[0.5], 1).is_ok());
    }
}
