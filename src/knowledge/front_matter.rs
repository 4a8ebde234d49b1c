//! The `+++` lines around a knowledge file's TOML front matter: one reading of them, for
//! the checker and for the editor console's FAQ form.

/// A knowledge file split at its front matter.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    /// The TOML between the `+++` lines.
    pub front: &'a str,
    /// Everything after the closing `+++` line.
    pub body: &'a str,
    /// The line of the closing `+++` (from 1).
    pub close_line: usize,
}

/// `text` (a byte-order mark ignored) split at its front matter, or the line and what is
/// wrong (Japanese).
pub fn split(text: &str) -> Result<Split<'_>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or_default();
    if first.trim_end() != "+++" {
        return Err((
            1,
            "ファイルの先頭は front matter の開始行「+++」にしてください。".into(),
        ));
    }
    let mut at = first.len();
    for (i, line) in lines.enumerate() {
        if line.trim_end() == "+++" {
            return Ok(Split {
                front: &text[first.len()..at],
                body: &text[at + line.len()..],
                close_line: i + 2,
            });
        }
        at += line.len();
    }
    Err((
        1,
        "front matter が閉じていません。front matter の終わりに「+++」の行を入れてください。"
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_two_plus_lines() {
        let s = split("\u{feff}+++\nid = \"a\"\r\n+++\r\n本文\n").unwrap();
        assert_eq!(s.front, "id = \"a\"\r\n");
        assert_eq!(s.body, "本文\n");
        assert_eq!(s.close_line, 3);
        assert_eq!(split("+++\n+++").unwrap().body, "");
        assert_eq!(split("本文").unwrap_err().0, 1);
        assert!(
            split("+++\nid = 1\n")
                .unwrap_err()
                .1
                .contains("閉じていません")
        );
    }
}
