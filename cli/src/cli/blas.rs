//! OpenBLAS's thread pool, started with the threads each command needs.
//!
//! OpenBLAS starts its threads in its library constructor, which the dynamic loader runs
//! before `main`, with the count it reads from `OPENBLAS_NUM_THREADS` (else
//! `GOTO_NUM_THREADS`, `OMP_NUM_THREADS`, one per CPU). Under a narrow address-space limit
//! (`ulimit -v 50000`) `pthread_create` fails there and OpenBLAS raises SIGINT (exit 130)
//! before the tool can say anything; under a wider one its threads later spin for ever on a
//! buffer they cannot map. So:
//!
//! - the program's `.preinit_array` entry, which the loader runs before any shared library's
//!   constructor, executes the program again with `OPENBLAS_NUM_THREADS=1`, the user's own
//!   value (if any) kept in [`USER_VALUE`], and a marker. (A `setenv` there would be lost: the
//!   C library's environment is set up only after this entry runs, from the loader's
//!   original one.) `main` restores the user's environment ([`restore_environment`]). Every
//!   command thus starts with no BLAS helper thread;
//! - the commands that multiply (`bench`, `calibrate`, `expr --bench`) start the threads they
//!   need at run time through `openblas_set_num_threads` ([`start_threads`]): the user's
//!   count (or `--threads`), else one per CPU, after checking that the address-space limit
//!   holds them and that the threads can be created at all (the process limit `ulimit -u`
//!   counts threads); a count either cannot hold is refused with one line, or lowered when
//!   the user gave none;
//! - the process ends through `_exit` once its output is flushed, without exit handlers.

use anyhow::{bail, Result};
use chainplan::system;
use std::ffi::{c_char, c_int};
use std::io::Write;
use std::sync::OnceLock;

/// Address space per BLAS thread (and one for the rest of the tool) that a thread count must
/// find under the address-space limit: two of OpenBLAS's 128 MiB buffers.
const BYTES_PER_THREAD: u64 = 256 << 20;

/// Set in the environment of the re-executed program.
const MARKER: &str = "CHAINPLAN_BLAS_START";

/// Holds the user's `OPENBLAS_NUM_THREADS` in the re-executed program, when it was set.
const USER_VALUE: &str = "CHAINPLAN_USER_OPENBLAS_NUM_THREADS";

/// The user's `OPENBLAS_NUM_THREADS`, as [`restore_environment`] found it (`None`: unset).
static USER_THREADS: OnceLock<Option<String>> = OnceLock::new();

/// Most environment entries the re-execution copies; with more, the program runs as it is.
const MAX_ENV: usize = 4096;

/// The environment of the re-execution: the loader's entries, ours, and the closing null.
static mut NEW_ENV: [*const c_char; MAX_ENV + 4] = [std::ptr::null(); MAX_ENV + 4];

/// Room for `CHAINPLAN_USER_OPENBLAS_NUM_THREADS=` and the user's value with its NUL.
static mut USER_ENTRY: [u8; 512] = [0; 512];

extern "C" {
    fn execve(path: *const c_char, argv: *const *const c_char, envp: *const *const c_char)
        -> c_int;
}

/// The value of `entry` when it is `name=value` (for ASCII `name`), as a pointer into it.
///
/// # Safety
/// `entry` must point to a NUL-terminated string.
unsafe fn value_of(entry: *const c_char, name: &str) -> Option<*const c_char> {
    for (i, b) in name.bytes().chain(std::iter::once(b'=')).enumerate() {
        // SAFETY: the bytes before index i matched non-NUL bytes of `name`, so the string
        // continues at least to index i (its NUL, at worst).
        if unsafe { *entry.add(i) } as u8 != b {
            return None;
        }
    }
    // SAFETY: within the string, just after its `=`.
    Some(unsafe { entry.add(name.len() + 1) })
}

/// Runs before every shared library's constructor (see the module documentation): executes
/// the program again with `OPENBLAS_NUM_THREADS=1` in place of the user's value, which is
/// kept in [`USER_VALUE`], and the marker. It allocates nothing and calls only `execve`: the
/// C library is not set up yet. In the re-executed program (the marker is set), or on any
/// failure, it returns and the program runs as it is.
extern "C" fn one_blas_thread_before_libraries(
    _argc: c_int,
    argv: *const *const c_char,
    envp: *const *const c_char,
) {
    if argv.is_null() || envp.is_null() {
        return;
    }
    // SAFETY: the loader runs this once, on its only thread, before anything else of the
    // program: nothing else can reach NEW_ENV or USER_ENTRY. The loader's `envp` is a
    // null-terminated array of NUL-terminated strings, read below its null entry only. At
    // most MAX_ENV entries are copied, then at most three more and the null, within the
    // MAX_ENV + 4 slots; the user's value is copied only when it fits USER_ENTRY with its
    // NUL. execve returns only on failure and keeps nothing.
    unsafe {
        let env: &mut [*const c_char; MAX_ENV + 4] = &mut *std::ptr::addr_of_mut!(NEW_ENV);
        let user: &mut [u8; 512] = &mut *std::ptr::addr_of_mut!(USER_ENTRY);
        let mut n = 0;
        let mut i = 0;
        loop {
            let entry = *envp.add(i);
            if entry.is_null() {
                break;
            }
            i += 1;
            if value_of(entry, MARKER).is_some() || value_of(entry, USER_VALUE).is_some() {
                return;
            }
            if let Some(value) = value_of(entry, "OPENBLAS_NUM_THREADS") {
                let prefix = USER_VALUE.len() + 1;
                let mut len = 0;
                while *value.add(len) != 0 {
                    if prefix + len + 1 >= user.len() {
                        return;
                    }
                    len += 1;
                }
                user[..USER_VALUE.len()].copy_from_slice(USER_VALUE.as_bytes());
                user[USER_VALUE.len()] = b'=';
                for k in 0..len {
                    user[prefix + k] = *value.add(k) as u8;
                }
                user[prefix + len] = 0;
                env[n] = user.as_ptr().cast();
            } else {
                env[n] = entry;
            }
            n += 1;
            if n == MAX_ENV {
                return;
            }
        }
        env[n] = c"OPENBLAS_NUM_THREADS=1".as_ptr();
        env[n + 1] = c"CHAINPLAN_BLAS_START=1".as_ptr();
        env[n + 2] = std::ptr::null();
        execve(c"/proc/self/exe".as_ptr(), argv, env.as_ptr());
    }
}

/// The loader calls the functions in `.preinit_array` of the program before the constructors
/// of its shared libraries (OpenBLAS's among them).
#[used]
#[link_section = ".preinit_array"]
static PREINIT: extern "C" fn(c_int, *const *const c_char, *const *const c_char) =
    one_blas_thread_before_libraries;

/// Gives the environment back the user's `OPENBLAS_NUM_THREADS` (or none) and removes the
/// marker, remembering the user's value for [`default_threads`]. Call it first in `main`,
/// before any thread starts.
pub fn restore_environment() {
    if std::env::var_os(MARKER).is_none() {
        // Not re-executed (no /proc, or an environment too large): OpenBLAS read the user's
        // variables itself.
        let _ = USER_THREADS.set(None);
        return;
    }
    let user = std::env::var(USER_VALUE).ok();
    std::env::remove_var(MARKER);
    std::env::remove_var(USER_VALUE);
    match &user {
        Some(v) => std::env::set_var("OPENBLAS_NUM_THREADS", v),
        None => std::env::remove_var("OPENBLAS_NUM_THREADS"),
    }
    let _ = USER_THREADS.set(Some(user.unwrap_or_default()));
}

/// A thread count as OpenBLAS reads one from the environment: the leading digits of the
/// value; `None` for none or 0.
fn count_of(value: &str) -> Option<usize> {
    let digits: String = value
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse::<usize>().ok().filter(|&n| n > 0)
}

/// The BLAS threads a command uses unless told otherwise: the user's count, from
/// `OPENBLAS_NUM_THREADS`, `GOTO_NUM_THREADS` or `OMP_NUM_THREADS` as OpenBLAS reads them,
/// else one per logical CPU; at most what the BLAS was built for.
pub fn default_threads() -> usize {
    let Some(Some(openblas)) = USER_THREADS.get() else {
        // OpenBLAS started with the user's own variables.
        return system::blas_threads();
    };
    let from_env = count_of(openblas)
        .or_else(|| {
            std::env::var("GOTO_NUM_THREADS")
                .ok()
                .as_deref()
                .and_then(count_of)
        })
        .or_else(|| {
            std::env::var("OMP_NUM_THREADS")
                .ok()
                .as_deref()
                .and_then(count_of)
        });
    let n = from_env.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    n.min(system::max_blas_threads()).max(1)
}

/// The most BLAS threads the address-space limit holds (`None`: no limit).
fn threads_the_limit_holds() -> Option<usize> {
    let limit = system::address_space_limit()?;
    Some(usize::try_from(limit / BYTES_PER_THREAD).map_or(usize::MAX, |n| n.saturating_sub(1)))
}

/// Starts the BLAS threads a multiplying command uses: `threads` if given (`flag` names where
/// it came from), refused with one line when above the BLAS's maximum or what the
/// address-space limit holds; else [`default_threads`], lowered to what the limit holds.
/// Returns the count in force.
pub fn start_threads(threads: Option<usize>, flag: &str) -> Result<usize> {
    let holds = threads_the_limit_holds();
    if holds == Some(0) {
        // OpenBLAS's first product maps a 128 MiB buffer; when it cannot, it retries for ever.
        bail!(
            "the address-space limit (ulimit -v) is {} MiB; OpenBLAS needs at least {} MiB to \
             multiply matrices",
            system::address_space_limit().unwrap_or(0) >> 20,
            (2 * BYTES_PER_THREAD) >> 20
        );
    }
    let n = match threads {
        Some(n) => {
            let max = system::max_blas_threads();
            if n > max {
                bail!(
                    "{flag} is {n}; this BLAS runs at most {max} threads ({})",
                    system::blas_name()
                );
            }
            if let Some(holds) = holds.filter(|&h| n > h) {
                bail!(
                    "{flag} is {n}; the address-space limit (ulimit -v) holds at most {holds} \
                     BLAS threads of {} MiB each",
                    BYTES_PER_THREAD >> 20
                );
            }
            n
        }
        None => default_threads().min(holds.unwrap_or(usize::MAX)).max(1),
    };
    if n == system::blas_threads() {
        return Ok(n);
    }
    // When `openblas_set_num_threads` cannot create a thread, OpenBLAS says nothing and then
    // waits for ever in its first product for the worker it never started (seen under
    // `ulimit -u`, which counts threads). Try the threads first, so that a count the process
    // limit or the system's cannot hold is refused with one line, or lowered when the user
    // chose no count.
    let room = threads_that_start(n);
    let n = if room >= n {
        n
    } else if threads.is_some() {
        bail!(
            "{flag} is {n}; only {room} threads can start here (the process limit, ulimit -u, \
             or the system's)"
        );
    } else {
        room
    };
    if n == system::blas_threads() {
        return Ok(n);
    }
    Ok(system::set_blas_threads(n))
}

/// How many of `n` threads (this one and `n - 1` more) can start now, at most `n`: the
/// helper threads are started and kept waiting until all have been tried, then ended, and
/// this returns once the kernel has counted them out, so their slots are free again for
/// OpenBLAS's.
fn threads_that_start(n: usize) -> usize {
    let before = threads_now();
    let mut waiting = Vec::new();
    for _ in 1..n {
        let (keep, wait) = std::sync::mpsc::channel::<()>();
        match std::thread::Builder::new()
            .stack_size(64 << 10)
            .spawn(move || {
                // Returns when `keep` is dropped.
                let _ = wait.recv();
            }) {
            Ok(handle) => waiting.push((keep, handle)),
            Err(_) => break,
        }
    }
    let count = waiting.len() + 1;
    for (keep, handle) in waiting {
        drop(keep);
        let _ = handle.join();
    }
    // A joined thread still counts against the limit for a moment: the kernel wakes the
    // joiner before it releases the thread. Wait (at most a second) until it has.
    if let Some(before) = before {
        for _ in 0..10_000 {
            if threads_now().is_none_or(|now| now <= before) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    }
    count
}

/// The threads of this process, as the kernel counts them (`Threads:` in
/// `/proc/self/status`); `None` where that cannot be read.
fn threads_now() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))?
        .trim()
        .parse()
        .ok()
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
