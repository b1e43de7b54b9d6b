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

/// A file name as messages echo it: escaped as [`quote`] escapes text and, when longer than
/// [`QUOTE_MAX_CHARS`] characters, cut to `…` and its last ones (the file's own name, which
/// tells more than its first directories), followed by the full length.
///
/// ```
/// # #[cfg(feature = "report")] {
/// use chainplan::text::quote_path;
/// use std::path::Path;
/// assert_eq!(quote_path(Path::new("a b.txt")), "'a b.txt'");
/// let long = format!("{}plan.json", "d/".repeat(200));
/// assert_eq!(
///     quote_path(Path::new(&long)),
///     format!("'…/{}plan.json' (409 characters)", "d/".repeat(15))
/// );
/// # }
/// ```
pub fn quote_path(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    let count = text.chars().count();
    if count <= QUOTE_MAX_CHARS {
        return quote(&text);
    }
    let tail: String = text.chars().skip(count - QUOTE_MAX_CHARS).collect();
    let quoted = quote(&tail);
    format!("'…{}' ({count} characters)", &quoted[1..quoted.len() - 1])
}

/// A message from another library, such as a JSON parser's, that may echo its input: every
/// excerpt it quotes (between `"` or between backticks) is shown as [`quote`] shows text (cut
/// to [`QUOTE_MAX_CHARS`] characters, escaped), and control characters elsewhere are escaped.
///
/// ```
/// # #[cfg(feature = "report")] {
/// use chainplan::text::bounded;
/// let msg = format!("invalid type: string \"{}\", expected u32", "x".repeat(1000));
/// let b = bounded(&msg);
/// assert!(b.starts_with("invalid type: string 'xxx") && b.ends_with(", expected u32"), "{b}");
/// assert!(b.chars().count() < 100);
/// assert_eq!(bounded("bad \u{1b}[31m"), "bad \\u{1b}[31m");
/// # }
/// ```
pub fn bounded(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(start) = rest.find(['"', '`']) {
        let delimiter = &rest[start..start + 1];
        let Some(len) = rest[start + 1..].find(delimiter) else {
            break;
        };
        out.push_str(&escape_controls(&rest[..start]));
        out.push_str(&quote(&rest[start + 1..start + 1 + len]));
        rest = &rest[start + 1 + len + 1..];
    }
    out.push_str(&escape_controls(rest));
    out
}

/// `text` with its control characters written as `\u{…}` escapes.
fn escape_controls(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped =
                c.is_control() || c == '\u{feff}' || ('\u{2028}'..='\u{2029}').contains(&c);
            let mut v: Vec<char> = Vec::new();
            if escaped {
                v.extend(c.escape_unicode());
            } else {
                v.push(c);
            }
            v
        })
        .collect()
}

/// Longest word (run of characters without a space) that [`one_line`] leaves whole: a cut
/// echo (`'` + 40 characters + `…'`) and its escapes fit.
pub const LONGEST_WORD: usize = 60;

/// A message as one bounded line, whatever made it: the net under every message that
/// leaves the library's users (the CLI's `error:` and `warning:` lines, the Python
/// exceptions). Line breaks become spaces, other control characters `\u{…}` escapes, and a
/// word longer than [`LONGEST_WORD`] characters (a name echoed without [`quote`]) is cut to
/// [`QUOTE_MAX_CHARS`] characters and its length. Echoes are cut where they are made, by
/// [`quote`]; this catches any that is not.
///
/// ```
/// # #[cfg(feature = "report")] {
/// use chainplan::text::one_line;
/// assert_eq!(one_line("a\nb\u{1b}"), "a b\\u{1b}");
/// let name = "x".repeat(1000);
/// assert_eq!(
///     one_line(&format!("operand {name} is not declared")),
///     format!("operand {}… (1000 characters) is not declared", "x".repeat(40))
/// );
/// # }
/// ```
pub fn one_line(message: &str) -> String {
    let mut flat = String::with_capacity(message.len().min(1 << 16));
    for c in message.chars() {
        match c {
            '\n' | '\r' => flat.push(' '),
            c if c.is_control() => flat.extend(c.escape_unicode()),
            c => flat.push(c),
        }
    }
    flat.split(' ')
        .map(|word| {
            let count = word.chars().count();
            if count <= LONGEST_WORD {
                word.to_string()
            } else {
                let start: String = word.chars().take(QUOTE_MAX_CHARS).collect();
                format!("{start}… ({count} characters)")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
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
