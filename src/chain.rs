//! A validated matrix chain: the dimensions p0 … pn of A1 … An, where Ai is p(i-1) × pi.
//!
//! Dimensions are whole numbers from 1 to [`MAX_DIM`] (`u32::MAX`). With that bound a single
//! product costs at most 2^96 scalar multiplications, so every cost fits a `u128`.

use crate::error::ChainError;
use crate::error::{Error, Result};
use std::path::Path;

/// The largest supported dimension.
pub const MAX_DIM: u64 = u32::MAX as u64;

/// The dimensions of a chain of at least one matrix, each between 1 and [`MAX_DIM`].
///
/// Built from integers of any primitive type (`usize` from ndarray shapes, `u32`, `u64`, or
/// plain literals), each range-checked; from the shapes of the matrices
/// ([`Chain::from_shapes`]); or from the matrices themselves ([`Chain::from_operands`]).
///
/// ```
/// use chainplan::Chain;
/// use ndarray::Array2;
/// let chain = Chain::new(vec![30, 35, 15, 5, 10, 20, 25])?;
/// assert_eq!(chain.matrices(), 6);
/// assert_eq!(chain.shape(0), (30, 35)); // A1 is 30 × 35
/// assert!(Chain::new(vec![3u32, 0, 4]).is_err());
/// assert!(Chain::new(vec![3u64, 1 << 40]).is_err()); // above MAX_DIM
///
/// // Straight from ndarray's usize shapes:
/// let (a, b) = (Array2::<f64>::zeros((3, 4)), Array2::<f64>::zeros((4, 5)));
/// let chain = Chain::new(vec![a.nrows(), a.ncols(), b.ncols()])?;
/// assert_eq!(chain, Chain::from_shapes(&[a.dim(), b.dim()])?);
/// assert_eq!(chain, Chain::from_operands(&[&a, &b])?);
/// # Ok::<(), chainplan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Chain {
    dims: Vec<u32>,
}

impl Chain {
    /// Validates `dims` (p0 … pn) and builds the chain. Any primitive integer type works
    /// (`usize`, `u32`, `u64`, `i32` literals, …); every value is range-checked.
    ///
    /// Errors: fewer than two dimensions, a dimension below 1 ([`ChainError::DimensionTooSmall`]),
    /// or one above [`MAX_DIM`] ([`ChainError::DimensionTooLarge`]), naming its position.
    pub fn new<T: IntoDim>(dims: impl IntoIterator<Item = T>) -> Result<Self> {
        let dims = dims
            .into_iter()
            .enumerate()
            .map(|(i, d)| d.to_dim(i + 1))
            .collect::<Result<Vec<u32>>>()?;
        Self::from_u32s(dims)
    }

    /// The chain of matrices with these shapes (rows, columns), after checking that each
    /// matrix's columns equal the next one's rows.
    ///
    /// Errors: no shape ([`ChainError::TooFewDimensions`]), neighbours that do not fit
    /// ([`Error::ShapeMismatch`], naming both), or a dimension out of range.
    pub fn from_shapes(shapes: &[(usize, usize)]) -> Result<Self> {
        for (i, pair) in shapes.windows(2).enumerate() {
            let ((r0, c0), (r1, c1)) = (pair[0], pair[1]);
            if c0 != r1 {
                return Err(Error::ShapeMismatch {
                    lhs: format!("A{}", i + 1),
                    lhs_rows: r0,
                    lhs_cols: c0,
                    rhs: format!("A{}", i + 2),
                    rhs_rows: r1,
                    rhs_cols: c1,
                });
            }
        }
        let first = shapes.first().map(|&(rows, _)| rows);
        Self::new(
            first
                .into_iter()
                .chain(shapes.iter().map(|&(_, cols)| cols)),
        )
    }

    /// Like [`Chain::new`], from any iterator of `u64`.
    pub fn from_u64s(dims: impl IntoIterator<Item = u64>) -> Result<Self> {
        Self::new(dims)
    }

    /// Builds a chain from dimensions that already fit `u32`; only zero and length are checked.
    pub fn from_u32s(dims: Vec<u32>) -> Result<Self> {
        if dims.len() < 2 {
            return Err(ChainError::TooFewDimensions { got: dims.len() }.into());
        }
        if let Some(i) = dims.iter().position(|&d| d == 0) {
            return Err(ChainError::DimensionTooSmall {
                position: i + 1,
                value: 0,
            }
            .into());
        }
        Ok(Chain { dims })
    }

    /// Parses dimensions from text: whole numbers separated by whitespace, commas or
    /// newlines; `#` starts a comment that runs to the end of the line.
    ///
    /// ```
    /// use chainplan::Chain;
    /// let chain = Chain::parse("# textbook chain\n30, 35 15\n5 10 20 25 # done\n")?;
    /// assert_eq!(chain.dims(), &[30, 35, 15, 5, 10, 20, 25]);
    /// # Ok::<(), chainplan::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        Self::from_u32s(parse_dims(text)?)
    }

    /// Parses each string as one dimension (command-line arguments).
    pub fn from_strs<S: AsRef<str>>(args: &[S]) -> Result<Self> {
        let dims = args
            .iter()
            .enumerate()
            .map(|(i, s)| parse_token(i + 1, s.as_ref().trim()))
            .collect::<Result<Vec<u32>>>()?;
        Self::from_u32s(dims)
    }

    /// Reads and parses a file in the format of [`Chain::parse`].
    pub fn read(path: &Path) -> Result<Self> {
        let text = crate::fsio::read_file_bounded(path, crate::fsio::MAX_INPUT_BYTES).map_err(
            |source| Error::Io {
                path: path.to_path_buf(),
                source,
            },
        )?;
        Self::parse(&text)
    }

    /// The dimensions p0 … pn.
    pub fn dims(&self) -> &[u32] {
        &self.dims
    }

    /// IntoDim `i` (0-based: p0 is `dim(0)`), widened to `u64` for arithmetic.
    pub fn dim(&self, i: usize) -> u64 {
        u64::from(self.dims[i])
    }

    /// The number of matrices n (one less than the number of dimensions).
    pub fn matrices(&self) -> usize {
        self.dims.len() - 1
    }

    /// Shape (rows, columns) of matrix `i`, 0-based (`shape(0)` is A1), as ndarray writes
    /// shapes.
    pub fn shape(&self, i: usize) -> (usize, usize) {
        (self.dims[i] as usize, self.dims[i + 1] as usize)
    }

    /// Shape (rows, columns) of the whole product: p0 × pn.
    pub fn output_shape(&self) -> (usize, usize) {
        (
            self.dims[0] as usize,
            self.dims[self.dims.len() - 1] as usize,
        )
    }

    /// The largest dimension.
    pub fn max_dim(&self) -> u64 {
        self.dims.iter().copied().max().map_or(0, u64::from)
    }

    /// The chain of matrices `first ..= last` (0-based, inclusive).
    pub fn sub_chain(&self, first: usize, last: usize) -> Chain {
        Chain {
            dims: self.dims[first..=last + 1].to_vec(),
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A primitive integer type that a dimension can be given in: `u8` … `u128`, `usize`, and
/// the signed types (negative values are errors), so that ndarray's `usize` shapes and plain
/// literals both work. Sealed: implemented for the primitive integers only.
pub trait IntoDim: Copy + sealed::Sealed {
    /// The value as a dimension, or the error naming `position` (1-based) when it is below 1
    /// or above [`MAX_DIM`].
    fn to_dim(self, position: usize) -> Result<u32>;
}

macro_rules! unsigned_dimension {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl IntoDim for $t {
            fn to_dim(self, position: usize) -> Result<u32> {
                match u64::try_from(self) {
                    Ok(d) => check_dim(position, d),
                    Err(_) => Err(ChainError::DimensionTooLarge {
                        position,
                        value: self.to_string(),
                        max: MAX_DIM,
                    }.into()),
                }
            }
        }
    )*};
}

macro_rules! signed_dimension {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl IntoDim for $t {
            fn to_dim(self, position: usize) -> Result<u32> {
                if self < 1 {
                    return Err(ChainError::DimensionTooSmall { position, value: self as i128 }.into());
                }
                (self as u128).to_dim(position)
            }
        }
    )*};
}

unsigned_dimension!(u8, u16, u32, u64, u128, usize);
impl<T: IntoDim> sealed::Sealed for &T {}
impl<T: IntoDim> IntoDim for &T {
    fn to_dim(self, position: usize) -> Result<u32> {
        (*self).to_dim(position)
    }
}
signed_dimension!(i8, i16, i32, i64, i128, isize);

/// The dimensions separated by spaces, as [`Chain::parse`] reads them back: `30 35 15`.
impl std::fmt::Display for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.dims.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Checks one dimension given as `u64`.
fn check_dim(position: usize, d: u64) -> Result<u32> {
    if d == 0 {
        return Err(ChainError::DimensionTooSmall { position, value: 0 }.into());
    }
    Ok(u32::try_from(d).map_err(|_| ChainError::DimensionTooLarge {
        position,
        value: d.to_string(),
        max: MAX_DIM,
    })?)
}

/// Parses one token as a dimension, naming `position` in errors.
fn parse_token(position: usize, token: &str) -> Result<u32> {
    let bytes = token.as_bytes();
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(ChainError::NotANumber {
            position,
            token: token.to_string(),
        }
        .into());
    }
    let value = digits.iter().fold(0u128, |v, &b| {
        v.saturating_mul(10).saturating_add(u128::from(b - b'0'))
    });
    if negative && value > 0 {
        return Err(ChainError::DimensionTooSmall {
            position,
            value: -(value.min(i128::MAX as u128) as i128),
        }
        .into());
    }
    let value = u64::try_from(value).unwrap_or(u64::MAX);
    if value > MAX_DIM {
        return Err(ChainError::DimensionTooLarge {
            position,
            value: token.to_string(),
            max: MAX_DIM,
        }
        .into());
    }
    check_dim(position, value)
}

/// Parses whitespace-, comma- or newline-separated dimensions with `#` comments.
///
/// Works on bytes without allocating per token, so a file of a million dimensions parses in
/// milliseconds. Validation is the same as [`Chain::new`] except for the length check.
pub(crate) fn parse_dims(text: &str) -> Result<Vec<u32>> {
    // A byte-order mark, as some editors write, is not part of the text.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut dims = Vec::new();
    dims.try_reserve(bytes.len() / 4 + 1)
        .map_err(|_| Error::OutOfMemory {
            what: "the dimensions",
            bytes: (bytes.len() / 4 + 1) as u128 * 4,
        })?;
    let mut i = 0;
    // Whether a comma came after the last dimension: a second one, or one at the start or
    // the end, stands for an empty field, which is refused rather than dropped.
    let mut comma_pending = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if b == b',' {
            if comma_pending || dims.is_empty() {
                return Err(ChainError::EmptyField {
                    position: dims.len() + 1,
                }
                .into());
            }
            comma_pending = true;
            i += 1;
        } else if b.is_ascii_whitespace() {
            i += 1;
        } else {
            comma_pending = false;
            let start = i;
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && bytes[i] != b','
                && bytes[i] != b'#'
            {
                i += 1;
            }
            // Token boundaries fall on ASCII bytes, so this slice is valid UTF-8.
            dims.push(parse_token(dims.len() + 1, &text[start..i])?);
        }
    }
    if comma_pending {
        return Err(ChainError::EmptyField {
            position: dims.len() + 1,
        }
        .into());
    }
    Ok(dims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_separators_and_comments() {
        assert_eq!(
            parse_dims("\u{feff}1,2\t3\n# x y z\n4 #5\n  6, 7").unwrap(),
            vec![1, 2, 3, 4, 6, 7]
        );
    }

    #[test]
    fn refuses_empty_fields() {
        for (text, position) in [("6,,7", 2), (", 6 7", 1), ("6 7,", 3), ("6, # c\n, 7", 2)] {
            assert!(
                matches!(parse_dims(text), Err(crate::Error::Chain(ChainError::EmptyField { position: p })) if p == position),
                "{text:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_tokens_with_their_position() {
        let e = parse_dims("3 4 x5").unwrap_err();
        assert!(
            matches!(e, crate::Error::Chain(ChainError::NotANumber { position: 3, ref token }) if token == "x5")
        );
        let e = parse_dims("3 -4").unwrap_err();
        assert!(matches!(
            e,
            crate::Error::Chain(ChainError::DimensionTooSmall {
                position: 2,
                value: -4
            })
        ));
        let e = parse_dims("3 0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dimension 2 is 0; every dimension must be at least 1"
        );
        let e = parse_dims("4294967296").unwrap_err();
        assert!(matches!(
            e,
            crate::Error::Chain(ChainError::DimensionTooLarge { position: 1, .. })
        ));
        let e = parse_dims("99999999999999999999999999").unwrap_err();
        assert!(matches!(
            e,
            crate::Error::Chain(ChainError::DimensionTooLarge { position: 1, .. })
        ));
        let e = parse_dims("-99999999999999999999999999").unwrap_err();
        assert!(matches!(
            e,
            crate::Error::Chain(ChainError::DimensionTooSmall { position: 1, .. })
        ));
        assert!(matches!(
            parse_dims("2.5").unwrap_err(),
            crate::Error::Chain(ChainError::NotANumber { .. })
        ));
        assert!(matches!(
            parse_dims("-").unwrap_err(),
            crate::Error::Chain(ChainError::NotANumber { .. })
        ));
    }

    #[test]
    fn accepts_the_largest_dimension() {
        assert_eq!(parse_dims("4294967295").unwrap(), vec![u32::MAX]);
        assert_eq!(parse_dims("+7").unwrap(), vec![7]);
    }

    #[test]
    fn chain_needs_two_dimensions() {
        assert!(matches!(
            Chain::parse("# nothing"),
            Err(crate::Error::Chain(ChainError::TooFewDimensions { got: 0 }))
        ));
        assert!(matches!(
            Chain::new(vec![5u32]),
            Err(crate::Error::Chain(ChainError::TooFewDimensions { got: 1 }))
        ));
        assert!(Chain::new(vec![5u64, 1 << 33]).is_err());
    }

    #[test]
    fn every_integer_type_is_range_checked() {
        let want = [3u32, 4, 5];
        assert_eq!(Chain::new([3usize, 4, 5]).unwrap().dims(), want);
        assert_eq!(Chain::new([3u8, 4, 5]).unwrap().dims(), want);
        assert_eq!(Chain::new([3i64, 4, 5]).unwrap().dims(), want);
        assert_eq!(Chain::new(vec![3u128, 4, 5]).unwrap().dims(), want);
        assert!(matches!(
            Chain::new([3i32, -4]),
            Err(crate::Error::Chain(ChainError::DimensionTooSmall {
                position: 2,
                value: -4
            }))
        ));
        assert!(matches!(
            Chain::new([3usize, 0]),
            Err(crate::Error::Chain(ChainError::DimensionTooSmall {
                position: 2,
                value: 0
            }))
        ));
        assert!(matches!(
            Chain::new([u128::MAX, 3]),
            Err(crate::Error::Chain(ChainError::DimensionTooLarge {
                position: 1,
                ..
            }))
        ));
        assert!(matches!(
            Chain::new([3u64, u64::from(u32::MAX) + 1]),
            Err(crate::Error::Chain(ChainError::DimensionTooLarge {
                position: 2,
                ..
            }))
        ));
        assert_eq!(
            Chain::new([u32::MAX as usize, 1]).unwrap().dims(),
            [u32::MAX, 1]
        );
    }

    #[test]
    fn shapes_must_be_adjacent() {
        let c = Chain::from_shapes(&[(2, 3), (3, 4), (4, 1)]).unwrap();
        assert_eq!(c.dims(), [2, 3, 4, 1]);
        assert_eq!(c.shape(1), (3, 4));
        assert_eq!(c.output_shape(), (2, 1));
        let e = Chain::from_shapes(&[(2, 3), (4, 4)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot multiply A1 (2 x 3) by A2 (4 x 4): inner dimensions 3 and 4 differ"
        );
        assert!(matches!(
            Chain::from_shapes(&[]),
            Err(crate::Error::Chain(ChainError::TooFewDimensions { got: 0 }))
        ));
        assert!(matches!(
            Chain::from_shapes(&[(0, 3)]),
            Err(crate::Error::Chain(ChainError::DimensionTooSmall {
                position: 1,
                ..
            }))
        ));
    }
}
