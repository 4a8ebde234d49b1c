//! New notices arrive as PDF or HTML: their text is extracted with its headings and
//! tables, split into sections, and proposed as a notice document and FAQ drafts. Every
//! proposal carries `needs_review`, which `kb check` reports as a problem, so nothing is
//! published before an editor has checked it against the original and removed the line.

use std::sync::LazyLock;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use regex::Regex;

use crate::knowledge::KbFile;

/// Largest file accepted for import.
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;
/// A line this short, without a full stop, numbered or bracketed, is a heading in text
/// that has no markup (a PDF).
const MAX_HEADING_CHARS: usize = 40;
/// Characters of a section's opening quoted in a proposed FAQ answer.
const FAQ_ANSWER_CHARS: usize = 200;

/// A piece of the document in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    Table(Vec<Vec<String>>),
}

/// The blocks of `bytes`, by the file name's extension: `.pdf`, `.html`/`.htm`, `.txt`/`.md`.
pub fn extract(name: &str, bytes: &[u8]) -> Result<Vec<Block>> {
    if bytes.len() > MAX_IMPORT_BYTES {
        bail!(
            "{name} is larger than {} MiB",
            MAX_IMPORT_BYTES / 1024 / 1024
        );
    }
    let lower = name.to_lowercase();
    let blocks = if lower.ends_with(".pdf") {
        let text = pdf_extract::extract_text_from_mem(bytes)
            .map_err(|e| anyhow::anyhow!("{name}: not a readable PDF: {e}"))?;
        text_blocks(&text)
    } else if lower.ends_with(".html") || lower.ends_with(".htm") {
        html_blocks(&String::from_utf8_lossy(bytes))
    } else if lower.ends_with(".txt") || lower.ends_with(".md") {
        let text = std::str::from_utf8(bytes).with_context(|| format!("{name}: not UTF-8"))?;
        text_blocks(text)
    } else {
        bail!("{name}: expected a .pdf, .html, .htm, .txt or .md file");
    };
    if !blocks.iter().any(|b| matches!(b, Block::Paragraph(_))) {
        bail!("{name}: no text found (a scanned PDF has none: it needs OCR first)");
    }
    Ok(blocks)
}

/// Plain text (a PDF's or a text file's): paragraphs are separated by blank lines; the
/// lines of a paragraph are joined (Japanese wraps without spaces); Markdown headings and
/// numbered or bracketed short lines are headings; `|`-rows are tables.
fn text_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    for para in text.split("\n\n") {
        let lines: Vec<&str> = para
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            continue;
        }
        if lines.iter().all(|l| l.starts_with('|')) {
            let rows: Vec<Vec<String>> = lines
                .iter()
                .filter(|l| !l.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')))
                .map(|l| {
                    l.trim_matches('|')
                        .split('|')
                        .map(|c| c.trim().to_string())
                        .collect()
                })
                .collect();
            blocks.push(Block::Table(rows));
            continue;
        }
        let joined = join_lines(&lines);
        let markdown = joined.trim_start_matches('#');
        if markdown.len() < joined.len() && markdown.starts_with(' ') {
            blocks.push(Block::Heading(markdown.trim().to_string()));
        } else if lines.len() == 1 && looks_like_heading(&joined) {
            blocks.push(Block::Heading(joined));
        } else {
            blocks.push(Block::Paragraph(strip_emphasis(&joined)));
        }
    }
    blocks
}

/// Lines of one paragraph: joined directly between Japanese characters, with a space
/// between Latin words.
fn join_lines(lines: &[&str]) -> String {
    let mut out = String::new();
    for line in lines {
        let ascii_edge = out
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && line
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if ascii_edge {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

fn strip_emphasis(text: &str) -> String {
    text.replace("**", "")
}

fn looks_like_heading(line: &str) -> bool {
    let chars = line.chars().count();
    if chars > MAX_HEADING_CHARS || line.ends_with('。') {
        return false;
    }
    let first = line.chars().next().unwrap_or(' ');
    let numbered = (first.is_ascii_digit() || ('０'..='９').contains(&first))
        && line
            .chars()
            .find(|c| !(c.is_ascii_digit() || ('０'..='９').contains(c)))
            .is_some_and(|c| matches!(c, ' ' | '　' | '.' | '．' | '、'));
    numbered || (line.starts_with('【') && line.ends_with('】'))
}

/// HTML: `h1`–`h4` are headings, `p`/`li`/`div`/`br` break paragraphs, tables keep their
/// rows and cells; scripts and styles are dropped; entities decoded.
fn html_blocks(html: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut text = String::new();
    let mut table: Option<Vec<Vec<String>>> = None;
    let mut heading = false;
    let mut rest = html;
    let flush = |text: &mut String, heading: bool, blocks: &mut Vec<Block>| {
        let t = collapse(text);
        if !t.is_empty() {
            blocks.push(if heading {
                Block::Heading(t)
            } else {
                Block::Paragraph(t)
            });
        }
        text.clear();
    };
    while let Some(open) = rest.find('<') {
        text.push_str(&decode(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = rest[open + 1..open + close].trim();
        rest = &rest[open + close + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match name.as_str() {
            "script" | "style" if !closing => {
                // Skip to the end of the element.
                let end = format!("</{name}");
                rest = rest
                    .to_ascii_lowercase()
                    .find(&end)
                    .map_or("", |i| &rest[i..]);
            }
            "h1" | "h2" | "h3" | "h4" => {
                flush(&mut text, heading, &mut blocks);
                heading = !closing;
            }
            "table" if !closing => {
                flush(&mut text, heading, &mut blocks);
                table = Some(Vec::new());
            }
            "table" => {
                if let Some(rows) = table.take() {
                    blocks.push(Block::Table(rows));
                }
            }
            "tr" if !closing => {
                if let Some(rows) = table.as_mut() {
                    rows.push(Vec::new());
                }
            }
            "td" | "th" => {
                if closing && let Some(row) = table.as_mut().and_then(|r| r.last_mut()) {
                    row.push(collapse(&text));
                }
                text.clear();
            }
            "p" | "div" | "li" | "br" | "section" | "article" | "ul" | "ol" if table.is_none() => {
                flush(&mut text, heading, &mut blocks);
            }
            _ => {}
        }
    }
    text.push_str(&decode(rest));
    flush(&mut text, heading, &mut blocks);
    blocks
}

/// Whitespace runs (HTML source line breaks) as one space, trimmed.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let entity = &after[..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// 令和N年M月D日 (or 西暦) in the text, as a date: the notice's issue date when it is
/// among the first lines.
fn issued(blocks: &[Block]) -> Option<NaiveDate> {
    let re = regex::Regex::new(r"(令和|平成)?\s*(\d{1,4})年\s*(\d{1,2})月\s*(\d{1,2})日").ok()?;
    blocks.iter().take(6).find_map(|b| {
        let (Block::Paragraph(t) | Block::Heading(t)) = b else {
            return None;
        };
        let t = crate::text::normalize(t);
        let c = re.captures(&t)?;
        let n: i32 = c[2].parse().ok()?;
        let year = match c.get(1).map(|m| m.as_str()) {
            Some("令和") => 2018 + n,
            Some(_) => 1988 + n,
            None => n,
        };
        NaiveDate::from_ymd_opt(year, c[3].parse().ok()?, c[4].parse().ok()?)
    })
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The proposals for an imported file: a notice document with one section per heading
/// (the text before the first heading is its own section) and, for each section whose
/// heading names a topic, an FAQ draft quoting the section's opening. `id` names them.
pub fn propose(name: &str, id: &str, blocks: &[Block], today: NaiveDate) -> Vec<KbFile> {
    let review = format!(
        "{name} から {today} に取り込みました。原文と照らして確認し、この行を削除してください"
    );
    let title = blocks
        .iter()
        .find_map(|b| match b {
            Block::Heading(h) => Some(h.clone()),
            _ => None,
        })
        .or_else(|| {
            blocks.iter().find_map(|b| match b {
                Block::Paragraph(p) => Some(p.chars().take(60).collect()),
                _ => None,
            })
        })
        .unwrap_or_else(|| name.to_string());
    // Sections: (heading, body paragraphs).
    let mut sections: Vec<(String, Vec<String>)> = vec![("前文".into(), Vec::new())];
    for b in blocks {
        match b {
            Block::Heading(h) => sections.push((h.clone(), Vec::new())),
            Block::Paragraph(p) => sections.last_mut().expect("one").1.push(p.clone()),
            Block::Table(rows) => {
                let mut lines: Vec<String> = rows
                    .iter()
                    .map(|r| format!("| {} |", r.join(" | ")))
                    .collect();
                // The first row is the table's header, as Markdown marks it (a PDF's table
                // may have its separator already).
                let separator = |r: &[String]| {
                    r.iter()
                        .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
                };
                if rows.len() > 1 && !separator(&rows[1]) {
                    lines.insert(1, format!("|{}", " --- |".repeat(rows[0].len().max(1))));
                }
                sections.last_mut().expect("one").1.push(lines.join("\n"));
            }
        }
    }
    sections.retain(|(_, body)| !body.is_empty());
    let notice_id = format!("notice-{id}");
    let mut notice = format!(
        "+++\nid = {}\nkind = \"notice\"\ntitle = {}\nsource = {}\n",
        quoted(&notice_id),
        quoted(&title),
        quoted(name)
    );
    if let Some(date) = issued(blocks) {
        notice.push_str(&format!("issued = \"{date}\"\n"));
    }
    notice.push_str(&format!("needs_review = {}\n+++\n", quoted(&review)));
    let mut files = Vec::new();
    for (i, (heading, body)) in sections.iter().enumerate() {
        let anchor = format!("s{}", i + 1);
        notice.push_str(&format!(
            "## {} {{#{anchor}}}\n\n{}\n\n",
            heading.replace(['{', '}'], ""),
            body.join("\n\n")
        ));
        // An FAQ for a section about something (「…について」, or numbered).
        let topic = heading.trim_end_matches("について");
        if heading == "前文" || topic.chars().count() < 4 {
            continue;
        }
        let topic = without_numbering(topic);
        let opening: String = body
            .iter()
            .find(|p| !p.starts_with('|'))
            .map(|p| p.chars().take(FAQ_ANSWER_CHARS).collect())
            .unwrap_or_default();
        if opening.is_empty() {
            continue;
        }
        let faq_id = format!("faq-{id}-{anchor}");
        files.push(KbFile {
            path: format!("faq/{id}-{anchor}.md"),
            text: format!(
                "+++\nid = {}\nkind = \"faq\"\ntitle = {}\nsources = [{}]\nneeds_review = {}\n+++\n{opening}\n",
                quoted(&faq_id),
                quoted(&format!("{topic}について教えてください")),
                quoted(&format!("{notice_id}#{anchor}")),
                quoted(&review)
            ),
        });
    }
    files.insert(
        0,
        KbFile {
            path: format!("notices/{id}.md"),
            text: notice.trim_end().to_string() + "\n",
        },
    );
    files
}

/// An id from a file name: ASCII letters, digits and dashes (`import-N` otherwise).
pub fn id_from_name(name: &str, today: NaiveDate) -> String {
    let stem = std::path::Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let slug: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        format!("import-{}", today.format("%Y%m%d"))
    } else {
        slug
    }
}

/// A heading without its numbering (「1．趣旨」, 「（2）申込方法」, 「第3 対象」, 「①」):
/// what an FAQ's question is about.
fn without_numbering(heading: &str) -> &str {
    static NUMBERING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^\s*(第?[0-9０-９一二三四五六七八九十]+[章節条項]?|[（(][0-9０-９一二三四五六七八九十]+[)）]|[①-⑳])\s*[．.、:：)）]?\s*",
        )
        .expect("valid pattern")
    });
    let rest = NUMBERING
        .find(heading)
        .map_or(heading, |m| &heading[m.end()..]);
    if rest.trim().is_empty() {
        heading.trim()
    } else {
        rest.trim()
    }
}

#[cfg(test)]
mod tests;
