//! Every heap block of the wasm is zeroed before it is freed (and before a
//! `realloc` moves it), so no credential, token request body, token or
//! vendor echo outlives its owner in linear memory: not the copies the
//! wasm-bindgen glue makes when a string crosses into the wasm, not the
//! buffers a `String` leaves behind as it grows, not a dropped client's
//! configuration (docs/API.md §8 says what is wiped and what cannot be).
//! JavaScript strings are outside the wasm and cannot be wiped.
//!
//! The wasm allocates per token request, not per API call, so zeroing on
//! free costs nothing measurable.

use core::alloc::{GlobalAlloc, Layout};

pub struct WipeOnFree<A>(pub A);

/// Zeroes `len` bytes at `ptr` in a way the optimiser keeps: the block is
/// about to be freed, so the stores would otherwise look dead.
///
/// # Safety
/// `ptr` must be valid for writes of `len` bytes.
unsafe fn zero(ptr: *mut u8, len: usize) {
    // SAFETY: the caller guarantees `ptr..ptr + len` is writable.
    unsafe { core::ptr::write_bytes(ptr, 0, len) };
    core::hint::black_box(ptr);
}

// SAFETY: every method forwards to the inner allocator with the layouts it
// was given, and only writes within blocks the caller owns.
unsafe impl<A: GlobalAlloc> GlobalAlloc for WipeOnFree<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller owns the block of `layout.size()` bytes at `ptr`.
        unsafe {
            zero(ptr, layout.size());
            self.0.dealloc(ptr, layout);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `new_size` is non-zero and, rounded up to the alignment,
        // does not overflow (GlobalAlloc::realloc's contract); the old block
        // is copied, then zeroed and freed, only once the new one exists.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.0.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}
