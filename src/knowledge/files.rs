//! The knowledge files as text: what the loader parses, the database stores and the editor
//! shows, and how they are read from the knowledge folder.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Diagnostic;

/// The glossary's file name, at the top of the knowledge folder.
pub(super) const GLOSSARY: &str = "glossary.toml";

/// One file of the knowledge base: its path (relative to the knowledge folder, as the
/// database keeps it; joined to the folder when read from disk) and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KbFile {
    pub path: String,
    pub text: String,
}

impl KbFile {
    fn at(path: &Path, text: String) -> KbFile {
        KbFile {
            path: path.to_string_lossy().into_owned(),
            text,
        }
    }
}

/// Whether a file is a document (Markdown).
pub(super) fn is_markdown(file: &KbFile) -> bool {
    Path::new(&file.path).extension().is_some_and(|e| e == "md")
}

/// Every `*.md` below `dir`, sorted.
pub(super) fn markdown_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                collect(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    collect(dir, &mut paths)?;
    paths.sort();
    Ok(paths)
}

/// A document's file, or why it cannot be used.
pub(super) fn read_markdown(path: &Path) -> Result<KbFile, Diagnostic> {
    let raw = std::fs::read(path)
        .map_err(|e| Diagnostic::new(path, 0, format!("ファイルを読み込めません: {e}")))?;
    let text = String::from_utf8(raw).map_err(|e| {
        Diagnostic::new(
            path,
            0,
            format!("UTF-8 のテキストとして読めません。UTF-8 で保存してください: {e}"),
        )
    })?;
    Ok(KbFile::at(path, text))
}

/// The glossary of the folder `dir`, or why it cannot be used.
pub(super) fn read_glossary(dir: &Path) -> Result<KbFile, Diagnostic> {
    let path = dir.join(GLOSSARY);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(KbFile::at(&path, text)),
        Err(e) => Err(Diagnostic::new(
            &path,
            0,
            format!("ファイルを読み込めません: {e}"),
        )),
    }
}
