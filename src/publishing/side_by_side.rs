//! A file's change as the editor console shows it: side by side, the old text on the left
//! and the new on the right, line by line with numbers, and within a changed line the
//! characters that changed marked (Japanese lines are long: a changed date must stand out
//! of a paragraph). Only the changes and a few lines around them, in hunks.

use serde::Serialize;
use similar::{ChangeTag, DiffOp, TextDiff};

/// Unchanged lines shown around each change.
const CONTEXT: usize = 2;

/// Lines shown together; hunks are apart in the file.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Hunk {
    pub rows: Vec<Row>,
}

/// One row: the old line and the new line beside it (`None`: nothing on that side).
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Row {
    pub old: Option<Line>,
    pub new: Option<Line>,
}

#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Line {
    /// From 1.
    pub number: usize,
    pub parts: Vec<Part>,
}

/// A run of characters, changed or not.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Part {
    pub text: String,
    pub changed: bool,
}

fn push(parts: &mut Vec<Part>, text: &str, changed: bool) {
    match parts.last_mut() {
        Some(last) if last.changed == changed => last.text.push_str(text),
        _ if text.is_empty() => {}
        _ => parts.push(Part {
            text: text.to_string(),
            changed,
        }),
    }
}

fn whole(number: usize, text: &str, changed: bool) -> Line {
    let mut parts = Vec::new();
    push(&mut parts, text, changed);
    Line { number, parts }
}

/// An old line and its new version, with the characters each side changed marked.
fn pair(old: (usize, &str), new: (usize, &str)) -> Row {
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for change in TextDiff::from_chars(old.1, new.1).iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal => {
                push(&mut left, text, false);
                push(&mut right, text, false);
            }
            ChangeTag::Delete => push(&mut left, text, true),
            ChangeTag::Insert => push(&mut right, text, true),
        }
    }
    Row {
        old: Some(Line {
            number: old.0 + 1,
            parts: left,
        }),
        new: Some(Line {
            number: new.0 + 1,
            parts: right,
        }),
    }
}

/// The hunks of the change from `old` to `new` (either may be empty: added, removed).
pub fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let diff = TextDiff::from_slices(&old_lines, &new_lines);
    diff.grouped_ops(CONTEXT)
        .into_iter()
        .map(|ops| {
            let mut rows = Vec::new();
            for op in ops {
                match op {
                    DiffOp::Equal {
                        old_index,
                        new_index,
                        len,
                    } => rows.extend((0..len).map(|i| Row {
                        old: Some(whole(old_index + i + 1, old_lines[old_index + i], false)),
                        new: Some(whole(new_index + i + 1, new_lines[new_index + i], false)),
                    })),
                    DiffOp::Delete {
                        old_index, old_len, ..
                    } => rows.extend((old_index..old_index + old_len).map(|i| Row {
                        old: Some(whole(i + 1, old_lines[i], true)),
                        new: None,
                    })),
                    DiffOp::Insert {
                        new_index, new_len, ..
                    } => rows.extend((new_index..new_index + new_len).map(|i| Row {
                        old: None,
                        new: Some(whole(i + 1, new_lines[i], true)),
                    })),
                    DiffOp::Replace {
                        old_index,
                        old_len,
                        new_index,
                        new_len,
                    } => {
                        // Line by line beside each other; what one side has more stands alone.
                        for i in 0..old_len.max(new_len) {
                            let (o, n) = (old_index + i, new_index + i);
                            rows.push(match (i < old_len, i < new_len) {
                                (true, true) => pair((o, old_lines[o]), (n, new_lines[n])),
                                (true, false) => Row {
                                    old: Some(whole(o + 1, old_lines[o], true)),
                                    new: None,
                                },
                                _ => Row {
                                    old: None,
                                    new: Some(whole(n + 1, new_lines[n], true)),
                                },
                            });
                        }
                    }
                }
            }
            Hunk { rows }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(line: &Option<Line>) -> String {
        line.as_ref()
            .map(|l| {
                l.parts
                    .iter()
                    .map(|p| {
                        if p.changed {
                            format!("[{}]", p.text)
                        } else {
                            p.text.clone()
                        }
                    })
                    .collect()
            })
            .unwrap_or_else(|| "-".into())
    }

    #[test]
    fn a_changed_date_is_marked_within_its_line_beside_the_old_one() {
        let old = "一\n二\n締切は令和3年3月31日です。\n三\n四\n五\n六\n七\n";
        let new = "一\n二\n締切は令和3年4月30日です。\n三\n四\n五\n六\n七\n八\n";
        let hunks = hunks(old, new);
        assert_eq!(hunks.len(), 2, "{hunks:?}");
        let rows = &hunks[0].rows;
        // Two lines of context, the change, two lines of context.
        assert_eq!(rows.len(), 5);
        let changed = &rows[2];
        // Character by character: what both share (the 3 of 31 and 30) is not marked.
        assert_eq!(marked(&changed.old), "締切は令和3年[3]月3[1]日です。");
        assert_eq!(marked(&changed.new), "締切は令和3年[4]月3[0]日です。");
        assert_eq!(changed.old.as_ref().unwrap().number, 3);
        assert_eq!(marked(&rows[0].old), "一");
        // The added last line stands alone on the right.
        let added = hunks[1].rows.last().unwrap();
        assert_eq!(
            (marked(&added.old), marked(&added.new)),
            ("-".into(), "[八]".into())
        );
        assert_eq!(added.new.as_ref().unwrap().number, 9);
    }

    #[test]
    fn an_added_or_removed_file_is_all_on_one_side() {
        let added = hunks("", "a\nb\n");
        assert_eq!(added[0].rows.len(), 2);
        assert!(added[0].rows.iter().all(|r| r.old.is_none()));
        let removed = hunks("a\n", "");
        assert_eq!(marked(&removed[0].rows[0].old), "[a]");
        assert!(hunks("same\n", "same\n").is_empty());
    }
}
