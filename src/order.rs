//! Keys of `f64` values as unsigned integers that order as `f64::total_cmp`
//! does: sorts, heaps and merges of times compare one integer, and a key
//! gives its value back bit for bit.

/// The bits of `x` as a number that orders as [`f64::total_cmp`] does.
#[inline]
pub fn ordered(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

/// The value whose [`ordered`] key is `k`.
#[inline]
pub fn from_ordered(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Keys order as `total_cmp` does and give the value back.
        #[test]
        fn keys_order_as_total_cmp(a in proptest::num::f64::ANY, b in proptest::num::f64::ANY) {
            for (x, y) in [(a, b), (a, -a), (a, a)] {
                proptest::prop_assert_eq!(ordered(x).cmp(&ordered(y)), x.total_cmp(&y));
                proptest::prop_assert_eq!(from_ordered(ordered(x)).to_bits(), x.to_bits());
            }
        }
    }
}
