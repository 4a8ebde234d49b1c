//! What one knowledge file holds once parsed: a notice with its sections, an FAQ, or a
//! form's rules (see `parse` for how a file becomes one).

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A notice or one of its enclosures, split into citable sections.
    Notice,
    /// A question/answer pair in the words clinic staff use.
    Faq,
    /// Machine-readable rules of a form: fields, limits, deadlines.
    Form,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Notice => "notice",
            Kind::Faq => "faq",
            Kind::Form => "form",
        }
    }
}

/// What an FAQ's answer is: an answer, or a curated "the sources do not say this".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaqOutcome {
    Answer,
    NoAnswer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The call center's contact FAQ, quoted whenever the user is sent to a person.
    Contact,
}

/// A pointer to a notice section: `doc-id#section-id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    pub doc_id: String,
    pub section_id: String,
    /// Line of the reference in its file, for diagnostics.
    pub line: usize,
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.doc_id, self.section_id)
    }
}

#[derive(Debug, Clone)]
pub struct Section {
    pub id: String,
    pub heading: String,
    pub body: String,
}

/// Whether a deadline is met by arrival or by the postmark (消印有効).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    Received,
    Postmark,
}

#[derive(Debug, Clone)]
pub struct Deadline {
    pub id: String,
    pub date: NaiveDate,
    /// A closing time on that day as the source writes it ("24:00").
    pub time: Option<String>,
    pub basis: Basis,
    pub label: String,
    /// The deadline a question gets when it names none of the others' keywords.
    pub default: bool,
    /// Words in a question that point to this deadline.
    pub keywords: Vec<String>,
    pub sources: Vec<SourceRef>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct UnitLimit {
    pub facility: String,
    pub aliases: Vec<String>,
    pub max_units: u32,
    pub sources: Vec<SourceRef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    pub name: String,
    #[serde(default)]
    pub section: Option<String>,
    pub required: bool,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub multiple: bool,
    #[serde(default)]
    pub max_choices: Option<u32>,
    #[serde(default, rename = "sources")]
    pub(super) raw_sources: Vec<String>,
    #[serde(skip)]
    pub sources: Vec<SourceRef>,
}

#[derive(Debug, Clone, Default)]
pub struct FormRules {
    pub fields: Vec<FormField>,
    pub limits: Vec<UnitLimit>,
    pub deadlines: Vec<Deadline>,
}

impl FormRules {
    pub fn all_sources(&self) -> impl Iterator<Item = &SourceRef> {
        self.fields
            .iter()
            .flat_map(|f| &f.sources)
            .chain(self.limits.iter().flat_map(|l| &l.sources))
            .chain(self.deadlines.iter().flat_map(|d| &d.sources))
    }
}

/// An FAQ or form summary in English: what an English question is answered with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct English {
    pub title: String,
    #[serde(default)]
    pub questions: Vec<String>,
    pub answer: String,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub path: PathBuf,
    /// Where a notice comes from, as written on it.
    pub provenance: Option<String>,
    pub issued: Option<NaiveDate>,
    pub sources: Vec<SourceRef>,
    pub questions: Vec<String>,
    pub tags: Vec<String>,
    pub synonyms: Vec<String>,
    pub deadline: Option<String>,
    /// When the document applies (both ends included); outside it, it is not used to
    /// answer.
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    /// Set on documents proposed by an import: a problem until an editor has checked the
    /// document and removed it, so nothing imported is published unreviewed.
    pub needs_review: Option<(usize, String)>,
    pub outcome: FaqOutcome,
    pub role: Option<Role>,
    /// The Markdown body (for notices, the text before the first section is not allowed).
    pub body: String,
    pub sections: Vec<Section>,
    pub form: FormRules,
    /// The English version of an FAQ's or a form's answer, written by us from the Japanese
    /// (`kb check` holds it to the same facts).
    pub english: Option<English>,
    pub(super) id_line: usize,
    pub(super) deadline_line: usize,
}

impl Document {
    /// Whether the document applies on `day` (its validity period, when it has one).
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| day >= from)
            && self.valid_until.is_none_or(|until| day <= until)
    }
}

/// An id of a document or a section: a-z, 0-9 and '-', not starting with '-'.
pub(super) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}
