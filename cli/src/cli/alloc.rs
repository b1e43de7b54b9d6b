//! The last line of defence against aborts: an allocator that turns a failed allocation into
//! one `error:` line and exit status 2.
//!
//! Sizes are checked before large allocations (planner tables, benchmark operands, timings),
//! but a report's strings and vectors, or memory that another process takes meanwhile, can
//! still fail to be had, above all under an address-space limit (`ulimit -v`). Rust's default
//! is to print "memory allocation failed" and abort (exit 134); this allocator prints one line
//! and exits with 2 instead. `try_reserve` callers get the same treatment: a failure is final.

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator, with failures reported as one line and exit status 2.
pub struct Guard;

// SAFETY: every method forwards to `System` with the same arguments; only a null result is
// acted on, by ending the process.
unsafe impl GlobalAlloc for Guard {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        checked(System.alloc(layout), layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        checked(System.alloc_zeroed(layout), layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        checked(System.realloc(ptr, layout, new_size), new_size)
    }
}

/// `ptr`, or the end of the process with one line when it is null.
fn checked(ptr: *mut u8, size: usize) -> *mut u8 {
    if ptr.is_null() {
        out_of_memory(size);
    }
    ptr
}

/// Writes the message without allocating, then exits with status 2 without exit handlers.
fn out_of_memory(size: usize) -> ! {
    let mut line = [0u8; 160];
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        let n = bytes.len().min(line.len() - len);
        line[len..len + n].copy_from_slice(&bytes[..n]);
        len += n;
    };
    put(b"error: out of memory: cannot allocate ");
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut x = size;
    loop {
        i -= 1;
        digits[i] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    put(&digits[i..]);
    put(b" bytes; the request is too large for the memory that can be had\n");
    extern "C" {
        fn write(fd: std::ffi::c_int, buf: *const u8, count: usize) -> isize;
        fn _exit(status: std::ffi::c_int) -> !;
    }
    // SAFETY: `line[..len]` is initialised memory; writing it to file descriptor 2 and ending
    // the process need no allocation.
    unsafe {
        let _ = write(2, line.as_ptr(), len);
        _exit(2)
    }
}
