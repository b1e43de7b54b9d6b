//! Text for people: numbers with thousands separators, ratios, durations, short floats, and
//! user input quoted for messages. A leaf: it refers to no other module of the crate, so that
//! every layer can format without reaching into another.

// Without the feature `report`, only what the crate itself uses of this module is used.
#![cfg_attr(not(feature = "report"), allow(dead_code))]

/// An integer with thousands separators: `1234567` → `1,234,567`.
///
/// ```
/// # #[cfg(feature = "report")] {
/// assert_eq!(chainplan::text::thousands(15125), "15,125");
/// assert_eq!(chainplan::text::thousands(999), "999");
/// # }
/// ```
pub fn thousands(x: u128) -> String {
    let digits = x.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio: `2.5` → `2.50x`; large ratios lose decimals (`1234x`), huge ones go scientific.
pub fn ratio(r: f64) -> String {
    if !r.is_finite() {
        return "-".to_string();
    }
    if r >= 1e6 {
        format!("{r:.2e}x")
    } else if r >= 1000.0 {
        format!("{r:.0}x")
    } else {
        format!("{r:.2}x")
    }
}

/// A duration in seconds, in the unit that suits it: `0.00123` → `1.23 ms`.
pub fn seconds(s: f64) -> String {
    if !s.is_finite() {
        "-".to_string()
    } else if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.3} µs", s * 1e6)
    }
}

/// A real number with three decimals, or scientific notation when very large or small.
pub fn float(x: f64) -> String {
    let a = x.abs();
    if x != 0.0 && !(1e-3..1e9).contains(&a) {
        format!("{x:.3e}")
    } else {
        format!("{x:.3}")
    }
}

/// `x / base`, for "how many times the baseline" figures (costs, times, differences): 1 when
/// both are 0, infinite when only the baseline is.
pub(crate) fn ratio_of(x: f64, base: f64) -> f64 {
    if base == 0.0 {
        if x == 0.0 {
            1.0
        } else {
            f64::INFINITY
        }
    } else {
        x / base
    }
}

/// A number for people: up to 12 significant digits, no trailing zeros (`140`, `0.3`,
/// `1.5e-7`).
///
/// ```
/// # #[cfg(feature = "report")] {
/// use chainplan::text::num;
/// assert_eq!(num(140.0), "140");
/// assert_eq!(num(0.1 + 0.2), "0.3");
/// assert_eq!(num(-2.5e-7), "-2.5e-7");
/// assert_eq!(num(6.02e23), "6.02e23");
/// # }
/// ```
pub fn num(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    if !x.is_finite() {
        return x.to_string();
    }
    // Round to 12 significant digits, then print the shortest form of the rounded value.
    let rounded: f64 = format!("{x:.11e}").parse().unwrap_or(x);
    let a = rounded.abs();
    if (1e-4..1e15).contains(&a) {
        rounded.to_string()
    } else {
        format!("{rounded:e}")
    }
}

/// Echoed input longer than this many characters is cut (see [`quote`]).
pub const QUOTE_MAX_CHARS: usize = 40;

/// User input as error messages echo it: in single quotes, control characters (and quotes and
/// backslashes) escaped, and, when longer than [`QUOTE_MAX_CHARS`] characters, cut to a prefix
/// followed by `…` and the full length, so that a 10 MB token or an escape sequence never
/// reaches the terminal whole. Every message that echoes input uses it.
///
/// ```
/// # #[cfg(feature = "report")] {
/// use chainplan::text::quote;
/// assert_eq!(quote("12x"), "'12x'");
/// assert_eq!(quote("a\u{1b}[31m"), "'a\\u{1b}[31m'");
/// let long = "9".repeat(1000);
/// assert_eq!(quote(&long), format!("'{}…' (1000 characters)", "9".repeat(40)));
/// # }
/// ```
pub fn quote(text: &str) -> String {
    let mut out = String::from("'");
    let mut count = 0usize;
    for c in text.chars() {
        count += 1;
        if count > QUOTE_MAX_CHARS {
            continue;
        }
        match c {
            '\'' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || c == '\u{feff}' || ('\u{2028}'..='\u{2029}').contains(&c) => {
                out.extend(c.escape_unicode())
            }
            c => out.push(c),
        }
    }
    if count > QUOTE_MAX_CHARS {
        out.push_str(&format!("…' ({count} characters)"));
    } else {
        out.push('\'');
    }
    out
}

/// A whole number as written, for messages: unquoted when it is made of digits, at most
/// [`QUOTE_MAX_CHARS`] of them shown (then `…` and the count); anything else as [`quote`] shows it.
pub(crate) fn number(text: &str) -> String {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return quote(text);
    }
    if text.len() <= QUOTE_MAX_CHARS {
        return text.to_string();
    }
    format!("{}… ({} digits)", &text[..QUOTE_MAX_CHARS], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(123456789), "123,456,789");
        assert_eq!(ratio(1.0), "1.00x");
        assert_eq!(seconds(0.5), "500.000 ms");
        assert_eq!(seconds(2e-6), "2.000 µs");
        assert_eq!(float(2.5), "2.500");
    }
}
