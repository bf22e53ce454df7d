//! "Did you mean": rustc's rule for picking a similar name.
//!
//! A case-insensitive exact match wins; otherwise the candidate closest by
//! edit distance, if that distance is at most `max(len, 3) / 3` (`len` in
//! characters of the name looked up). The distance counts an adjacent
//! transposition as one edit (optimal string alignment, as rustc's
//! `edit_distance` does), so `batchnrom` finds `batchnorm`. Ties go to the
//! candidate sharing the longer prefix (a slip on the first letter is rarer
//! than one later on), then to the earlier candidate.

/// The best suggestion for `lookup` among `candidates`.
pub fn did_you_mean<'a, I>(lookup: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    if let Some(exact) = candidates
        .iter()
        .find(|c| c.to_lowercase() == lookup.to_lowercase())
    {
        return Some(exact);
    }
    let limit = lookup.chars().count().max(3) / 3;
    candidates
        .iter()
        .filter_map(|&c| {
            let distance = edit_distance(lookup, c);
            (distance <= limit).then_some((distance, c))
        })
        .min_by_key(|&(distance, c)| (distance, std::cmp::Reverse(common_prefix(lookup, c))))
        .map(|(_, c)| c)
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions
/// and transpositions of adjacent characters each cost one.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: the two before the current one are needed for
    // transpositions.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, edit_distance};

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("bc1", "bn1"), 1);
        assert_eq!(edit_distance("batchnrom", "batchnorm"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn seed_typo_finds_the_batchnorm_not_the_linear() {
        // `bc1` is one edit from both; `bn1` shares the first letter.
        assert_eq!(did_you_mean("bc1", ["fc1", "bn1"]), Some("bn1"));
    }

    #[test]
    fn case_insensitive_match_wins() {
        assert_eq!(did_you_mean("FC1", ["fc2", "fc1"]), Some("fc1"));
    }

    #[test]
    fn typos_from_the_issue() {
        let kinds = crate::layers::LayerKind::NAMES.iter().copied();
        assert_eq!(did_you_mean("batchnrom", kinds), Some("batchnorm"));
        let nonlinearities = || netc_ops::Nonlinearity::NAMES.iter().copied();
        assert_eq!(did_you_mean("reluu", nonlinearities()), Some("relu"));
        assert_eq!(did_you_mean("rellu", nonlinearities()), Some("relu"));
        assert_eq!(did_you_mean("epoch", ["epochs", "batch"]), Some("epochs"));
    }

    #[test]
    fn distant_names_get_no_suggestion() {
        // Limit for a 3-letter name is 1 edit.
        assert_eq!(did_you_mean("xyz", ["fc1", "bn1"]), None);
        assert_eq!(did_you_mean("lr", ["momentum"]), None);
        assert_eq!(did_you_mean("anything", std::iter::empty()), None);
    }
}
