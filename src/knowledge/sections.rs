//! A notice's body split into the sections that answers cite: each starts at a heading
//! `## 見出し {#section-id}`, whose id is the anchor of citations.

use super::Section;
use super::document::is_valid_id;

/// The sections of `body` (whose first line is line `first_line` of its file) and the
/// text before the first heading; each problem goes to `error` with its line.
pub(super) fn split(
    body: &str,
    first_line: usize,
    error: &mut dyn FnMut(usize, String),
) -> (Vec<Section>, String) {
    let mut sections = Vec::new();
    let mut lead = String::new();
    for (i, line) in body.lines().enumerate() {
        let line_no = first_line + i;
        if let Some(heading) = line.strip_prefix("## ") {
            match parse_heading(heading) {
                Some((heading, id)) => {
                    if sections.iter().any(|s: &Section| s.id == id) {
                        error(
                            line_no,
                            format!("セクションの id「{id}」が重複しています。"),
                        );
                    }
                    sections.push(Section {
                        id,
                        heading,
                        body: String::new(),
                    });
                }
                None => error(
                    line_no,
                    format!(
                        "見出し「{heading}」に id がありません。「## 見出し {{#section-id}}」の形にしてください。"
                    ),
                ),
            }
        } else if let Some(section) = sections.last_mut() {
            section.body.push_str(line);
            section.body.push('\n');
        } else {
            lead.push_str(line);
            lead.push('\n');
        }
    }
    for s in &mut sections {
        s.body = s.body.trim().to_string();
    }
    (sections, lead)
}

/// `1 締切 {#deadline}` → ("1 締切", "deadline").
fn parse_heading(heading: &str) -> Option<(String, String)> {
    let heading = heading.trim_end();
    let open = heading.rfind("{#")?;
    let id = heading[open + 2..].strip_suffix('}')?;
    if !is_valid_id(id) {
        return None;
    }
    Some((heading[..open].trim().to_string(), id.to_string()))
}
