//! placeholder
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format { Markdown, Html }
pub fn render(register: &crate::Register, _s: crate::Statement, _f: Format) -> String { format!("{} {}", register.meta.version, register.processings.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join("\n")) }
