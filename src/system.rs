//! Facts about the machine that a benchmark reader needs: BLAS library and version, its thread
//! count, the CPU model and available memory.
//!
//! With the `openblas` feature (on by `openblas-system`) the BLAS is OpenBLAS, queried through
//! its own C API (`openblas_get_config`, `openblas_get_num_threads`,
//! `openblas_set_num_threads`), whichever OpenBLAS the final program links. OpenBLAS reads
//! `OPENBLAS_NUM_THREADS` (then `OMP_NUM_THREADS`) when it starts, so the thread count reported
//! is the one in force. CPU and memory come from `/proc/cpuinfo` and `/proc/meminfo`
//! and are `None` elsewhere.

#[cfg(feature = "benchmark")]
use serde::Serialize;

#[cfg(feature = "openblas")]
mod openblas {
    use std::ffi::{c_char, c_int};
    extern "C" {
        pub fn openblas_get_config() -> *const c_char;
        pub fn openblas_get_num_threads() -> c_int;
        pub fn openblas_set_num_threads(n: c_int);
    }
}

/// The BLAS in use, as it describes itself: for OpenBLAS, `OpenBLAS 0.3.21 DYNAMIC_ARCH …`.
pub fn blas_name() -> String {
    #[cfg(feature = "openblas")]
    {
        // SAFETY: openblas_get_config takes no arguments and returns a pointer to a static,
        // NUL-terminated string owned by OpenBLAS (or null, handled below).
        let config = unsafe { openblas::openblas_get_config() };
        if config.is_null() {
            return "OpenBLAS (version unknown)".to_string();
        }
        // SAFETY: non-null and NUL-terminated, as above; it lives as long as the program.
        let s = unsafe { std::ffi::CStr::from_ptr(config) };
        s.to_string_lossy().trim().to_string()
    }
    #[cfg(all(feature = "blas", not(feature = "openblas")))]
    {
        "BLAS (provider chosen by the program)".to_string()
    }
    #[cfg(not(feature = "blas"))]
    {
        "ndarray matrixmultiply (pure Rust, no BLAS)".to_string()
    }
}

/// Threads the BLAS uses for one product.
pub fn blas_threads() -> usize {
    #[cfg(feature = "openblas")]
    {
        // SAFETY: a plain query without arguments.
        let n = unsafe { openblas::openblas_get_num_threads() };
        usize::try_from(n).unwrap_or(1).max(1)
    }
    #[cfg(not(feature = "openblas"))]
    {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Sets the BLAS thread count (OpenBLAS's `openblas_set_num_threads`); returns the count in
/// force afterwards. Without OpenBLAS this does nothing.
#[cfg(feature = "report")]
pub fn set_blas_threads(threads: usize) -> usize {
    #[cfg(feature = "openblas")]
    {
        let n = i32::try_from(threads.max(1)).unwrap_or(i32::MAX);
        // SAFETY: OpenBLAS accepts any positive count (capped at its compiled maximum).
        unsafe { openblas::openblas_set_num_threads(n) };
    }
    #[cfg(not(feature = "openblas"))]
    let _ = threads;
    blas_threads()
}

/// The most threads the BLAS can run: OpenBLAS's compiled `MAX_THREADS` (from its
/// configuration string), else the number of logical CPUs.
#[cfg(feature = "report")]
pub fn max_blas_threads() -> usize {
    max_threads_from(&blas_name())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[cfg(feature = "report")]
fn max_threads_from(config: &str) -> Option<usize> {
    config
        .split_whitespace()
        .find_map(|w| w.strip_prefix("MAX_THREADS="))
        .and_then(|n| n.parse().ok())
        .filter(|&n| n >= 1)
}

/// The CPU model from `/proc/cpuinfo` (`model name`), if known.
pub fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpu_model_from(&text)
}

fn cpu_model_from(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_string())
    })
}

/// Memory available to new allocations, in bytes (`MemAvailable` of `/proc/meminfo`).
pub(crate) fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    available_from(&text)
}

fn available_from(meminfo: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let rest = line.strip_prefix("MemAvailable:")?;
        let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        kib.checked_mul(1024)
    })
}

/// The address-space limit of this process (`ulimit -v`, RLIMIT_AS), in bytes, from
/// `/proc/self/limits`; `None` when unlimited or unknown.
pub fn address_space_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    address_limit_from(&text)
}

fn address_limit_from(limits: &str) -> Option<u64> {
    let rest = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max address space"))?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Address space this process already uses (`VmSize` of `/proc/self/status`), in bytes.
fn address_space_used() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    text.lines().find_map(|line| {
        let kib: u64 = line
            .strip_prefix("VmSize:")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        kib.checked_mul(1024)
    })
}

/// Memory that new allocations can really have, in bytes: the smaller of the available memory
/// (`MemAvailable` in `/proc/meminfo`) and what the address-space limit leaves
/// ([`address_space_limit`] less the address space already in use). `None` when neither is
/// known. Planners and benchmarks check their estimates against it before allocating.
pub fn usable_memory() -> Option<u64> {
    let left =
        address_space_limit().map(|limit| limit.saturating_sub(address_space_used().unwrap_or(0)));
    match (available_memory(), left) {
        (Some(a), Some(l)) => Some(a.min(l)),
        (a, l) => a.or(l),
    }
}

/// The facts a benchmark header shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg(feature = "benchmark")]
pub struct SystemInfo {
    /// [`blas_name`].
    pub blas: String,
    /// [`blas_threads`].
    pub threads: usize,
    /// [`cpu_model`].
    pub cpu: Option<String>,
    /// `MemAvailable` of `/proc/meminfo`, in bytes.
    pub available_memory: Option<u64>,
}

#[cfg(feature = "benchmark")]
impl SystemInfo {
    /// Gathers the facts now.
    pub fn current() -> Self {
        SystemInfo {
            blas: blas_name(),
            threads: blas_threads(),
            cpu: cpu_model(),
            available_memory: available_memory(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let cpu = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(cpu_model_from(cpu).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(cpu_model_from("processor : 0\n"), None);
        let mem = "MemTotal:       24000000 kB\nMemAvailable:   1000 kB\n";
        assert_eq!(available_from(mem), Some(1000 * 1024));
        assert_eq!(available_from("MemTotal: 5 kB\n"), None);
    }

    #[test]
    fn reads_the_address_space_limit() {
        let limits = "Limit Soft Hard Units\nMax address space         153600000            unlimited            bytes\n";
        assert_eq!(address_limit_from(limits), Some(153_600_000));
        let unlimited =
            "Max address space         unlimited            unlimited            bytes\n";
        assert_eq!(address_limit_from(unlimited), None);
        assert!(usable_memory().is_some_and(|m| m > 0));
    }

    #[cfg(feature = "report")]
    #[test]
    fn reads_max_threads() {
        let config = "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH Cooperlake MAX_THREADS=64";
        assert_eq!(max_threads_from(config), Some(64));
        assert_eq!(max_threads_from("OpenBLAS MAX_THREADS=x"), None);
        assert!(max_blas_threads() >= 1);
    }

    #[test]
    fn blas_reports_itself() {
        assert!(!blas_name().is_empty());
        assert!(blas_threads() >= 1);
    }
}
