//! Element types and memory sizes: turning a byte budget such as `2GiB` into an element cap.
//!
//! A cap on intermediates is counted in elements (an m × n result holds m·n of them); a byte
//! budget becomes an element cap by dividing by the size of one element, rounding down, so a
//! plan within the element cap is within the byte budget.

use crate::error::CostError;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The scalar type of the matrices: what BLAS multiplies and what one element occupies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElementType {
    /// Single precision, 4 bytes (BLAS `sgemm`).
    F32,
    /// Double precision, 8 bytes (BLAS `dgemm`).
    F64,
}

impl ElementType {
    /// Both element types, in the order reports list them.
    pub const ALL: [ElementType; 2] = [ElementType::F64, ElementType::F32];

    /// Bytes per element.
    pub fn bytes(self) -> u128 {
        match self {
            ElementType::F32 => 4,
            ElementType::F64 => 8,
        }
    }

    /// The name used on the command line and in profiles: `f32` or `f64`.
    pub fn name(self) -> &'static str {
        match self {
            ElementType::F32 => "f32",
            ElementType::F64 => "f64",
        }
    }

    /// The largest number of elements that fits in `bytes` (rounded down).
    ///
    /// ```
    /// use chainplan::cost::ElementType;
    /// assert_eq!(ElementType::F64.elements_in(2 << 30), 1 << 28);
    /// assert_eq!(ElementType::F32.elements_in(7), 1);
    /// ```
    pub fn elements_in(self, bytes: u128) -> u128 {
        bytes / self.bytes()
    }
}

impl FromStr for ElementType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "f32" | "float32" | "single" => Ok(ElementType::F32),
            "f64" | "float64" | "double" => Ok(ElementType::F64),
            _ => Err(CostError::UnknownElementType {
                name: s.to_string(),
            }
            .into()),
        }
    }
}

impl fmt::Display for ElementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses a memory size into bytes, exactly.
///
/// A number (whole or decimal) followed by an optional unit, case-insensitive, with optional
/// spaces between: `B`; decimal `KB`, `MB`, `GB`, `TB` (powers of 1000); binary `KiB`, `MiB`,
/// `GiB`, `TiB` and the bare `K`, `M`, `G`, `T` (powers of 1024). Fractions of a byte are
/// rounded down.
///
/// ```
/// use chainplan::cost::parse_memory_size;
/// assert_eq!(parse_memory_size("2GiB")?, 2 << 30);
/// assert_eq!(parse_memory_size("1.5 GB")?, 1_500_000_000);
/// assert_eq!(parse_memory_size("4096")?, 4096);
/// assert!(parse_memory_size("2 parsecs").is_err());
/// # Ok::<(), chainplan::Error>(())
/// ```
pub fn parse_memory_size(text: &str) -> Result<u128> {
    let bad = |reason: &str| -> Error {
        CostError::BadMemorySize {
            text: text.to_string(),
            reason: reason.to_string(),
        }
        .into()
    };
    let t = text.trim();
    let number_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(number_end);
    let unit = unit.trim();
    if number.is_empty() {
        return Err(bad("it does not start with a number"));
    }
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if frac.contains('.') || (whole.is_empty() && frac.is_empty()) {
        return Err(bad("the number is malformed"));
    }
    let multiplier: u128 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        _ => return Err(bad(&format!("unknown unit {}", crate::text::quote(unit)))),
    };
    let too_big = || bad("it is too large");
    // value = digits / 10^scale, exactly; bytes = floor(value × multiplier).
    let digits = format!("{whole}{frac}");
    if digits.len() > 30 {
        return Err(too_big());
    }
    let mantissa: u128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| too_big())?
    };
    let scale = 10u128.pow(frac.len() as u32);
    let bytes = mantissa.checked_mul(multiplier).ok_or_else(too_big)? / scale;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_units() {
        assert_eq!(parse_memory_size("0").unwrap(), 0);
        assert_eq!(parse_memory_size("1k").unwrap(), 1024);
        assert_eq!(parse_memory_size("1KB").unwrap(), 1000);
        assert_eq!(parse_memory_size(" 3 MiB ").unwrap(), 3 << 20);
        assert_eq!(parse_memory_size("0.5KiB").unwrap(), 512);
        assert_eq!(parse_memory_size(".5K").unwrap(), 512);
        assert_eq!(parse_memory_size("1.0000001B").unwrap(), 1);
        assert_eq!(parse_memory_size("2T").unwrap(), 2 << 40);
    }

    #[test]
    fn rejects_bad_sizes() {
        for bad in [
            "",
            "GiB",
            "-1GiB",
            "1..2G",
            "1.2.3",
            "1 GiBs",
            "1e9",
            ".",
            "9".repeat(40).as_str(),
        ] {
            let e = parse_memory_size(bad).unwrap_err();
            assert!(
                matches!(e, crate::Error::Cost(CostError::BadMemorySize { .. })),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn element_types() {
        assert_eq!("F32".parse::<ElementType>().unwrap(), ElementType::F32);
        assert_eq!("double".parse::<ElementType>().unwrap(), ElementType::F64);
        assert!("f16".parse::<ElementType>().is_err());
        assert_eq!(ElementType::F64.elements_in(15), 1);
    }
}
