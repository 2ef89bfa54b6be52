//! What the examples share: where vectorlite is, and the tests' random vectors.

use std::path::PathBuf;

/// `given`, else the library the npm `vectorlite` package installed for linux-x64.
pub fn vectorlite_path(given: Option<String>) -> PathBuf {
    given.map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../node_modules/@1yefuwang1/vectorlite-linux-x64/src/vectorlite.so")
    })
}

/// The same xorshift64* stream as the tests' Rng: values uniform in [-1, 1).
pub struct Uniform(u64);

impl Uniform {
    pub fn new(seed: u64) -> Uniform {
        Uniform(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32) * 2.0
            - 1.0
    }

    pub fn vectors(&mut self, count: usize, dim: usize) -> Vec<Vec<f32>> {
        (0..count)
            .map(|_| (0..dim).map(|_| self.next()).collect())
            .collect()
    }
}
