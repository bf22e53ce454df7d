//! Python spellings: literals that read back as the same value, and the
//! names a generated module may not use.

use crate::ExportError;

/// A float literal Python parses to the same f64 (`1e-05`, `0.1`, `20.0`).
pub fn float(value: f64) -> String {
    if value.is_finite() {
        // Rust's shortest round-trip form is also valid Python.
        format!("{value:?}")
    } else if value.is_nan() {
        "math.nan".into()
    } else if value > 0.0 {
        "math.inf".into()
    } else {
        "-math.inf".into()
    }
}

pub fn string(value: &str) -> String {
    // JSON string escapes are valid Python string escapes.
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `(height, width)` argument as PyTorch prints it: one int when both
/// are equal (`5`), else a tuple (`(3, 5)`).
pub fn size((height, width): (usize, usize)) -> String {
    if height == width {
        height.to_string()
    } else {
        format!("({height}, {width})")
    }
}

pub fn boolean(value: bool) -> &'static str {
    if value {
        "True"
    } else {
        "False"
    }
}

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Names the generated module itself uses at module level.
const MODULE_GLOBALS: &[&str] = &["math", "torch", "nn", "F", "self"];

/// The attributes of `torch.nn.Module` (`dir(nn.Module())`, torch 2.x):
/// a layer by one of these names would replace a method the training
/// loop calls, or could not be set at all.
const MODULE_ATTRIBUTES: &[&str] = &[
    "T_destination",
    "add_module",
    "apply",
    "bfloat16",
    "buffers",
    "call_super_init",
    "children",
    "compile",
    "cpu",
    "cuda",
    "double",
    "dump_patches",
    "eval",
    "extra_repr",
    "float",
    "forward",
    "get_buffer",
    "get_extra_state",
    "get_parameter",
    "get_submodule",
    "half",
    "ipu",
    "load_state_dict",
    "modules",
    "mtia",
    "named_buffers",
    "named_children",
    "named_modules",
    "named_parameters",
    "parameters",
    "register_backward_hook",
    "register_buffer",
    "register_forward_hook",
    "register_forward_pre_hook",
    "register_full_backward_hook",
    "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook",
    "register_module",
    "register_parameter",
    "register_state_dict_post_hook",
    "register_state_dict_pre_hook",
    "requires_grad_",
    "set_extra_state",
    "set_submodule",
    "share_memory",
    "state_dict",
    "to",
    "to_empty",
    "train",
    "training",
    "type",
    "xpu",
    "zero_grad",
];

/// A layer name usable as `self.<name>` on an `nn.Module` with the same
/// `state_dict` key.
pub fn check_attribute(name: &str) -> Result<(), ExportError> {
    let why = if KEYWORDS.contains(&name) {
        "a Python keyword"
    } else if MODULE_ATTRIBUTES.contains(&name) {
        "an attribute every torch.nn.Module already has"
    } else if name.starts_with('_') {
        "a name torch.nn.Module keeps for its internals (a leading underscore)"
    } else {
        return Ok(());
    };
    Err(unsupported(format!(
        "layer name `{name}` ({why}); rename the layer"
    )))
}

/// A name usable for a local value, a parameter or the class.
pub fn check_name(name: &str, what: &str) -> Result<(), ExportError> {
    if KEYWORDS.contains(&name) || MODULE_GLOBALS.contains(&name) {
        return Err(unsupported(format!(
            "{what} `{name}` (a Python keyword or a name the module uses); rename it"
        )));
    }
    Ok(())
}

fn unsupported(what: String) -> ExportError {
    ExportError::Unsupported {
        target: "PyTorch",
        what,
    }
}

/// `WaterNet` → `water_net`: a word starts at an upper-case letter after a
/// lower-case letter or digit, or before a lower-case one (`XORNet` →
/// `xor_net`).
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1);
        let starts_word = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
            });
        if starts_word && !out.ends_with('_') {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Top-level modules a file named `<name>.py` beside the script would
/// shadow (the standard library and what torch imports).
const SHADOWED_MODULES: &str = include_str!("shadowed_modules.txt");

/// The Python module (file stem) for a model: its snake-case name, with
/// `_model` added when that would shadow a module torch needs.
pub fn module_name(model: &str) -> String {
    let snake = snake_case(model);
    if SHADOWED_MODULES.lines().any(|m| m == snake) {
        format!("{snake}_model")
    } else {
        snake
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_splits_words() {
        assert_eq!(snake_case("WaterNet"), "water_net");
        assert_eq!(snake_case("XORNet"), "xor_net");
        assert_eq!(snake_case("Net2"), "net2");
        assert_eq!(snake_case("my_Net"), "my_net");
        assert_eq!(snake_case("BreastCancerNet"), "breast_cancer_net");
    }

    #[test]
    fn a_module_that_would_shadow_the_standard_library_is_renamed() {
        assert_eq!(module_name("Random"), "random_model");
        assert_eq!(module_name("WaterNet"), "water_net");
    }

    #[test]
    fn floats_round_trip_as_python_literals() {
        assert_eq!(float(1e-5), "1e-5");
        assert_eq!(float(20.0), "20.0");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(f64::INFINITY), "math.inf");
    }

    #[test]
    fn square_sizes_are_one_int() {
        assert_eq!(size((5, 5)), "5");
        assert_eq!(size((3, 5)), "(3, 5)");
    }

    #[test]
    fn strings_escape_quotes_and_backslashes() {
        assert_eq!(string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn module_attributes_and_keywords_are_refused_as_layer_names() {
        assert!(check_attribute("train").is_err());
        assert!(check_attribute("lambda").is_err());
        assert!(check_attribute("_x").is_err());
        assert!(check_attribute("fc1").is_ok());
    }
}
