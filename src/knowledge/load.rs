//! Reading the help centre: every `*.md` in `<dir>/en` and `<dir>/zh` (sorted by name), or
//! the copy built into the binary; ids must be unique per language.

use std::path::{Path, PathBuf};

use crate::domain::Language;

use super::article::{self, Article, ArticleError};

/// The repository's `intents/help/` files, listed by `build.rs`: (language, path, text).
const EMBEDDED: &[(&str, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/help_files.rs"));

fn language(name: &str) -> Option<Language> {
    match name {
        "en" => Some(Language::En),
        "zh" => Some(Language::Zh),
        _ => None,
    }
}

/// Reads and validates `dir/en/*.md` and `dir/zh/*.md`.
pub fn load_dir(dir: &Path) -> Result<Vec<Article>, ArticleError> {
    let read_err = |path: &Path, e: std::io::Error| ArticleError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut articles = Vec::new();
    for lang in ["en", "zh"] {
        let sub = dir.join(lang);
        if !sub.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&sub)
            .map_err(|e| read_err(&sub, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| read_err(&file, e))?;
            let lang = language(lang).unwrap_or_default();
            push_unique(&mut articles, article::parse(&file, lang, &text)?)?;
        }
    }
    if articles.is_empty() {
        return Err(ArticleError::Empty {
            dir: dir.to_path_buf(),
        });
    }
    Ok(articles)
}

/// The articles built into the binary.
pub fn load_embedded() -> Result<Vec<Article>, ArticleError> {
    let mut articles = Vec::new();
    for (lang, path, text) in EMBEDDED {
        let lang = language(lang).unwrap_or_default();
        push_unique(&mut articles, article::parse(Path::new(path), lang, text)?)?;
    }
    Ok(articles)
}

fn push_unique(articles: &mut Vec<Article>, a: Article) -> Result<(), ArticleError> {
    if let Some(other) = articles
        .iter()
        .find(|o| o.language == a.language && o.id == a.id)
    {
        return Err(ArticleError::DuplicateId {
            file: a.file.clone(),
            id: a.id.clone(),
            other: other.file.clone(),
        });
    }
    articles.push(a);
    Ok(())
}
