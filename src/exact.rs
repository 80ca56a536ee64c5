//! Exact floating-point remainders without the library's software `fmod`.
//!
//! `f64::rem_euclid` divides by repeated subtraction, bit by bit, in the
//! compiler's builtins (x86-64 has no remainder instruction for SSE), which
//! costs hundreds of instructions when the quotient is large: a loop unit's
//! place on its lap a year into the run is such a remainder. The remainder
//! is always exactly representable, so it can be had from the quotient and
//! one exact product instead; [`rem_euclid`] gives the library's value bit
//! for bit, for every input.

/// `x.rem_euclid(y)`, bit for bit, without the software `fmod` for the
/// usual case (finite `x` and `y > 0` of moderate size, quotient below
/// 2^52).
#[inline]
pub fn rem_euclid(x: f64, y: f64) -> f64 {
    let r = match fmod_fast(x.abs(), y) {
        Some(m) => m.copysign(x),
        None => x % y,
    };
    // What `f64::rem_euclid` does with the remainder (the sum may round).
    if r < 0.0 {
        r + y.abs()
    } else {
        r
    }
}

/// Outside these magnitudes the exact product below could overflow or
/// lose bits to underflow.
const BIG: f64 = 1e150;
const SMALL: f64 = 1e-150;

/// `a % y` for `a >= 0` and `y > 0`, exactly, or `None` where the sizes
/// are outside what this handles.
#[inline]
fn fmod_fast(a: f64, y: f64) -> Option<f64> {
    // (NaN fails every comparison, so it goes to the library too.)
    if !(a < BIG && y > SMALL && y < BIG) {
        return None;
    }
    if a < y {
        return Some(a);
    }
    // (Finite and positive: `a` and `y` are within the bounds above.)
    let q = a / y;
    if q >= 4_503_599_627_370_496.0 {
        return None;
    }
    // The quotient's whole part, or one off it where `a / y` rounded across
    // an integer: corrected below.
    let mut n = q as u64 as f64;
    for _ in 0..2 {
        let r = minus_product(a, n, y);
        if r < 0.0 {
            n -= 1.0;
        } else if r >= y {
            n += 1.0;
        } else {
            return Some(r);
        }
    }
    None
}

/// `a - n * y` where that is the remainder or within one `y` of it
/// (`1 <= n <= a / y + 1`): exact. `n * y = p + e` exactly (Dekker's
/// product); `a - p` is exact (the two are within a factor of two), and so
/// is the last difference, whose true value is representable.
#[inline]
fn minus_product(a: f64, n: f64, y: f64) -> f64 {
    let p = n * y;
    let e = product_error(n, y, p);
    (a - p) - e
}

/// The rounding error of `p = a * b`: `a * b - p`, exactly (Veltkamp's
/// split of both factors into halves of 26 bits).
#[inline]
fn product_error(a: f64, b: f64, p: f64) -> f64 {
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    ((ah * bh - p) + ah * bl + al * bh) + al * bl
}

#[inline]
fn split(a: f64) -> (f64, f64) {
    const C: f64 = 134_217_729.0; // 2^27 + 1
    let t = C * a;
    let hi = t - (t - a);
    (hi, a - hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(x: f64, y: f64) {
        let (got, want) = (rem_euclid(x, y), x.rem_euclid(y));
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "rem_euclid({x:e}, {y:e}) = {got:e}, the library's {want:e}"
        );
    }

    #[test]
    fn special_values_are_the_library_s() {
        let vals = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::MIN_POSITIVE,
            5e-324,
            1e-200,
            1e200,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            0.1,
            0.3,
            660.0,
            86_400.0 * 365.0,
        ];
        for &x in &vals {
            for &y in &vals {
                same(x, y);
            }
        }
    }

    #[test]
    fn multiples_and_their_neighbours_are_the_library_s() {
        // Where `x / y` rounds across an integer.
        for &y in &[0.1, 0.7, 3.3, 611.37, 1e-3, 97.0 / 7.0] {
            for k in 0..2000u32 {
                let x = f64::from(k) * y;
                for x in [x, x.next_up(), x.next_down(), -x, -x.next_up()] {
                    same(x, y);
                }
            }
        }
    }

    proptest! {
        /// Times into a year against laps of a few minutes, as a loop's
        /// place on its lap is asked.
        #[test]
        fn laps_into_a_year_are_the_library_s(x in -1e3..4e7f64, y in 1.0..3e3f64) {
            same(x, y);
        }

        /// Any finite values, bit patterns drawn at random.
        #[test]
        fn any_values_are_the_library_s(a in any::<u64>(), b in any::<u64>()) {
            same(f64::from_bits(a), f64::from_bits(b));
        }

        /// Values of any sign and magnitudes across the fast path's range
        /// and beyond it.
        #[test]
        fn values_of_any_magnitude_are_the_library_s(
            mx in -2.0..2.0f64, ex in -170..170i32, my in 1.0..2.0f64, ey in -170..170i32,
        ) {
            same(mx * 2f64.powi(ex), my * 2f64.powi(ey));
        }

        /// Quotients near the limit of the fast path.
        #[test]
        fn large_quotients_are_the_library_s(e in 40..60i32, m in 1.0..2.0f64, y in 0.5..2.0f64) {
            same(m * 2f64.powi(e) * y, y);
        }
    }
}
