//! Huge pages for the large arrays that queries read at random.
//!
//! The router's tables, trees and hierarchy, and the network's adjacency,
//! are tens of megabytes read at scattered places on every call. On 4 KiB
//! pages nearly every such read also misses the TLB, and on a virtual
//! machine a miss walks two sets of page tables. [`prefer_huge`] asks Linux
//! to back an array with 2 MiB pages (transparent huge pages): at once
//! where it can, and at the next page fault otherwise. The kernel may
//! decline (huge pages switched off, memory too fragmented); nothing else
//! changes, and on other systems it does nothing. It never changes what
//! the array holds.
//!
//! Most of those arrays are smaller than a huge page, and the allocator
//! keeps them among others in its heap; [`prefer_huge_heap`] asks the same
//! for the whole heap, once a scenario is prepared (Porto's year: about
//! 6 % less time, and 0.25 s more to prepare).

/// Size of a huge page on x86-64 and arm64 Linux, bytes.
#[cfg(target_os = "linux")]
const HUGE: usize = 2 << 20;

/// As [`prefer_huge`], for the process's heap (the `[heap]` mappings of
/// `/proc/self/maps`): where the allocator keeps the arrays too small for
/// mappings of their own.
pub fn prefer_huge_heap() {
    #[cfg(target_os = "linux")]
    {
        let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
            return;
        };
        for line in maps.lines().filter(|l| l.ends_with("[heap]")) {
            let range = line.split_whitespace().next().unwrap_or("");
            let Some((a, b)) = range.split_once('-') else {
                continue;
            };
            let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
            else {
                continue;
            };
            advise(a, b - a);
        }
    }
}

/// Ask for the whole 2 MiB pages within `v` to be huge pages, and for the
/// ones already in memory to be made so now (`MADV_COLLAPSE`, Linux 6.1 and
/// later; older kernels leave them to their background thread). An array
/// that holds no whole huge page stays as it is.
pub fn prefer_huge<T>(v: &[T]) {
    #[cfg(target_os = "linux")]
    {
        advise(v.as_ptr() as usize, std::mem::size_of_val(v));
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// The advice of [`prefer_huge`] for the `bytes` mapped from `start`.
#[cfg(target_os = "linux")]
fn advise(start: usize, bytes: usize) {
    let (a, b) = (start.next_multiple_of(HUGE), (start + bytes) / HUGE * HUGE);
    if b <= a {
        return;
    }
    /// `MADV_COLLAPSE` (not in every libc binding).
    const MADV_COLLAPSE: libc::c_int = 25;
    // SAFETY: both calls are advice about `[a, b)`, within memory the
    // caller has mapped, and keep its contents; the kernel checks the
    // range (a refusal returns an error, which is ignored).
    unsafe {
        let p = a as *mut libc::c_void;
        libc::madvise(p, b - a, libc::MADV_HUGEPAGE);
        libc::madvise(p, b - a, MADV_COLLAPSE);
    }
}

#[cfg(test)]
mod tests {
    use super::{prefer_huge, prefer_huge_heap};

    #[test]
    fn arrays_keep_what_they_hold() {
        // 24 MiB: several whole huge pages, and parts at either end.
        let v: Vec<u64> = (0..3u64 << 20)
            .map(|i| i.wrapping_mul(0x9e37_79b9))
            .collect();
        let sum: u64 = v.iter().fold(0, |a, &x| a.wrapping_add(x));
        prefer_huge(&v);
        prefer_huge(&v[1..]);
        assert_eq!(v.len(), 3 << 20);
        assert_eq!(v[12_345], 12_345u64.wrapping_mul(0x9e37_79b9));
        assert_eq!(v.iter().fold(0, |a: u64, &x| a.wrapping_add(x)), sum);
        // Arrays with no whole huge page in them: nothing is asked.
        prefer_huge(&v[..3]);
        prefer_huge::<u8>(&[]);
        assert_eq!(v[1], 0x9e37_79b9);
    }

    #[test]
    fn the_heap_keeps_what_it_holds() {
        // Many small arrays, where the allocator keeps them: in its heap.
        let arrays: Vec<Vec<u32>> = (0..2_000u32)
            .map(|i| (0..500).map(|j| i.wrapping_mul(31) ^ j).collect())
            .collect();
        prefer_huge_heap();
        for (i, a) in arrays.iter().enumerate() {
            assert!(a
                .iter()
                .enumerate()
                .all(|(j, &x)| x == (i as u32).wrapping_mul(31) ^ j as u32));
        }
        // Allocating and freeing afterwards works as before.
        let more: Vec<Vec<u8>> = (0..100).map(|i| vec![i as u8; 10_000]).collect();
        assert!(more
            .iter()
            .enumerate()
            .all(|(i, v)| v.iter().all(|&x| x == i as u8)));
    }
}
