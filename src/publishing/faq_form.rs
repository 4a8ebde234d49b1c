//! The editor console's form for an FAQ: the fields an editor fills in, read from an FAQ
//! file and written back into it. Writing sets only the form's keys: every other key of
//! the front matter (synonyms, outcome, role …) is kept as it was, so the form and the raw
//! file are two views of one text. Whether the result is a good FAQ is `kb check`'s job.

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use crate::knowledge::front_matter;

/// An FAQ as the form shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqForm {
    #[schema(max_length = 200)]
    pub id: String,
    #[schema(max_length = 500)]
    pub title: String,
    /// Other wordings of the question.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub questions: Vec<String>,
    /// The answer in Japanese (the file's body, Markdown).
    #[schema(max_length = 20000)]
    pub answer: String,
    /// Sections of notices and forms the answer comes from (`doc-id#section-id`).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub sources: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub tags: Vec<String>,
    /// First day the answer applies (`YYYY-MM-DD`), if it has one.
    #[serde(default)]
    #[schema(max_length = 10)]
    pub valid_from: Option<String>,
    /// Last day the answer applies.
    #[serde(default)]
    #[schema(max_length = 10)]
    pub valid_until: Option<String>,
    /// The English version (`[english]`), when there is one.
    #[serde(default)]
    pub english: Option<EnglishForm>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnglishForm {
    #[schema(max_length = 500)]
    pub title: String,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub questions: Vec<String>,
    #[schema(max_length = 20000)]
    pub answer: String,
}

/// Why the form cannot take a text or a field (in the editor's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A text or a list over its limit: refused, naming the field.
    #[error("{field} が長すぎます（{max} まで）。")]
    TooLong { field: &'static str, max: usize },
    /// Not an FAQ the form can show or write (why): the console keeps the raw file in view.
    #[error("{0}")]
    Unreadable(String),
}

/// What a field may hold at most, as the schema above says: characters of a text, items of
/// a list. Longer is refused before anything is read.
fn over(field: &'static str, length: usize, max: usize) -> Result<(), FormError> {
    if length > max {
        return Err(FormError::TooLong { field, max });
    }
    Ok(())
}

impl FaqForm {
    /// The first field over its limit, named (Japanese).
    pub fn within_limits(&self) -> Result<(), FormError> {
        let chars = |s: &str| s.chars().count();
        let optional = |s: &Option<String>| s.as_deref().map_or(0, chars);
        over("id", chars(&self.id), 200)?;
        over("title", chars(&self.title), 500)?;
        over("questions", self.questions.len(), 50)?;
        over("answer", chars(&self.answer), 20_000)?;
        over("sources", self.sources.len(), 50)?;
        over("tags", self.tags.len(), 50)?;
        over("valid_from", optional(&self.valid_from), 10)?;
        over("valid_until", optional(&self.valid_until), 10)?;
        if let Some(e) = &self.english {
            over("english.title", chars(&e.title), 500)?;
            over("english.questions", e.questions.len(), 50)?;
            over("english.answer", chars(&e.answer), 20_000)?;
        }
        Ok(())
    }
}

/// The longest FAQ file the form reads or writes (characters).
pub const MAX_TEXT: usize = 60_000;

/// A file over [`MAX_TEXT`] is refused, naming it.
pub fn text_within_limit(text: &str) -> Result<(), FormError> {
    over("text", text.chars().count(), MAX_TEXT)
}

/// The front matter's TOML and the body of a knowledge file, or why the form cannot open it.
fn split(text: &str) -> Result<(&str, &str), FormError> {
    let split = front_matter::split(text).map_err(|(_, message)| {
        FormError::Unreadable(format!("{message}（直すまではフォームで開けません。）"))
    })?;
    Ok((split.front, split.body))
}

fn table(front: &str) -> Result<Table, FormError> {
    front.parse::<Table>().map_err(|e| {
        FormError::Unreadable(format!(
            "front matter の TOML を読めないため、フォームで開けません: {e}"
        ))
    })
}

fn string(table: &Table, key: &str) -> String {
    table
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn strings(table: &Table, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn optional(table: &Table, key: &str) -> Option<String> {
    table.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The form of an FAQ file; an error (Japanese) when the text is not an FAQ the form can
/// show.
pub fn read(text: &str) -> Result<FaqForm, FormError> {
    let (front, body) = split(text)?;
    let t = table(front)?;
    if t.get("kind").and_then(Value::as_str) != Some("faq") {
        return Err(FormError::Unreadable(
            "kind = \"faq\" の文書だけをフォームで編集できます。".into(),
        ));
    }
    let english = match t.get("english") {
        None => None,
        Some(Value::Table(e)) => Some(EnglishForm {
            title: string(e, "title"),
            questions: strings(e, "questions"),
            answer: string(e, "answer"),
        }),
        Some(_) => {
            return Err(FormError::Unreadable(
                "[english] が表になっていないため、フォームで開けません。".into(),
            ));
        }
    };
    Ok(FaqForm {
        id: string(&t, "id"),
        title: string(&t, "title"),
        questions: strings(&t, "questions"),
        answer: body.trim().to_string(),
        sources: strings(&t, "sources"),
        tags: strings(&t, "tags"),
        valid_from: optional(&t, "valid_from"),
        valid_until: optional(&t, "valid_until"),
        english,
    })
}

fn list(items: &[String]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_string()))
            .collect(),
    )
}

/// Sets `key` to a list, or removes it when the list is empty and the key is optional.
fn set_list(t: &mut Table, key: &str, items: &[String], keep_empty: bool) {
    let value = list(items);
    if !keep_empty && value.as_array().is_some_and(Vec::is_empty) {
        t.remove(key);
    } else {
        t.insert(key.into(), value);
    }
}

fn set_optional(t: &mut Table, key: &str, value: &Option<String>) {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => {
            t.insert(key.into(), Value::String(v.to_string()));
        }
        None => {
            t.remove(key);
        }
    }
}

/// `text` (an FAQ file, or empty for a new one) with the form's fields written into it;
/// the front matter's other keys are kept.
pub fn write(text: &str, form: &FaqForm) -> Result<String, FormError> {
    let mut t = if text.trim().is_empty() {
        Table::new()
    } else {
        let (front, _) = split(text)?;
        table(front)?
    };
    if t.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k != "faq")
    {
        return Err(FormError::Unreadable(
            "kind = \"faq\" の文書だけをフォームで編集できます。".into(),
        ));
    }
    t.insert("id".into(), Value::String(form.id.trim().to_string()));
    t.insert("kind".into(), Value::String("faq".into()));
    t.insert("title".into(), Value::String(form.title.trim().to_string()));
    set_list(&mut t, "questions", &form.questions, true);
    set_list(&mut t, "sources", &form.sources, true);
    set_list(&mut t, "tags", &form.tags, false);
    set_optional(&mut t, "valid_from", &form.valid_from);
    set_optional(&mut t, "valid_until", &form.valid_until);
    match &form.english {
        Some(e) => {
            let mut english = match t.remove("english") {
                Some(Value::Table(e)) => e,
                _ => Table::new(),
            };
            english.insert("title".into(), Value::String(e.title.trim().to_string()));
            set_list(&mut english, "questions", &e.questions, false);
            english.insert("answer".into(), Value::String(e.answer.trim().to_string()));
            t.insert("english".into(), Value::Table(english));
        }
        None => {
            t.remove("english");
        }
    }
    let front = toml::to_string(&t)
        .map_err(|e| FormError::Unreadable(format!("front matter を書けません: {e}")))?;
    Ok(format!("+++\n{front}+++\n{}\n", form.answer.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAQ: &str = "+++\nid = \"faq-a\"\nkind = \"faq\"\ntitle = \"締切はいつですか\"\nquestions = [\"締め切りは？\"]\nsources = [\"filing-notes#deadline\"]\nsynonyms = [\"期限\"]\n\n[english]\ntitle = \"When is the deadline?\"\nanswer = \"\"\"\nBy March 31.\"\"\"\n+++\n3月31日までです。\n";

    /// Every file under `dir`, with its path relative to it.
    fn knowledge_files(dir: &std::path::Path) -> Vec<crate::knowledge::KbFile> {
        fn walk(
            root: &std::path::Path,
            dir: &std::path::Path,
            out: &mut Vec<crate::knowledge::KbFile>,
        ) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    out.push(crate::knowledge::KbFile {
                        path: path
                            .strip_prefix(root)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                        text: std::fs::read_to_string(&path).unwrap(),
                    });
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out
    }

    #[test]
    fn reads_the_fields_of_an_faq() {
        let form = read(FAQ).unwrap();
        assert_eq!(form.id, "faq-a");
        assert_eq!(form.title, "締切はいつですか");
        assert_eq!(form.questions, ["締め切りは？"]);
        assert_eq!(form.sources, ["filing-notes#deadline"]);
        assert_eq!(form.answer, "3月31日までです。");
        let english = form.english.unwrap();
        assert_eq!(english.title, "When is the deadline?");
        assert_eq!(english.answer, "By March 31.");
    }

    #[test]
    fn writing_the_form_back_keeps_the_keys_it_does_not_show() {
        let mut form = read(FAQ).unwrap();
        form.questions.push("いつまで？".into());
        form.answer = "3月31日までです。お早めにお申し込みください。".into();
        form.valid_until = Some("2021-03-31".into());
        let text = write(FAQ, &form).unwrap();
        assert!(text.contains("synonyms = [\"期限\"]"), "{text}");
        assert!(
            text.ends_with("+++\n3月31日までです。お早めにお申し込みください。\n"),
            "{text}"
        );
        let again = read(&text).unwrap();
        assert_eq!(again, form);
        // And `kb check` reads it, beside the real knowledge base, as the same FAQ with no
        // problem (its source is a real section).
        let text = text.replace("filing-notes#deadline", "filing-notes#account");
        let mut files = knowledge_files(std::path::Path::new("knowledge"));
        files.push(crate::knowledge::KbFile {
            path: "faq/zz-form.md".into(),
            text,
        });
        let loaded = crate::knowledge::KnowledgeBase::from_files(&files);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let doc = loaded.kb.get("faq-a").expect("the FAQ loads");
        assert_eq!(doc.questions, ["締め切りは？", "いつまで？"]);
        assert_eq!(doc.synonyms, ["期限"]);
        assert_eq!(
            doc.valid_until,
            chrono::NaiveDate::from_ymd_opt(2021, 3, 31)
        );
    }

    #[test]
    fn a_new_faq_is_written_from_nothing_and_empty_optional_keys_are_left_out() {
        let form = FaqForm {
            id: "faq-new".into(),
            title: "新しい質問".into(),
            questions: vec!["  ".into(), "別の言い方".into()],
            answer: "答え".into(),
            ..FaqForm::default()
        };
        let text = write("", &form).unwrap();
        assert!(
            text.starts_with("+++\nid = \"faq-new\"\nkind = \"faq\"\n"),
            "{text}"
        );
        assert!(!text.contains("tags") && !text.contains("english") && !text.contains("valid_"));
        assert_eq!(read(&text).unwrap().questions, ["別の言い方"]);
    }

    #[test]
    fn a_field_over_its_limit_is_named() {
        let mut form = FaqForm::default();
        assert!(form.within_limits().is_ok());
        form.questions = vec![String::new(); 51];
        assert_eq!(
            form.within_limits(),
            Err(FormError::TooLong {
                field: "questions",
                max: 50
            })
        );
        form.questions.clear();
        form.english = Some(EnglishForm {
            answer: "a".repeat(20_001),
            ..EnglishForm::default()
        });
        assert!(
            form.within_limits()
                .unwrap_err()
                .to_string()
                .starts_with("english.answer")
        );
        assert!(text_within_limit(&"あ".repeat(MAX_TEXT)).is_ok());
        assert!(text_within_limit(&"あ".repeat(MAX_TEXT + 1)).is_err());
    }

    #[test]
    fn what_is_not_an_faq_is_refused_with_a_reason() {
        assert!(read("本文だけ").unwrap_err().to_string().contains("+++"));
        assert!(
            read("+++\nid = \"n\"\nkind = \"notice\"\n+++\n")
                .unwrap_err()
                .to_string()
                .contains("faq")
        );
        assert!(
            read("+++\nid = \n+++\n")
                .unwrap_err()
                .to_string()
                .contains("TOML")
        );
        assert!(write("+++\nkind = \"notice\"\n+++\n", &FaqForm::default()).is_err());
    }
}
