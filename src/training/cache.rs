//! The candidates' features of a training run, kept in the data folder: making them reads
//! every question through retrieval and the embedding model (minutes); fitting takes
//! seconds. A file made from other inputs (its key differs) is made again.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::{Context, Result};

use super::splits::Split;
use super::{Example, Row};

/// The examples kept at `path` under `key`, if that is what the file holds.
pub(super) fn read(path: &Path, key: &str) -> Option<Vec<Example>> {
    let mut r = BufReader::new(std::fs::File::open(path).ok()?);
    if string(&mut r).ok()? != key {
        return None;
    }
    let n = u32_(&mut r).ok()? as usize;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let split = match u32_(&mut r).ok()? {
            0 => Split::Train,
            1 => Split::Calibration,
            2 => Split::ByQuestion,
            _ => Split::ByFaq,
        };
        let answerable = u32_(&mut r).ok()? == 1;
        let rows = u32_(&mut r).ok()? as usize;
        let mut row_list = Vec::with_capacity(rows);
        for _ in 0..rows {
            let passage = string(&mut r).ok()?;
            let answers = u32_(&mut r).ok()? == 1;
            let width = u32_(&mut r).ok()? as usize;
            let mut bytes = vec![0u8; width * 4];
            r.read_exact(&mut bytes).ok()?;
            let features = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            row_list.push(Row {
                passage,
                features,
                answers,
            });
        }
        out.push(Example {
            split,
            answerable,
            rows: row_list,
        });
    }
    Some(out)
}

/// Keeps `examples` at `path` under `key`.
pub(super) fn write(path: &Path, key: &str, examples: &[Example]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut w = BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?,
    );
    put_string(&mut w, key)?;
    put_u32(&mut w, examples.len())?;
    for e in examples {
        let split = match e.split {
            Split::Train => 0,
            Split::Calibration => 1,
            Split::ByQuestion => 2,
            Split::ByFaq => 3,
        };
        put_u32(&mut w, split)?;
        put_u32(&mut w, usize::from(e.answerable))?;
        put_u32(&mut w, e.rows.len())?;
        for row in &e.rows {
            put_string(&mut w, &row.passage)?;
            put_u32(&mut w, usize::from(row.answers))?;
            put_u32(&mut w, row.features.len())?;
            for x in &row.features {
                w.write_all(&x.to_le_bytes())?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

fn put_u32(w: &mut impl Write, n: usize) -> Result<()> {
    w.write_all(&(n as u32).to_le_bytes())?;
    Ok(())
}

fn put_string(w: &mut impl Write, s: &str) -> Result<()> {
    put_u32(w, s.len())?;
    w.write_all(s.as_bytes())?;
    Ok(())
}

fn u32_(r: &mut impl Read) -> Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn string(r: &mut impl Read) -> Result<String> {
    let n = u32_(r)? as usize;
    let mut b = vec![0u8; n];
    r.read_exact(&mut b)?;
    Ok(String::from_utf8(b)?)
}
