//! The knowledge base: notices, FAQs and form rules written from the official sources.
//!
//! Every document is a Markdown file with TOML front matter between `+++` lines, read from
//! the knowledge folder or given as [`KbFile`]s (the editors' drafts and releases in the
//! database). Loading never stops at the first bad file: each problem becomes a
//! [`Diagnostic`] with file and line, the broken document is left out, and the rest still
//! load.

mod document;
mod files;
pub(crate) mod front_matter;
mod glossary;
mod parse;
mod sections;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use document::{
    Basis, Deadline, Document, English, FaqOutcome, FormField, FormRules, Kind, Role, Section,
    SourceRef, UnitLimit,
};
pub use files::KbFile;
pub use glossary::{Disagreement, Expansion, Glossary, Named};

/// One problem found in the knowledge files: where (the file's path as it was given, and
/// its line; 0 for the whole file), and what. `kb check` prints it, the editor console
/// shows it as JSON `{path, line, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Diagnostic {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl Diagnostic {
    /// A problem of the file at `path` (0: the file as a whole).
    pub fn new(path: &Path, line: usize, message: String) -> Diagnostic {
        Diagnostic {
            path: path.to_string_lossy().into_owned(),
            line,
            message,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

/// The loaded, cross-checked knowledge base.
#[derive(Debug)]
pub struct KnowledgeBase {
    docs: Vec<Document>,
    by_id: HashMap<String, usize>,
    pub glossary: Glossary,
    /// Every file that was read, with its content, for the index's staleness check.
    pub files: Vec<KbFile>,
}

/// The result of loading: what loaded, and what was wrong.
pub struct Loaded {
    pub kb: KnowledgeBase,
    pub diagnostics: Vec<Diagnostic>,
}

/// A line where a 12-digit number starts: it may be someone's My Number, and a published
/// page is shown to everyone, so the knowledge base never holds one.
pub fn personal_numbers(file: &KbFile) -> Vec<Diagnostic> {
    crate::text::privacy::lines_with_numbers(&file.text)
        .into_iter()
        .map(|line| {
            Diagnostic::new(
                Path::new(&file.path),
                line,
                "12桁の番号があります。マイナンバー（個人番号）の可能性がある番号は書けません。"
                    .into(),
            )
        })
        .collect()
}

impl KnowledgeBase {
    /// Reads every `*.md` under `dir` (sorted, so ids and errors are reproducible) and
    /// `glossary.toml`; paths in diagnostics and in `files` are joined to `dir`. Fails
    /// only when the folder itself cannot be read.
    pub fn load(dir: &Path) -> std::io::Result<Loaded> {
        let documents = files::markdown_in(dir)?;
        Ok(Self::assemble(
            documents.iter().map(|path| files::read_markdown(path)),
            files::read_glossary(dir),
        ))
    }

    /// The knowledge base of `files` (paths relative to the knowledge folder, as the
    /// database keeps them), parsed in memory: the same checks and diagnostics as
    /// [`KnowledgeBase::load`] of a folder holding them (no file here can be unreadable; a
    /// missing `glossary.toml` is reported as missing). Files that are neither `*.md` nor
    /// `glossary.toml` are left out.
    pub fn from_files(files: &[KbFile]) -> Loaded {
        let mut documents: Vec<&KbFile> = files.iter().filter(|f| files::is_markdown(f)).collect();
        documents.sort_by(|a, b| Path::new(&a.path).cmp(Path::new(&b.path)));
        let glossary = files
            .iter()
            .find(|f| f.path == files::GLOSSARY)
            .cloned()
            .ok_or_else(|| {
                Diagnostic::new(
                    Path::new(files::GLOSSARY),
                    0,
                    "glossary.toml がありません。ナレッジベースには glossary.toml が必要です。"
                        .into(),
                )
            });
        Self::assemble(documents.into_iter().cloned().map(Ok), glossary)
    }

    /// Parses the documents (in the order given) and the glossary, and cross-checks them;
    /// a file that could not be read comes as its diagnostic, in its place.
    fn assemble(
        documents: impl Iterator<Item = Result<KbFile, Diagnostic>>,
        glossary: Result<KbFile, Diagnostic>,
    ) -> Loaded {
        let mut diagnostics = Vec::new();
        let mut files = Vec::new();
        let mut parsed = Vec::new();
        let mut unparsed_sources = Vec::new();
        for file in documents {
            let file = match file {
                Ok(file) => file,
                Err(d) => {
                    diagnostics.push(d);
                    continue;
                }
            };
            diagnostics.extend(personal_numbers(&file));
            match parse::parse(Path::new(&file.path), &file.text) {
                Ok(doc) => parsed.push(doc),
                Err(unparsed) => {
                    diagnostics.extend(unparsed.diagnostics);
                    unparsed_sources.push((PathBuf::from(&file.path), unparsed.sources));
                }
            }
            files.push(file);
        }
        let glossary = match glossary {
            Ok(file) => {
                diagnostics.extend(personal_numbers(&file));
                let glossary = Glossary::parse(Path::new(&file.path), &file.text);
                files.push(file);
                glossary.unwrap_or_else(|d| {
                    diagnostics.push(d);
                    Glossary::default()
                })
            }
            Err(d) => {
                diagnostics.push(d);
                Glossary::default()
            }
        };
        let docs = cross_check(parsed, &unparsed_sources, &mut diagnostics);
        let by_id = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        Loaded {
            kb: KnowledgeBase {
                docs,
                by_id,
                glossary,
                files,
            },
            diagnostics,
        }
    }

    /// No documents (what a refused load returns).
    pub fn empty() -> KnowledgeBase {
        KnowledgeBase {
            docs: Vec::new(),
            by_id: HashMap::new(),
            glossary: Glossary::default(),
            files: Vec::new(),
        }
    }

    pub fn docs(&self) -> &[Document] {
        &self.docs
    }

    pub fn get(&self, id: &str) -> Option<&Document> {
        self.by_id.get(id).map(|&i| &self.docs[i])
    }

    /// The section a source reference points to (validated at load).
    pub fn section(&self, source: &SourceRef) -> Option<(&Document, &Section)> {
        let doc = self.get(&source.doc_id)?;
        let section = doc.sections.iter().find(|s| s.id == source.section_id)?;
        Some((doc, section))
    }

    /// All deadlines of all form documents.
    pub fn deadlines(&self) -> impl Iterator<Item = &Deadline> {
        self.docs.iter().flat_map(|d| d.form.deadlines.iter())
    }

    pub fn deadline(&self, id: &str) -> Option<&Deadline> {
        self.deadlines().find(|d| d.id == id)
    }

    /// All per-facility unit limits.
    pub fn unit_limits(&self) -> impl Iterator<Item = &UnitLimit> {
        self.docs.iter().flat_map(|d| d.form.limits.iter())
    }

    /// The FAQ whose answer is the call center's contact (exactly one, checked at load).
    pub fn contact(&self) -> Option<&Document> {
        self.docs.iter().find(|d| d.role == Some(Role::Contact))
    }
}

/// Checks what no single file can: unique ids, references between documents, one
/// contact, one default deadline. A document with a broken reference is left out.
/// `unparsed`: the sources named by files with other problems, checked too, so that one
/// pass reports everything.
fn cross_check(
    parsed: Vec<Document>,
    unparsed: &[(PathBuf, Vec<SourceRef>)],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Document> {
    for doc in &parsed {
        if let Some((line, note)) = &doc.needs_review {
            diagnostics.push(Diagnostic::new(
                &doc.path,
                *line,
                format!("確認が必要です（{note}）。確認が済んだら `needs_review` の行を削除してください。"),
            ));
        }
    }
    let mut first_seen: HashMap<String, PathBuf> = HashMap::new();
    let mut unique = Vec::new();
    for doc in parsed {
        if let Some(first) = first_seen.get(&doc.id) {
            diagnostics.push(Diagnostic::new(
                &doc.path,
                doc.id_line,
                format!(
                    "id「{}」は重複しています（すでに {} で使われています）。",
                    doc.id,
                    first.display()
                ),
            ));
            continue;
        }
        first_seen.insert(doc.id.clone(), doc.path.clone());
        unique.push(doc);
    }

    let sections: HashMap<&str, HashSet<&str>> = unique
        .iter()
        .filter(|d| d.kind == Kind::Notice)
        .map(|d| {
            (
                d.id.as_str(),
                d.sections.iter().map(|s| s.id.as_str()).collect(),
            )
        })
        .collect();
    let deadline_ids: HashSet<&str> = unique
        .iter()
        .flat_map(|d| d.form.deadlines.iter().map(|x| x.id.as_str()))
        .collect();

    let problem = |source: &SourceRef| match sections.get(source.doc_id.as_str()) {
        None => Some(format!(
            "sources の「{source}」が指す id「{}」の notice がありません。",
            source.doc_id
        )),
        Some(ids) if !ids.contains(source.section_id.as_str()) => Some(format!(
            "sources の「{source}」が指す notice「{}」にセクション「{}」がありません。",
            source.doc_id, source.section_id
        )),
        Some(_) => None,
    };
    for (path, sources) in unparsed {
        for source in sources {
            if let Some(message) = problem(source) {
                diagnostics.push(Diagnostic::new(path, source.line, message));
            }
        }
    }
    let mut broken = HashSet::new();
    for (i, doc) in unique.iter().enumerate() {
        let refs = doc.sources.iter().chain(doc.form.all_sources());
        for source in refs {
            if let Some(message) = problem(source) {
                diagnostics.push(Diagnostic::new(&doc.path, source.line, message));
                broken.insert(i);
            }
        }
        if let Some(id) = &doc.deadline
            && !deadline_ids.contains(id.as_str())
        {
            diagnostics.push(Diagnostic::new(
                &doc.path,
                doc.deadline_line,
                format!("deadline「{id}」はどの form の文書にも定義されていません。"),
            ));
            broken.insert(i);
        }
    }
    let docs: Vec<Document> = unique
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !broken.contains(i))
        .map(|(_, d)| d)
        .collect();

    let mut seen_deadlines = HashSet::new();
    for doc in &docs {
        for d in &doc.form.deadlines {
            if !seen_deadlines.insert(d.id.as_str()) {
                diagnostics.push(Diagnostic::new(
                    &doc.path,
                    d.line,
                    format!("deadlines の id「{}」が重複しています。", d.id),
                ));
            }
        }
    }
    let contacts: Vec<&Document> = docs
        .iter()
        .filter(|d| d.role == Some(Role::Contact))
        .collect();
    if contacts.len() != 1 {
        let path = contacts
            .get(1)
            .map_or_else(|| PathBuf::from("knowledge"), |d| d.path.clone());
        diagnostics.push(Diagnostic::new(
            &path,
            0,
            format!(
                "role = \"contact\" の FAQ はちょうど 1 件にしてください（現在 {} 件です）。",
                contacts.len()
            ),
        ));
    }
    let defaults = docs
        .iter()
        .flat_map(|d| &d.form.deadlines)
        .filter(|d| d.default)
        .count();
    if defaults != 1 {
        diagnostics.push(Diagnostic::new(
            Path::new("knowledge"),
            0,
            format!(
                "default = true の deadline はちょうど 1 件にしてください（現在 {defaults} 件です）。"
            ),
        ));
    }
    docs
}
