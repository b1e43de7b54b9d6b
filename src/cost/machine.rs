//! What a timing was measured on: the BLAS library, its thread count, the CPU.
//!
//! A GEMM profile is only valid for the machine and BLAS configuration that produced it, so
//! every profile records these facts and every command that prints timings shows them.

use serde::{Deserialize, Serialize};

/// The facts a reader needs to trust a timing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineInfo {
    /// The BLAS library and its build configuration, as it reports itself.
    pub blas: String,
    /// Threads the BLAS library uses.
    pub threads: usize,
    /// The CPU model.
    pub cpu: String,
    /// Logical CPUs the operating system offers.
    pub logical_cpus: usize,
}

impl MachineInfo {
    /// Detects the running machine and BLAS.
    pub fn detect() -> Self {
        let logical_cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (blas, threads) = blas_info(logical_cpus);
        MachineInfo {
            blas,
            threads,
            cpu: cpu_model(),
            logical_cpus,
        }
    }

    /// One line for headers: `BLAS: OpenBLAS 0.3.21 …, 2 threads; CPU: AMD EPYC … (2 logical)`.
    pub fn summary(&self) -> String {
        format!(
            "BLAS: {}, {} thread{}; CPU: {} ({} logical)",
            self.blas,
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            self.cpu,
            self.logical_cpus
        )
    }
}

#[cfg(feature = "blas")]
fn blas_info(_logical: usize) -> (String, usize) {
    use std::ffi::{c_char, c_int, CStr};
    extern "C" {
        fn openblas_get_config() -> *const c_char;
        fn openblas_get_num_threads() -> c_int;
    }
    // SAFETY: both functions take no arguments and only read OpenBLAS's static configuration;
    // the configuration string is a NUL-terminated static owned by the library.
    let (config, threads) = unsafe {
        let p = openblas_get_config();
        let config = if p.is_null() {
            "OpenBLAS".to_string()
        } else {
            CStr::from_ptr(p).to_string_lossy().trim().to_string()
        };
        (config, openblas_get_num_threads())
    };
    (config, usize::try_from(threads).unwrap_or(1).max(1))
}

#[cfg(not(feature = "blas"))]
fn blas_info(logical: usize) -> (String, usize) {
    (
        "none (ndarray's matrixmultiply kernels)".to_string(),
        logical,
    )
}

/// The CPU model from `/proc/cpuinfo`, or the architecture where that is not available.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_something() {
        let m = MachineInfo::detect();
        assert!(m.threads >= 1 && m.logical_cpus >= 1);
        assert!(!m.blas.is_empty() && !m.cpu.is_empty());
        assert!(m.summary().contains("BLAS: "));
    }
}
