//! Links the extension to the OpenBLAS of the `scipy-openblas32` wheel (the build numpy and
//! scipy ship), which exports every routine with a `scipy_` prefix (`scipy_dgemm_`,
//! `scipy_cblas_dgemm`, `scipy_openblas_get_config`, ...), while the library, cblas-sys,
//! lapack-sys and ndarray call the plain names.
//!
//! For each function the library exports as `scipy_NAME`, this script writes a forwarder
//! `NAME` (one jump, no signature: the arguments pass through untouched) into
//! `$OUT_DIR/blas_forwarders.s`, which `src/blas_provider.rs` assembles. The list is read from
//! the library's own dynamic symbol table, so a routine the library starts calling needs no
//! change here. Each forwarder is hidden (not exported from the extension, so it cannot
//! interpose on another module's BLAS) and sits in its own section, so the linker keeps only
//! the ones that are called.
//!
//! The library is found, in this order, in `CHAINPLAN_OPENBLAS_LIB_DIR` (a folder holding
//! `libscipy_openblas.so`), or through the Python that builds the extension (`PYO3_PYTHON`,
//! which maturin sets, else `python3`): the folder `scipy_openblas32.get_lib_dir()` names.
//! pip's isolated build gets the package from pyproject.toml's build requirements. Without
//! it, checks (`cargo clippy`) still pass; linking fails on `-lscipy_openblas`, after a warning
//! that says what to install. At run time `chainplan/_openblas.py` loads the same library from
//! the installed `scipy-openblas32` package before the extension is imported.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const LIB_FILE: &str = "libscipy_openblas.so";
const PREFIX: &str = "scipy_";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CHAINPLAN_OPENBLAS_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os != "linux" || !(arch == "x86_64" || arch == "aarch64") {
        panic!(
            "chainplan's Python extension links the scipy-openblas32 wheel's OpenBLAS through \
             forwarders written for Linux on x86_64 and aarch64; this target is {arch}-{os}"
        );
    }

    let names = match find_library() {
        Ok(dir) => {
            let lib = dir.join(LIB_FILE);
            println!("cargo:rerun-if-changed={}", lib.display());
            let bytes =
                fs::read(&lib).unwrap_or_else(|e| panic!("cannot read {}: {e}", lib.display()));
            let names =
                prefixed_functions(&bytes).unwrap_or_else(|e| panic!("{}: {e}", lib.display()));
            if !names.iter().any(|n| n == "cblas_dgemm") || !names.iter().any(|n| n == "dpotrf_") {
                panic!(
                    "{} exports no scipy_cblas_dgemm or scipy_dpotrf_: not the scipy-openblas32 \
                     library",
                    lib.display()
                );
            }
            println!("cargo:rustc-link-search=native={}", dir.display());
            names
        }
        Err(why) => {
            println!(
                "cargo:warning=scipy-openblas32 not found ({why}): checks pass, but linking \
                 the extension needs it: `pip install scipy-openblas32` into the Python that \
                 builds it, or set CHAINPLAN_OPENBLAS_LIB_DIR to the folder of {LIB_FILE}"
            );
            Vec::new()
        }
    };
    println!("cargo:rustc-link-lib=dylib=scipy_openblas");
    fs::write(out.join("blas_forwarders.s"), forwarders(&names, &arch))
        .expect("cannot write the forwarders into OUT_DIR");
}

/// The folder holding `libscipy_openblas.so`.
fn find_library() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("CHAINPLAN_OPENBLAS_LIB_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.join(LIB_FILE).is_file() {
            Ok(dir)
        } else {
            Err(format!(
                "CHAINPLAN_OPENBLAS_LIB_DIR={} has no {LIB_FILE}",
                dir.display()
            ))
        };
    }
    let python = env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let output = Command::new(&python)
        .args(["-c", "import scipy_openblas32 as s; print(s.get_lib_dir())"])
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{python} cannot import scipy_openblas32"));
    }
    let dir = String::from_utf8(output.stdout)
        .map_err(|_| format!("{python} printed a folder that is not UTF-8"))?;
    let dir = Path::new(dir.trim()).to_path_buf();
    if dir.join(LIB_FILE).is_file() {
        Ok(dir)
    } else {
        Err(format!("{} has no {LIB_FILE}", dir.display()))
    }
}

/// The assembly of one hidden forwarder per name, each in its own section.
fn forwarders(names: &[String], arch: &str) -> String {
    let mut s = String::from("/* Generated by python/build.rs: NAME jumps to scipy_NAME. */\n");
    for name in names {
        let (ty, jump) = if arch == "x86_64" {
            ("@function", format!("jmp {PREFIX}{name}@PLT"))
        } else {
            ("%function", format!("b {PREFIX}{name}"))
        };
        let _ = write!(
            s,
            ".pushsection .text.chainplan_blas.{name},\"ax\"\n\
             .globl {name}\n.hidden {name}\n.type {name},{ty}\n.p2align 4\n\
             {name}:\n    {jump}\n.size {name},.-{name}\n.popsection\n"
        );
    }
    s
}

/// The names, without the prefix, of the functions an ELF64 little-endian shared library
/// defines and exports as `scipy_NAME`, NAME a C identifier; sorted, without repeats.
fn prefixed_functions(elf: &[u8]) -> Result<Vec<String>, String> {
    let u16_at = |at: usize| -> Result<u16, String> {
        elf.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated ELF file".to_string())
    };
    let u32_at = |at: usize| -> Result<u32, String> {
        elf.get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            .ok_or_else(|| "truncated ELF file".to_string())
    };
    let u64_at = |at: usize| -> Result<usize, String> {
        elf.get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| "truncated ELF file".to_string())
    };
    if elf.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 2, 1][..]) {
        return Err("not a 64-bit little-endian ELF file".to_string());
    }
    const SHT_DYNSYM: u32 = 11;
    const STT_FUNC: u8 = 2;
    const STT_GNU_IFUNC: u8 = 10;
    let (shoff, shentsize, shnum) = (u64_at(0x28)?, usize::from(u16_at(0x3a)?), u16_at(0x3c)?);
    let section = |i: usize| -> Result<(u32, usize, usize, usize), String> {
        let at = shoff + i * shentsize;
        Ok((
            u32_at(at + 4)?,
            u64_at(at + 0x18)?,
            u64_at(at + 0x20)?,
            u32_at(at + 0x28)? as usize,
        ))
    };
    let mut names = Vec::new();
    for i in 0..usize::from(shnum) {
        let (kind, offset, size, link) = section(i)?;
        if kind != SHT_DYNSYM {
            continue;
        }
        let (_, str_offset, str_size, _) = section(link)?;
        let strings = elf
            .get(str_offset..str_offset + str_size)
            .ok_or("truncated string table")?;
        for sym in (offset..offset + size).step_by(24) {
            let info = *elf.get(sym + 4).ok_or("truncated symbol table")?;
            let defined = u16_at(sym + 6)? != 0;
            let global = matches!(info >> 4, 1 | 2);
            if !(defined && global && matches!(info & 0xf, STT_FUNC | STT_GNU_IFUNC)) {
                continue;
            }
            let start = u32_at(sym)? as usize;
            let rest = strings
                .get(start..)
                .ok_or("symbol name outside the string table")?;
            let name = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
            let Some(name) = name.strip_prefix(PREFIX.as_bytes()) else {
                continue;
            };
            let ident = !name.is_empty()
                && !name[0].is_ascii_digit()
                && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_');
            if ident {
                names.push(String::from_utf8(name.to_vec()).expect("ASCII"));
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}
