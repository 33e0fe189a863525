//! Errors in a register file, each pointing at file, line and column and
//! saying how to fix it.

use std::fmt;
use std::ops::Range;

/// One problem in a register file: where, what, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to write instead, when there is a fix to suggest.
    pub help: Option<String>,
    /// The source line, for display under the message.
    pub snippet: String,
}

/// Every problem found in one register file, in source order.
#[derive(Debug, thiserror::Error)]
pub struct RegisterError {
    /// The file, as named to [`crate::parse`].
    pub file: String,
    /// The problems, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{}:{}:{}: error: {}", self.file, d.line, d.column, d.message)?;
            writeln!(f, "    | {}", d.snippet)?;
            write!(f, "    | {}^", " ".repeat(d.column.saturating_sub(1)))?;
            if let Some(help) = &d.help {
                write!(f, "\n    = help: {help}")?;
            }
        }
        Ok(())
    }
}

/// Collects diagnostics against one source text.
#[derive(Debug)]
pub(crate) struct Sink<'a> {
    source: &'a str,
    pub(crate) diagnostics: Vec<(usize, Diagnostic)>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(source: &'a str) -> Self {
        Sink { source, diagnostics: Vec::new() }
    }

    pub(crate) fn error(&mut self, span: Range<usize>, message: impl Into<String>, help: Option<String>) {
        let offset = span.start.min(self.source.len());
        let before = &self.source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = self.source[line_start..offset].chars().count() + 1;
        let snippet = self.source[line_start..].lines().next().unwrap_or_default().to_string();
        self.diagnostics.push((offset, Diagnostic { line, column, message: message.into(), help, snippet }));
    }

    pub(crate) fn into_error(mut self, file: &str) -> Option<RegisterError> {
        if self.diagnostics.is_empty() {
            return None;
        }
        self.diagnostics.sort_by_key(|(offset, _)| *offset);
        Some(RegisterError { file: file.to_string(), diagnostics: self.diagnostics.into_iter().map(|(_, d)| d).collect() })
    }
}

/// The closest candidate by edit distance, if it is close enough to be a typo.
pub(crate) fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions
/// and swaps of neighbours each cost one, since swaps are common typos.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d: Vec<usize> = (0..(a.len() + 1) * width)
        .map(|i| {
            if i < width {
                i
            } else if i % width == 0 {
                i / width
            } else {
                0
            }
        })
        .collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1).min(d[i * width + j - 1] + 1).min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["address", "postcode_city", "email"];
        assert_eq!(did_you_mean("adress", names), Some("address"));
        assert_eq!(did_you_mean("emial", names), Some("email"));
        assert_eq!(did_you_mean("favourite_colour", names), None);
    }
}
