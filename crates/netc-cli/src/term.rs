//! Whether to color terminal output: only on a terminal, and never when
//! `NO_COLOR` is set to a non-empty value (no-color.org).

use std::io::IsTerminal;

/// Color for diagnostics written to stderr.
pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && !no_color_requested()
}

fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}
