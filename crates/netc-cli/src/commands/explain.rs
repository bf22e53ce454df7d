//! `netc explain CODE|NAME`: a rule's long documentation, as Markdown on
//! stdout. Codes and names are interchangeable (`NN001`, `undefined-layer`).

use std::io::Write;
use std::process::ExitCode;

use netc_lang::rules::{self, Rule};

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// A rule code (`NN001`, any case) or kebab-case name (`undefined-layer`).
    #[arg(value_name = "CODE|NAME")]
    rule: String,
}

pub fn run(args: ExplainArgs) -> ExitCode {
    match rules::lookup(&args.rule) {
        Some(rule) => {
            // A closed pipe (`netc explain NN001 | head`) is the reader's
            // choice, not a failure worth a message.
            let _ = std::io::stdout()
                .lock()
                .write_all(explanation(rule).as_bytes());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: no rule named `{}`", args.rule);
            match rules::closest(&args.rule) {
                Some(rule) => eprintln!("help: did you mean `{}` ({})?", rule.code, rule.name),
                None => eprintln!("help: {}", naming_hint()),
            }
            ExitCode::from(2)
        }
    }
}

fn explanation(rule: &Rule) -> String {
    format!(
        "# {} {}: {}\n\nDefault severity: {}.\n\n{}",
        rule.code,
        rule.name,
        rule.summary,
        rule.severity.as_str(),
        rule.doc
    )
}

fn naming_hint() -> String {
    let example = rules::UNDEFINED_LAYER;
    format!(
        "a rule is named by its code, like `{}`, or by its name, like `{}`",
        example.code, example.name
    )
}
