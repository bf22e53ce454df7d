//! Numbers in lint messages: short, and in the form a user would write.

/// `0.118`, `12`, `4e-6`, `1.7e4`.
pub fn short(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let magnitude = x.abs();
    if magnitude == 0.0 || (1e-2..1e4).contains(&magnitude) {
        let text = format!("{x:.3}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        return text.to_string();
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
        assert_eq!(short(1.467), "1.467");
        assert_eq!(percent(0.8413), "84%");
    }
}
