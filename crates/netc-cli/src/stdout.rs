//! Writing results to stdout. `println!` panics when the reader has gone
//! (`netc predict ... | head`); a closed pipe is the reader's choice, not
//! a failure, so what no one reads is dropped and the command goes on (a
//! training run still saves its weights).

use std::io::Write;

/// `text` as it is.
pub fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// `line` and a newline.
pub fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_all(line.as_bytes())
        .and_then(|()| out.write_all(b"\n"));
}
