//! The BLAS and LAPACK under the extension: the OpenBLAS of the `scipy-openblas32` wheel.
//!
//! That library exports its routines as `scipy_NAME`; the library's kernels (cblas-sys,
//! lapack-sys, ndarray's BLAS products and `chainplan::system`'s `openblas_*` queries) call
//! `NAME`. `build.rs` writes one forwarder per exported routine (`NAME: jmp scipy_NAME`), read
//! from the library's symbol table; this module assembles them into the extension. A forwarder
//! is a tail jump: it leaves every argument register and the stack as the caller set them, so
//! it is correct for any signature, and the callee returns straight to the caller.

#[cfg(target_arch = "x86_64")]
std::arch::global_asm!(
    include_str!(concat!(env!("OUT_DIR"), "/blas_forwarders.s")),
    options(att_syntax, raw)
);

#[cfg(not(target_arch = "x86_64"))]
std::arch::global_asm!(
    include_str!(concat!(env!("OUT_DIR"), "/blas_forwarders.s")),
    options(raw)
);
