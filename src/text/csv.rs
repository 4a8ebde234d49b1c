//! CSV files for spreadsheets (the agents' ticket list, the editors' analytics), written
//! through the `csv` crate the way Excel in Japan opens them: UTF-8 with a byte order
//! mark (else Excel reads Shift_JIS), CRLF line ends. A cell that holds what someone typed
//! is always quoted, and one that starts with `=`, `+`, `-` or `@` gets a leading `'`, so
//! that a spreadsheet shows it as text instead of running it as a formula.

use std::borrow::Cow;

use csv::{QuoteStyle, Terminator, WriterBuilder};

/// A CSV document, written row by row.
pub struct Sheet {
    out: Vec<u8>,
}

impl Default for Sheet {
    fn default() -> Self {
        Self::new()
    }
}

impl Sheet {
    /// An empty document: only the byte order mark.
    pub fn new() -> Sheet {
        Sheet {
            out: "\u{feff}".as_bytes().to_vec(),
        }
    }

    /// A row Shikaku wrote itself: column names, dates, counts. Its cells are written as
    /// they are (quoted only where CSV needs it: a comma, a quote, a line break).
    pub fn plain(&mut self, cells: impl IntoIterator<Item = impl AsRef<str>>) {
        self.write(QuoteStyle::Necessary, cells, |c| Cow::Borrowed(c));
    }

    /// A row that holds what people typed: every cell quoted, a leading `=`, `+`, `-` or
    /// `@` neutralised by a `'`.
    pub fn quoted(&mut self, cells: impl IntoIterator<Item = impl AsRef<str>>) {
        self.write(QuoteStyle::Always, cells, neutralised);
    }

    /// An empty line, between two tables of one document.
    pub fn blank(&mut self) {
        self.out.extend_from_slice(b"\r\n");
    }

    /// The document's text.
    pub fn finish(self) -> String {
        String::from_utf8(self.out).expect("CSV of UTF-8 cells is UTF-8")
    }

    fn write(
        &mut self,
        style: QuoteStyle,
        cells: impl IntoIterator<Item = impl AsRef<str>>,
        cell: fn(&str) -> Cow<'_, str>,
    ) {
        let mut writer = WriterBuilder::new()
            .quote_style(style)
            .terminator(Terminator::CRLF)
            .from_writer(&mut self.out);
        // Writing to memory cannot fail.
        for c in cells {
            writer
                .write_field(cell(c.as_ref()).as_bytes())
                .expect("CSV into memory");
        }
        writer.write_record(None::<&[u8]>).expect("CSV into memory");
        writer.flush().expect("CSV into memory");
    }
}

/// `=SUM(A1)` → `'=SUM(A1)`: a spreadsheet shows the cell, it does not run it.
fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rows_as_they_are_typed_rows_quoted_and_neutralised() {
        let mut sheet = Sheet::new();
        sheet.plain(["id", "回答率(%)"]);
        sheet.plain(["2026-11-23", "", "50.0"]);
        sheet.blank();
        sheet.quoted(["1", "", "say \"hi\"", "=1+1", "-3", "@x", "+81"]);
        assert_eq!(
            sheet.finish(),
            "\u{feff}id,回答率(%)\r\n2026-11-23,,50.0\r\n\r\n\
             \"1\",\"\",\"say \"\"hi\"\"\",\"'=1+1\",\"'-3\",\"'@x\",\"'+81\"\r\n"
        );
    }
}
