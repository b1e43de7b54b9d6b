//! What a timing was measured on: the BLAS library, its thread count, the CPU.
//!
//! A GEMM profile is only valid for the machine and BLAS configuration that produced it, so
//! every profile records these facts and every command that prints timings shows them.

use crate::system;
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
        MachineInfo {
            blas: system::blas_name(),
            threads: system::blas_threads(),
            cpu: system::cpu_model().unwrap_or_else(|| std::env::consts::ARCH.to_string()),
            logical_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
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
