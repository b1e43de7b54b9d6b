//! Keeping OpenBLAS's thread pool from hanging the tool under a memory limit.
//!
//! OpenBLAS starts one thread per CPU when it is loaded, and each thread reserves a buffer of
//! up to 128 MiB. Under a small address-space limit (`ulimit -v 150000`) the buffers cannot be
//! had; a thread then retries for ever, and OpenBLAS's exit handler, which waits for its
//! threads, never returns: every command printed its output and then spun at 100% CPU. Two
//! measures, each enough for the commands that multiply no matrices:
//!
//! - when the limit is small and `OPENBLAS_NUM_THREADS` is not set, the tool runs itself again
//!   with `OPENBLAS_NUM_THREADS=1` before doing anything (OpenBLAS reads the variable only when
//!   it is loaded), so that no helper thread exists;
//! - the process ends through `_exit` once its output is flushed, without exit handlers.

use chainplan::system;
use std::io::Write;

/// Address space per BLAS thread (and one for the rest of the tool) below which the tool runs
/// OpenBLAS with one thread: two of its 128 MiB buffers.
const BYTES_PER_THREAD: u64 = 256 << 20;

/// Runs the tool again with `OPENBLAS_NUM_THREADS=1` when the address-space limit is below
/// [`BYTES_PER_THREAD`] per CPU (plus one) and the variable is not set. Returns when nothing
/// needs doing, or when running again fails (the tool then goes on as it is).
pub fn one_thread_under_a_small_memory_limit() {
    if std::env::var_os("OPENBLAS_NUM_THREADS").is_some() {
        return;
    }
    let Some(limit) = system::address_space_limit() else {
        return;
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    if limit >= BYTES_PER_THREAD.saturating_mul(cpus + 1) {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    use std::os::unix::process::CommandExt;
    // exec replaces this process and returns only on failure.
    let _ = std::process::Command::new(exe)
        .arg0(arg0)
        .args(args)
        .env("OPENBLAS_NUM_THREADS", "1")
        .exec();
}

/// Flushes standard output and error, then ends the process with `code` through `_exit`.
pub fn exit_now(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    extern "C" {
        fn _exit(status: std::ffi::c_int) -> !;
    }
    // SAFETY: `_exit` ends the process at once; nothing after it runs, and the buffered
    // output was flushed above.
    unsafe { _exit(code) }
}
