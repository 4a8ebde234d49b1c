//! Parsing one knowledge file: TOML front matter between `+++` lines, then Markdown.
//! Every problem of the file is collected with its line, not just the first.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use super::document::is_valid_id;
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
            Err(e) => {
                let line = self.line_of(value);
                self.error(
                    line,
                    format!("bad date \"{value}\": {e} (expected YYYY-MM-DD)"),
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
                    format!("source \"{s}\" must look like \"doc-id#section-id\""),
                ),
            }
        }
        out
    }
}

/// Parses one file. On any problem, returns all of them (not just the first).
pub fn parse(path: &Path, text: &str) -> Result<Document, Vec<Diagnostic>> {
    let one = |line: usize, message: String| vec![Diagnostic::new(path, line, message)];
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("+++") {
        return Err(one(
            1,
            "the file must start with front matter: a line \"+++\"".into(),
        ));
    }
    let mut front_len = 0;
    let mut close_line = None;
    for (i, line) in lines.by_ref().enumerate() {
        if line.trim_end() == "+++" {
            close_line = Some(i + 2);
            break;
        }
        front_len += line.len();
    }
    let Some(close_line) = close_line else {
        return Err(one(
            1,
            "front matter is not closed by a line \"+++\"".into(),
        ));
    };
    let front_start = text.find('\n').map_or(text.len(), |i| i + 1);
    let front = &text[front_start..front_start + front_len];
    let body: String = lines.collect();

    let fm: FrontMatter = match toml::from_str(front) {
        Ok(fm) => fm,
        Err(e) => {
            let line = e
                .span()
                .map_or(1, |s| front[..s.start].matches('\n').count() + 2);
            return Err(one(line, format!("front matter: {}", e.message())));
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
            format!("id \"{}\" must use only a-z, 0-9 and '-'", fm.id),
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
                format!("unknown kind \"{other}\" (expected notice, faq or form)"),
            );
            None
        }
    };
    if fm.title.trim().is_empty() {
        let line = c.line_of("title =");
        c.error(line, "title is empty");
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
            format!("valid_until {until} is before valid_from {from}"),
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
                format!("unknown outcome \"{other}\" (expected answer or no_answer)"),
            );
            FaqOutcome::Answer
        }
    };
    let role = match fm.role.as_deref() {
        None => None,
        Some("contact") => Some(Role::Contact),
        Some(other) => {
            let line = c.line_of("role =");
            c.error(line, format!("unknown role \"{other}\" (expected contact)"));
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
                format!("limit for \"{}\": max_units must be at least 1", l.facility),
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
                    format!("deadline \"{}\": unknown basis \"{other}\"", d.id),
                );
                Basis::Received
            }
        };
        let sources = c.sources(&d.sources);
        if sources.is_empty() {
            c.error(
                line,
                format!("deadline \"{}\" needs at least one source", d.id),
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

    let (sections, lead) = sections::split(&body, close_line + 1, &mut |line, message| {
        c.error(line, message)
    });

    match kind {
        Some(Kind::Notice) => {
            if sections.is_empty() {
                c.error(
                    close_line,
                    "a notice needs at least one \"## 見出し {#id}\" section",
                );
            }
            if !lead.trim().is_empty() {
                c.error(close_line + 1, "text before the first section of a notice");
            }
            if fm.source.is_none() {
                c.error(id_line, "a notice needs `source` (where it comes from)");
            }
            for s in &sections {
                if s.body.is_empty() {
                    c.error(close_line, format!("section \"{}\" is empty", s.id));
                }
            }
        }
        Some(Kind::Faq) => {
            if body.trim().is_empty() {
                c.error(close_line + 1, "an FAQ needs an answer in its body");
            }
            if sources.is_empty() {
                c.error(
                    id_line,
                    "an FAQ needs `sources` (the notice sections its answer rests on)",
                );
            }
            if !fm.id.starts_with("faq-") {
                c.error(id_line, "an FAQ's id starts with \"faq-\"");
            }
        }
        Some(Kind::Form)
            if form.fields.is_empty() && form.deadlines.is_empty() && form.limits.is_empty() =>
        {
            c.error(id_line, "a form document needs fields, limits or deadlines");
        }
        Some(Kind::Form) => {}
        None => {}
    }
    if kind != Some(Kind::Faq)
        && (fm.deadline.is_some() || fm.outcome.is_some() || fm.role.is_some())
    {
        c.error(id_line, "deadline, outcome and role are for FAQs only");
    }

    if let Some(english) = &fm.english {
        let line = c.line_of("[english]");
        if kind == Some(Kind::Notice) {
            c.error(
                line,
                "notices have no English version (only FAQs and forms)",
            );
        }
        if english.title.trim().is_empty() || english.answer.trim().is_empty() {
            c.error(line, "[english] needs a title and an answer");
        }
        for difference in translation_differences(&body, &english.answer) {
            c.error(line, format!("[english] answer: {difference}"));
        }
    }

    if !c.errors.is_empty() {
        return Err(c.errors);
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
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        match parse(Path::new("x.md"), text) {
            Ok(_) => vec![],
            Err(e) => e
                .into_iter()
                .map(|d| format!("{}: {}", d.line, d.message))
                .collect(),
        }
    }

    #[test]
    fn parses_a_notice_with_sections() {
        let text = "+++\nid = \"n\"\nkind = \"notice\"\ntitle = \"T\"\nsource = \"S\"\nissued = \"2021-03-03\"\n+++\n## 見出し {#a}\n本文。\n## 二 {#b}\n二の本文。\n";
        let doc = parse(Path::new("n.md"), text).unwrap();
        assert_eq!(doc.sections.len(), 2);
        assert_eq!(doc.sections[0].heading, "見出し");
        assert_eq!(doc.sections[1].body, "二の本文。");
        assert_eq!(doc.issued, NaiveDate::from_ymd_opt(2021, 3, 3));
    }

    #[test]
    fn reports_missing_field_with_line() {
        let e = errors("+++\nid = \"faq-x\"\nkind = \"faq\"\n+++\n答え\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("title"), "{e:?}");
    }

    #[test]
    fn reports_bad_date_on_its_line() {
        let e = errors(
            "+++\nid = \"n\"\nkind = \"notice\"\ntitle = \"T\"\nsource = \"S\"\nissued = \"2021-02-30\"\n+++\n## a {#a}\nx\n",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("6: bad date \"2021-02-30\""), "{e:?}");
    }

    #[test]
    fn reports_unknown_keys_and_kinds() {
        let e = errors("+++\nid = \"n\"\nkind = \"memo\"\ntitle = \"T\"\n+++\nx\n");
        assert!(e[0].contains("unknown kind \"memo\""), "{e:?}");
        let e = errors("+++\nid = \"n\"\nkind = \"faq\"\ntitle = \"T\"\ncolour = 1\n+++\nx\n");
        assert!(
            e[0].starts_with("5: front matter: unknown field `colour`"),
            "{e:?}"
        );
    }

    #[test]
    fn heading_without_id_is_an_error() {
        let e = errors(
            "+++\nid = \"n\"\nkind = \"notice\"\ntitle = \"T\"\nsource = \"S\"\n+++\n## 見出し\nx\n",
        );
        assert!(
            e.iter().any(|m| m.starts_with("7: section heading")),
            "{e:?}"
        );
    }

    #[test]
    fn missing_front_matter() {
        let e = errors("# just markdown\n");
        assert_eq!(
            e,
            vec!["1: the file must start with front matter: a line \"+++\"".to_string()]
        );
    }
}
