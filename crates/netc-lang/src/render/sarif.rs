//! SARIF 2.1.0, the format code-scanning services (GitHub code scanning,
//! IDE SARIF viewers) import: one run of the `netc` tool, the whole rule
//! registry as the tool's rules (with each rule's long documentation as its
//! help), and one result per diagnostic.
//!
//! Columns are characters, as everywhere in netc: the run says so with
//! `"columnKind": "unicodeCodePoints"` (SARIF's default is UTF-16 units).

use serde::Serialize;

use super::{FileDiagnostics, LineIndex};
use crate::diagnostic::Diagnostic;
use crate::rules::{self, Rule};
use crate::severity::Severity;
use crate::span::Span;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    rules: Vec<RuleDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    help: Help,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// The diagnostics of all files as one SARIF log.
pub fn render(files: &[FileDiagnostics<'_>]) -> String {
    let mut files: Vec<&FileDiagnostics<'_>> = files.iter().collect();
    files.sort_by_key(|file| file.path);
    let results = files
        .into_iter()
        .flat_map(|file| {
            let index = LineIndex::new(file.source);
            let uri = uri_reference(file.path);
            file.in_source_order()
                .into_iter()
                .map(move |diagnostic| result(diagnostic, &uri, &index))
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "netc",
                    version: env!("CARGO_PKG_VERSION"),
                    rules: rules::ALL.iter().map(descriptor).collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    // Only strings, integers and options of them: serialising cannot fail.
    serde_json::to_string_pretty(&log).expect("SARIF log serialises to JSON")
}

fn descriptor(rule: &Rule) -> RuleDescriptor {
    RuleDescriptor {
        id: rule.code,
        name: rule.name,
        short_description: Text {
            text: rule.summary.to_string(),
        },
        help: Help {
            text: rule.doc,
            markdown: rule.doc,
        },
        default_configuration: Configuration {
            level: level(rule.severity),
        },
    }
}

fn result<'a>(diagnostic: &'a Diagnostic, uri: &str, index: &LineIndex<'_>) -> SarifResult<'a> {
    // The message carries help and notes too: SARIF viewers show only it.
    let mut message = diagnostic.message.clone();
    if !diagnostic.span_label.is_empty() {
        message.push_str(&format!(": {}", diagnostic.span_label));
    }
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    for note in &diagnostic.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    SarifResult {
        rule_id: diagnostic.code,
        rule_index: rules::ALL
            .iter()
            .position(|rule| rule.code == diagnostic.code),
        level: level(diagnostic.severity),
        message: Text { text: message },
        locations: [location(uri, diagnostic.span, index, None, None)],
        related_locations: diagnostic
            .labels
            .iter()
            .enumerate()
            .map(|(id, label)| {
                let text = Some(Text {
                    text: label.message.clone(),
                });
                location(uri, label.span, index, Some(id), text)
            })
            .collect(),
    }
}

fn location(
    uri: &str,
    span: Span,
    index: &LineIndex<'_>,
    id: Option<usize>,
    message: Option<Text>,
) -> Location {
    let span = index.clamp_span(span);
    let start = index.position(span.start);
    let end = index.position(span.end);
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri.to_string(),
            },
            region: Region {
                start_line: start.line,
                start_column: start.column,
                end_line: end.line,
                end_column: end.column,
            },
        },
        message,
    }
}

/// SARIF's severity words: `info` has no SARIF level of its own, `note` is
/// the closest.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a relative URI reference: `/` separators, and every byte
/// outside RFC 3986's unreserved set and `/` percent-encoded (spaces,
/// `%`, `#`, non-ASCII).
fn uri_reference(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::uri_reference;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri_reference("models/net.nn"), "models/net.nn");
        assert_eq!(uri_reference("my models\\a#1.nn"), "my%20models/a%231.nn");
        assert_eq!(uri_reference("é.nn"), "%C3%A9.nn");
    }
}
