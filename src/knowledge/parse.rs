//! Parsing one knowledge file: TOML front matter between `+++` lines, then Markdown.
//! Every problem of the file is collected with its line, not just the first.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use super::document::is_valid_id;
use super::front_matter::{self, Split};
use super::sections;
use super::{
    Basis, Deadline, Diagnostic, Document, English, FaqOutcome, FormField, FormRules, Kind, Role,
    SourceRef, UnitLimit,
};
use crate::text::facts::translation_differences;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    kind: String,
    title: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    questions: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    synonyms: Vec<String>,
    #[serde(default)]
    issued: Option<String>,
    #[serde(default)]
    deadline: Option<String>,
    #[serde(default)]
    valid_from: Option<String>,
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    needs_review: Option<String>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    fields: Vec<FormField>,
    #[serde(default)]
    limits: Vec<RawLimit>,
    #[serde(default)]
    deadlines: Vec<RawDeadline>,
    #[serde(default)]
    english: Option<English>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimit {
    facility: String,
    aliases: Vec<String>,
    max_units: u32,
    sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadline {
    id: String,
    date: String,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    basis: Option<String>,
    label: String,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    keywords: Vec<String>,
    sources: Vec<String>,
}

/// Collects the problems of one file; the file loads only if there are none.
struct Checker<'a> {
    path: &'a Path,
    front: &'a str,
    errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, line: usize, message: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.path, line, message.into()));
    }

    /// The file line of the first front-matter line containing `needle` (line 1 is `+++`).
    fn line_of(&self, needle: &str) -> usize {
        self.front
            .lines()
            .position(|l| l.contains(needle))
            .map_or(1, |i| i + 2)
    }

    fn date(&mut self, value: &str) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let line = self.line_of(value);
                self.error(
                    line,
                    format!(
                        "日付「{value}」を読めません。YYYY-MM-DD の形で、実在する日付を書いてください。"
                    ),
                );
                None
            }
        }
    }

    fn sources(&mut self, raw: &[String]) -> Vec<SourceRef> {
        let mut out = Vec::new();
        for s in raw {
            let line = self.line_of(&format!("\"{s}\""));
            match s.split_once('#') {
                Some((doc, section)) if !doc.is_empty() && !section.is_empty() => {
                    out.push(SourceRef {
                        doc_id: doc.to_string(),
                        section_id: section.to_string(),
                        line,
                    })
                }
                _ => self.error(
                    line,
                    format!("sources の「{s}」は「doc-id#section-id」の形で書いてください。"),
                ),
            }
        }
        out
    }
}

/// A TOML reader's message, in the editor's words: the usual ones said in Japanese, with
/// the key they name; a syntax error as what to check (its own words after it).
fn toml_problem(message: &str) -> String {
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    if let Some(key) = named("missing field `") {
        format!("front matter に {key} がありません。「{key} = …」の行を加えてください。")
    } else if let Some(key) = named("unknown field `") {
        format!(
            "front matter の {key} は使えない項目です（綴りを確かめてください）。使える項目: id、kind、title など。"
        )
    } else if let Some(key) = named("duplicate key `") {
        format!("front matter に {key} が二度書かれています。一つにしてください。")
    } else if message.starts_with("invalid type") {
        format!(
            "front matter の値の種類が違います（文字列は \"…\"、一覧は [\"…\", \"…\"]）。詳細: {message}"
        )
    } else {
        format!(
            "front matter の書き方が正しくありません（「キー = 値」、文字列は \"…\"、一覧の要素の間は「,」）。詳細: {message}"
        )
    }
}

/// A file that could not be read into a document: its problems, and the sources it names
/// (checked against the notices all the same, so that one pass reports everything).
#[derive(Debug)]
pub struct Unparsed {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Vec<SourceRef>,
}

/// Parses one file. On any problem, returns all of them (not just the first).
pub fn parse(path: &Path, text: &str) -> Result<Document, Unparsed> {
    let one = |line: usize, message: String| Unparsed {
        diagnostics: vec![Diagnostic::new(path, line, message)],
        sources: Vec::new(),
    };
    let Split {
        front,
        body,
        close_line,
    } = front_matter::split(text).map_err(|(line, message)| one(line, message))?;

    let fm: FrontMatter = match toml::from_str(front) {
        Ok(fm) => fm,
        Err(e) => {
            let line = e
                .span()
                .map_or(1, |s| front[..s.start].matches('\n').count() + 2);
            let mut unparsed = one(line, toml_problem(e.message()));
            // A missing or unknown key leaves the TOML readable: its sources are checked.
            if let Ok(table) = toml::from_str::<toml::Table>(front) {
                let raw: Vec<String> = table
                    .get("sources")
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut c = Checker {
                    path,
                    front,
                    errors: Vec::new(),
                };
                unparsed.sources = c.sources(&raw);
                unparsed.diagnostics.append(&mut c.errors);
            }
            return Err(unparsed);
        }
    };

    let mut c = Checker {
        path,
        front,
        errors: Vec::new(),
    };
    let id_line = c.line_of("id =");
    if !is_valid_id(&fm.id) {
        c.error(
            id_line,
            format!("id「{}」には a-z、0-9、「-」だけを使ってください。", fm.id),
        );
    }
    let kind = match fm.kind.as_str() {
        "notice" => Some(Kind::Notice),
        "faq" => Some(Kind::Faq),
        "form" => Some(Kind::Form),
        other => {
            let line = c.line_of("kind =");
            c.error(
                line,
                format!(
                    "kind「{other}」は使えません。notice、faq、form のいずれかにしてください。"
                ),
            );
            None
        }
    };
    if fm.title.trim().is_empty() {
        let line = c.line_of("title =");
        c.error(line, "title が空です。");
    }
    let issued = fm.issued.as_deref().and_then(|d| c.date(d));
    let needs_review = fm
        .needs_review
        .map(|note| (c.line_of("needs_review ="), note));
    let valid_from = fm.valid_from.as_deref().and_then(|d| c.date(d));
    let valid_until = fm.valid_until.as_deref().and_then(|d| c.date(d));
    if let (Some(from), Some(until)) = (valid_from, valid_until)
        && until < from
    {
        let line = c.line_of("valid_until =");
        c.error(
            line,
            format!("valid_until（{until}）が valid_from（{from}）より前になっています。"),
        );
    }
    let sources = c.sources(&fm.sources);
    let outcome = match fm.outcome.as_deref() {
        None | Some("answer") => FaqOutcome::Answer,
        Some("no_answer") => FaqOutcome::NoAnswer,
        Some(other) => {
            let line = c.line_of("outcome =");
            c.error(
                line,
                format!("outcome「{other}」は使えません。answer か no_answer にしてください。"),
            );
            FaqOutcome::Answer
        }
    };
    let role = match fm.role.as_deref() {
        None => None,
        Some("contact") => Some(Role::Contact),
        Some(other) => {
            let line = c.line_of("role =");
            c.error(
                line,
                format!("role「{other}」は使えません。contact にしてください。"),
            );
            None
        }
    };
    let deadline_line = c.line_of("deadline =");

    let mut form = FormRules::default();
    for mut field in fm.fields {
        field.sources = c.sources(&field.raw_sources);
        form.fields.push(field);
    }
    for l in fm.limits {
        if l.max_units == 0 {
            let line = c.line_of(&format!("\"{}\"", l.facility));
            c.error(
                line,
                format!(
                    "limits の facility「{}」: max_units は 1 以上にしてください。",
                    l.facility
                ),
            );
        }
        let sources = c.sources(&l.sources);
        form.limits.push(UnitLimit {
            facility: l.facility,
            aliases: l.aliases,
            max_units: l.max_units,
            sources,
        });
    }
    for d in fm.deadlines {
        let line = c.line_of(&format!("id = \"{}\"", d.id));
        let date = c.date(&d.date);
        let basis = match d.basis.as_deref() {
            None | Some("received") => Basis::Received,
            Some("postmark") => Basis::Postmark,
            Some(other) => {
                c.error(
                    line,
                    format!(
                        "deadline「{}」の basis「{other}」は使えません。received か postmark にしてください。",
                        d.id
                    ),
                );
                Basis::Received
            }
        };
        let sources = c.sources(&d.sources);
        if sources.is_empty() {
            c.error(
                line,
                format!(
                    "deadline「{}」には sources を 1 つ以上書いてください。",
                    d.id
                ),
            );
        }
        if let Some(date) = date {
            form.deadlines.push(Deadline {
                id: d.id,
                date,
                time: d.time,
                basis,
                label: d.label,
                default: d.default,
                keywords: d.keywords,
                sources,
                line,
            });
        }
    }

    let (sections, lead) = sections::split(body, close_line + 1, &mut |line, message| {
        c.error(line, message)
    });

    match kind {
        Some(Kind::Notice) => {
            if sections.is_empty() {
                c.error(
                    close_line,
                    "notice には「## 見出し {#id}」の形のセクションが 1 つ以上必要です。",
                );
            }
            if !lead.trim().is_empty() {
                c.error(
                    close_line + 1,
                    "notice の最初のセクションより前に本文があります。本文はセクションの中に書いてください。",
                );
            }
            if fm.source.is_none() {
                c.error(id_line, "notice には `source`（出典）が必要です。");
            }
            for s in &sections {
                if s.body.is_empty() {
                    c.error(
                        close_line,
                        format!("セクション「{}」の本文が空です。", s.id),
                    );
                }
            }
        }
        Some(Kind::Faq) => {
            if body.trim().is_empty() {
                c.error(close_line + 1, "FAQ の本文に回答を書いてください。");
            }
            if sources.is_empty() {
                c.error(
                    id_line,
                    "FAQ には `sources`（回答の根拠となる notice のセクション）が必要です。",
                );
            }
            if !fm.id.starts_with("faq-") {
                c.error(id_line, "FAQ の id は「faq-」で始めてください。");
            }
        }
        Some(Kind::Form)
            if form.fields.is_empty() && form.deadlines.is_empty() && form.limits.is_empty() =>
        {
            c.error(
                id_line,
                "form の文書には fields、limits、deadlines のいずれかが必要です。",
            );
        }
        Some(Kind::Form) => {}
        None => {}
    }
    if kind != Some(Kind::Faq)
        && (fm.deadline.is_some() || fm.outcome.is_some() || fm.role.is_some())
    {
        c.error(id_line, "deadline、outcome、role は FAQ でだけ使えます。");
    }

    if let Some(english) = &fm.english {
        let line = c.line_of("[english]");
        if kind == Some(Kind::Notice) {
            c.error(
                line,
                "notice には英語版（[english]）を付けられません。[english] は FAQ と form にだけ書けます。",
            );
        }
        if english.title.trim().is_empty() || english.answer.trim().is_empty() {
            c.error(line, "[english] には title と answer が必要です。");
        }
        for difference in translation_differences(body, &english.answer) {
            c.error(
                line,
                format!("[english] の answer が日本語の本文と合いません: {difference}"),
            );
        }
    }

    if !c.errors.is_empty() {
        return Err(Unparsed {
            diagnostics: c.errors,
            sources,
        });
    }
    let Some(kind) = kind else {
        unreachable!("an unknown kind is an error above")
    };
    Ok(Document {
        id: fm.id,
        kind,
        title: fm.title,
        path: path.to_path_buf(),
        provenance: fm.source,
        issued,
        sources,
        questions: fm.questions,
        tags: fm.tags,
        synonyms: fm.synonyms,
        deadline: fm.deadline,
        valid_from,
        valid_until,
        needs_review,
        outcome,
        role,
        body: body.trim().to_string(),
        sections,
        english: fm.english.map(|e| English {
            answer: e.answer.trim().to_string(),
            ..e
        }),
        form,
        id_line,
        deadline_line,
    })
}

#[cfg(test)]
mod tests;
