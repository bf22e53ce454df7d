//! Numbers in lint messages: short, and in the form a user would write.

/// Three significant digits: `0.118`, `12`, `228`, `4e-6`, `1.7e4`.
pub fn short(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let magnitude = x.abs();
    if magnitude == 0.0 {
        return "0".to_string();
    }
    if (1e-2..1e4).contains(&magnitude) {
        // Three significant digits.
        let decimals = (2 - magnitude.log10().floor() as i32).max(0) as usize;
        let text = format!("{x:.decimals$}");
        if !text.contains('.') {
            return text;
        }
        return text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    let text = format!("{x:.1e}");
    text.replace(".0e", "e")
}

/// A probability as a whole percentage: `84%`.
pub fn percent(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_the_catalogue() {
        assert_eq!(short(4.2e-6), "4.2e-6");
        assert_eq!(short(4e-6), "4e-6");
        assert_eq!(short(17_000.0), "1.7e4");
        assert_eq!(short(12.0), "12");
        assert_eq!(short(0.118), "0.118");
        assert_eq!(short(1.467), "1.47");
        assert_eq!(short(228.154), "228");
        assert_eq!(short(0.0), "0");
        assert_eq!(percent(0.8413), "84%");
    }
}
