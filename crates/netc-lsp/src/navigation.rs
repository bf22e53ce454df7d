//! Go to definition, find references and rename, over the names of
//! [`crate::names`].

use netc_lang::ast::Span;

use crate::names::{self, Occurrence};
use crate::vocabulary;

const KEYWORDS: &[&str] = &[
    "model", "input", "forward", "train", "return", "true", "false",
];

pub fn definition(occurrences: &[Occurrence], offset: usize) -> Option<Span> {
    let target = names::at(occurrences, offset)?;
    names::definition(occurrences, target).map(|o| o.span)
}

pub fn references(
    occurrences: &[Occurrence],
    offset: usize,
    include_declaration: bool,
) -> Vec<Span> {
    let Some(target) = names::at(occurrences, offset) else {
        return Vec::new();
    };
    names::same_symbol(occurrences, target)
        .filter(|o| include_declaration || !o.role.is_definition())
        .map(|o| o.span)
        .collect()
}

/// The name under the cursor, when it can be renamed.
pub fn prepare_rename(occurrences: &[Occurrence], offset: usize) -> Option<(Span, &str)> {
    names::at(occurrences, offset).map(|o| (o.span, o.name.as_str()))
}

/// Every span to replace with `new_name`, or why the rename is refused.
pub fn rename(
    occurrences: &[Occurrence],
    offset: usize,
    new_name: &str,
) -> Result<Vec<Span>, String> {
    let target = names::at(occurrences, offset).ok_or("there is no layer or value name here")?;
    let mut chars = new_name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`{new_name}` is not a name: use letters, digits and `_`, not starting with a digit"
        ));
    }
    if KEYWORDS.contains(&new_name) {
        return Err(format!("`{new_name}` is a keyword"));
    }
    if target.role.is_layer() && vocabulary::lookup(new_name).next().is_some() {
        return Err(format!(
            "`{new_name}` is a built-in name; a layer of that name would hide it"
        ));
    }
    let clash = occurrences
        .iter()
        .any(|o| o.model == target.model && o.name == new_name && o.name != target.name);
    if clash {
        return Err(format!(
            "`{new_name}` already names something else in this model"
        ));
    }
    Ok(names::same_symbol(occurrences, target)
        .map(|o| o.span)
        .collect())
}
