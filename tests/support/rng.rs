//! [`Rng`]: deterministic pseudo-random numbers (xorshift64*), the same on every run, for
//! tests, benchmarks and the fuzz kit.

/// xorshift64*: the same numbers on every run from the same seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed` (zero, which xorshift cannot leave, is replaced).
    pub fn new(seed: u64) -> Self {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`0` if `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A chunk length in `1..=max` (`usize::MAX`: everything at once).
    pub fn chunk(&mut self, max: u64) -> usize {
        match max {
            u64::MAX => usize::MAX,
            max => 1 + self.below(max) as usize,
        }
    }
}
