//! Number formatting for people.

/// An integer with thousands separators: `1234567` → `1,234,567`.
///
/// ```
/// assert_eq!(chainplan::report::format::thousands(15125), "15,125");
/// assert_eq!(chainplan::report::format::thousands(999), "999");
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
