//! A global allocator that asks Linux for transparent huge pages on large
//! blocks, for programs that verify large matrices.
//!
//! A verification allocates matrix-sized buffers at every step (a
//! 1024 × 4096 f64 iterate is 32 MiB). On a kernel whose transparent huge
//! pages are in `madvise` mode (the common default), each fresh buffer is
//! faulted in 4 KiB at a time: 8192 faults for that iterate, about 20 ms on
//! the 2-core machine behind the README's benchmarks, as long as the whole
//! pass that then writes it. [`HugePageAlloc`] passes every request to the
//! system allocator and, for blocks of [`HUGE_MIN_BYTES`] or more, marks the
//! 2 MiB-aligned pages inside the block with `madvise(MADV_HUGEPAGE)`, so
//! they are faulted in 2 MiB at a time. numpy does the same for its large
//! arrays, which is why the benchmarks against it use this allocator too.
//!
//! The advice changes no byte of the block. It marks the address range
//! itself (the kernel splits the mapping there), so memory the system
//! allocator later hands out again from that range gets huge pages too.
//! When the kernel refuses it (huge pages compiled out, another system) the
//! block is used as it is, and `errno` is left as it was. On systems other
//! than Linux the allocator is the system's.
//!
//! It is opt-in: a library does not choose a program's allocator. The
//! `polar-coeffs` binary and the verification benchmark install it:
//!
//! ```
//! #[global_allocator]
//! static ALLOC: polar_coeffs::memory::HugePageAlloc = polar_coeffs::memory::HugePageAlloc;
//! # fn main() {}
//! ```

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of this many bytes and more are advised (the threshold numpy uses).
pub const HUGE_MIN_BYTES: usize = 4 << 20;

/// The size of a transparent huge page on x86-64 and most aarch64 kernels.
/// Only the pages of this size that lie wholly inside a block are advised.
pub const HUGE_PAGE_BYTES: usize = 2 << 20;

/// The system allocator, with huge pages asked for on large blocks (see the
/// module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct HugePageAlloc;

// SAFETY: every request is served by `System`, unchanged; the only addition
// is an `madvise` advice on whole pages inside a block that was just handed
// out (and is not yet visible to anyone else), which leaves its contents and
// its mapping as they were.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `layout` is passed on as is.
        let block = unsafe { System.alloc(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        let block = unsafe { System.alloc_zeroed(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: `block` came from `System` with this layout.
        unsafe { System.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `block` came from `System` with this layout.
        let moved = unsafe { System.realloc(block, layout, new_size) };
        advise(moved, new_size);
        moved
    }
}

/// The whole huge pages inside `[start, start + len)`, as (first byte,
/// length); `None` when the block holds none or is below [`HUGE_MIN_BYTES`].
pub fn huge_pages_inside(start: usize, len: usize) -> Option<(usize, usize)> {
    if len < HUGE_MIN_BYTES {
        return None;
    }
    let first = start.checked_add(HUGE_PAGE_BYTES - 1)? & !(HUGE_PAGE_BYTES - 1);
    let end = start.checked_add(len)? & !(HUGE_PAGE_BYTES - 1);
    (end > first).then(|| (first, end - first))
}

#[cfg(target_os = "linux")]
fn advise(block: *mut u8, len: usize) {
    if block.is_null() {
        return;
    }
    if let Some((first, bytes)) = huge_pages_inside(block as usize, len) {
        // SAFETY: [first, first + bytes) lies inside the block just
        // allocated; MADV_HUGEPAGE is advice that keeps the contents. Its
        // failure (huge pages compiled out, EINVAL) leaves the block as it
        // was, so the result is not needed, and errno (a thread-local the
        // caller may still read) is restored through the pointer glibc
        // gives for it.
        unsafe {
            let errno = libc::__errno_location();
            let saved = *errno;
            libc::madvise(first as *mut libc::c_void, bytes, libc::MADV_HUGEPAGE);
            *errno = saved;
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_block: *mut u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_inside_a_block() {
        const P: usize = HUGE_PAGE_BYTES;
        // Below the threshold: nothing, even when aligned.
        assert_eq!(huge_pages_inside(P, HUGE_MIN_BYTES - 1), None);
        // Aligned: every page.
        assert_eq!(huge_pages_inside(P, 4 * P), Some((P, 4 * P)));
        // One byte past a boundary: the first and last partial pages dropped.
        assert_eq!(huge_pages_inside(P + 16, 4 * P), Some((2 * P, 3 * P)));
        // Overflow at the top of the address space: nothing.
        assert_eq!(huge_pages_inside(usize::MAX - P, 4 * P), None);
    }

    #[test]
    fn blocks_keep_their_contents() {
        let alloc = HugePageAlloc;
        let layout = Layout::from_size_align(3 * HUGE_MIN_BYTES, 64).unwrap();
        // SAFETY: the layout is non-zero; every block is freed with the
        // layout it has.
        unsafe {
            let zeroed = alloc.alloc_zeroed(layout);
            assert!(!zeroed.is_null());
            let bytes = std::slice::from_raw_parts_mut(zeroed, layout.size());
            assert!(bytes.iter().all(|&b| b == 0));
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = (i % 251) as u8;
            }
            let grown = alloc.realloc(zeroed, layout, 5 * HUGE_MIN_BYTES);
            assert!(!grown.is_null());
            let bytes = std::slice::from_raw_parts(grown, layout.size());
            assert!(bytes.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
            alloc.dealloc(grown, Layout::from_size_align(5 * HUGE_MIN_BYTES, 64).unwrap());
        }
    }

    /// The advice reaches the kernel: the mapping of a large block carries
    /// the `hg` flag (VM_HUGEPAGE) in /proc/self/smaps wherever the kernel
    /// has transparent huge pages (sysfs shows them); elsewhere the flag is
    /// not asserted either way.
    #[cfg(target_os = "linux")]
    #[test]
    fn large_blocks_are_advised() {
        let thp = std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists();
        let alloc = HugePageAlloc;
        let layout = Layout::from_size_align(4 * HUGE_MIN_BYTES, 64).unwrap();
        // SAFETY: as above.
        let block = unsafe { alloc.alloc(layout) };
        assert!(!block.is_null());
        let (first, _) = huge_pages_inside(block as usize, layout.size()).unwrap();
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let flags = mapping_flags(&smaps, first).expect("the block's mapping is listed");
        // SAFETY: allocated above with this layout.
        unsafe { alloc.dealloc(block, layout) };
        if thp {
            assert!(flags.split_whitespace().any(|f| f == "hg"), "VmFlags: {flags}");
        }
    }

    /// The `VmFlags` line of the mapping of /proc/self/smaps that holds
    /// `address`.
    #[cfg(target_os = "linux")]
    fn mapping_flags(smaps: &str, address: usize) -> Option<String> {
        let mut inside = false;
        for line in smaps.lines() {
            let range = line.split_whitespace().next().and_then(|r| r.split_once('-'));
            if let Some((lo, hi)) = range
                && let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = lo <= address && address < hi;
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return Some(flags.trim().to_string());
            }
        }
        None
    }
}
