//! One help-centre article as the operator writes it: a Markdown file with a small front
//! matter (id, title, tags, example questions, optional facts), parsed by hand so that
//! every error can name the file and the line.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::domain::Language;

/// Which of the customer's own facts an article's answer is joined with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactKind {
    /// Their latest order and whether it is inside the return window.
    ReturnWindow,
    /// Their order in transit and when it should arrive.
    Delivery,
    /// The invoice of their latest order.
    Invoice,
    /// Their plan and what an upgrade costs them.
    Plan,
}

impl FactKind {
    pub fn from_name(name: &str) -> Option<FactKind> {
        Some(match name {
            "return_window" => FactKind::ReturnWindow,
            "delivery" => FactKind::Delivery,
            "invoice" => FactKind::Invoice,
            "plan" => FactKind::Plan,
            _ => return None,
        })
    }
}

/// A parsed, validated article.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub id: String,
    pub language: Language,
    pub title: String,
    pub tags: Vec<String>,
    pub examples: Vec<String>,
    pub facts: Option<FactKind>,
    /// The answer, Markdown as written (trimmed).
    pub body: String,
    pub file: PathBuf,
}

/// Why a help-centre file could not be used; always names the file and, where there is
/// one, the line.
#[derive(Debug, Error, PartialEq)]
pub enum ArticleError {
    #[error("{file}:{line}: {problem}")]
    Invalid {
        file: PathBuf,
        line: usize,
        problem: String,
    },
    #[error("cannot read the help centre at {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{file}: the article id `{id}` is already used by {other}")]
    DuplicateId {
        file: PathBuf,
        id: String,
        other: PathBuf,
    },
    #[error("the help centre at {dir} has no articles")]
    Empty { dir: PathBuf },
}

fn invalid(file: &Path, line: usize, problem: impl Into<String>) -> ArticleError {
    ArticleError::Invalid {
        file: file.to_path_buf(),
        line,
        problem: problem.into(),
    }
}

/// Parses one article file's text.
pub fn parse(file: &Path, language: Language, text: &str) -> Result<Article, ArticleError> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.first().map(|l| l.trim()) != Some("---") {
        return Err(invalid(file, 1, "an article starts with a `---` line"));
    }
    let end = lines
        .iter()
        .skip(1)
        .position(|l| l.trim() == "---")
        .map(|p| p + 1)
        .ok_or_else(|| invalid(file, lines.len(), "the front matter has no closing `---`"))?;
    let mut fm = FrontMatter::default();
    let mut in_examples = false;
    for (i, raw) in lines.iter().enumerate().take(end).skip(1) {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(item) = line.strip_prefix("- ") {
            if !in_examples {
                return Err(invalid(file, line_no, "a `- ` item outside `examples:`"));
            }
            let item = item.trim();
            if item.is_empty() {
                return Err(invalid(file, line_no, "an empty example"));
            }
            fm.examples.push(item.to_owned());
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(invalid(file, line_no, "expected `key: value`"));
        };
        in_examples = false;
        fm.set(file, line_no, key.trim(), value.trim(), &mut in_examples)?;
    }
    let body = lines[end + 1..].join("\n").trim().to_owned();
    if body.is_empty() {
        return Err(invalid(
            file,
            end + 1,
            "the article has no body (the answer)",
        ));
    }
    fm.finish(file, language, body, end + 1)
}

#[derive(Default)]
struct FrontMatter {
    id: Option<String>,
    title: Option<String>,
    tags: Vec<String>,
    examples: Vec<String>,
    facts: Option<FactKind>,
}

impl FrontMatter {
    fn set(
        &mut self,
        file: &Path,
        line: usize,
        key: &str,
        value: &str,
        in_examples: &mut bool,
    ) -> Result<(), ArticleError> {
        match key {
            "id" => {
                let ok = !value.is_empty()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if !ok {
                    return Err(invalid(
                        file,
                        line,
                        format!("the id `{value}` must be lowercase letters, digits and `-`"),
                    ));
                }
                self.id = Some(value.to_owned());
            }
            "title" if value.is_empty() => return Err(invalid(file, line, "an empty title")),
            "title" => self.title = Some(value.to_owned()),
            "tags" => {
                self.tags = value
                    .split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect()
            }
            "examples" if value.is_empty() => *in_examples = true,
            "examples" => return Err(invalid(file, line, "list examples on `- ` lines below")),
            "facts" => {
                self.facts = Some(FactKind::from_name(value).ok_or_else(|| {
                    invalid(
                        file,
                        line,
                        format!("unknown facts `{value}` (return_window, delivery, invoice, plan)"),
                    )
                })?)
            }
            other => return Err(invalid(file, line, format!("unknown key `{other}`"))),
        }
        Ok(())
    }

    fn finish(
        self,
        file: &Path,
        language: Language,
        body: String,
        end: usize,
    ) -> Result<Article, ArticleError> {
        let id = self
            .id
            .ok_or_else(|| invalid(file, end, "the front matter has no `id:`"))?;
        let title = self
            .title
            .ok_or_else(|| invalid(file, end, "the front matter has no `title:`"))?;
        if self.examples.is_empty() {
            return Err(invalid(file, end, "the article has no example questions"));
        }
        Ok(Article {
            id,
            language,
            title,
            tags: self.tags,
            examples: self.examples,
            facts: self.facts,
            body,
            file: file.to_path_buf(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Article, ArticleError> {
        parse(Path::new("help/en/a.md"), Language::En, text)
    }

    #[test]
    fn parses_a_complete_article() {
        let a = p("---\nid: returns\ntitle: Returns\ntags: return, refund\nfacts: return_window\nexamples:\n  - can I return it\n  - return policy\n---\nWithin 30 days.\n")
            .unwrap();
        assert_eq!(a.id, "returns");
        assert_eq!(a.tags, vec!["return", "refund"]);
        assert_eq!(a.examples.len(), 2);
        assert_eq!(a.facts, Some(FactKind::ReturnWindow));
        assert_eq!(a.body, "Within 30 days.");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e = p("---\nid: returns\ntitle: Returns\ncolour: red\n---\nBody").unwrap_err();
        assert_eq!(e.to_string(), "help/en/a.md:4: unknown key `colour`");
        let e = p("---\nid: Bad Id\n---\nBody").unwrap_err();
        assert!(e.to_string().starts_with("help/en/a.md:2: the id"), "{e}");
        let e = p("---\nid: a\ntitle: A\nexamples:\n  - x\n---\n\n").unwrap_err();
        assert!(e.to_string().contains("no body"), "{e}");
        let e = p("id: a\n").unwrap_err();
        assert!(e.to_string().starts_with("help/en/a.md:1:"), "{e}");
        let e = p("---\nid: a\ntitle: A\n---\nBody").unwrap_err();
        assert!(e.to_string().contains("no example questions"), "{e}");
    }
}
