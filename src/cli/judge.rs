//! `shikaku judge train` and `shikaku judge check`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::judge::{Figures, Judge, SplitFigures};
use crate::settings::Settings;
use crate::training::{self, Options};

/// Trains a judge on the knowledge folder's assistant (model off: only retrieval and the
/// embedding model matter) and prints its figures.
pub fn train(
    settings: &Settings,
    corpus: PathBuf,
    out: PathBuf,
    options: Options,
) -> Result<ExitCode> {
    let (assistant, kb) = assistant_without_judge(settings)?;
    let command = format!(
        "shikaku judge train --corpus {} --out {} --seed {} --epochs {} --hidden {} --weight-decay {} --dropout {}",
        corpus.display(),
        out.display(),
        options.seed,
        options.epochs,
        options.hidden,
        options.weight_decay,
        options.dropout
    );
    let card = training::train(
        &assistant,
        &kb,
        &Options {
            corpus,
            out: out.clone(),
            command,
            ..options
        },
    )?;
    println!(
        "judge written to {} (threshold {:.2}, calibration a {:.3} b {:.3})",
        out.display(),
        card.threshold,
        card.calibration_a,
        card.calibration_b
    );
    print_figures(&card.figures);
    Ok(ExitCode::SUCCESS)
}

/// Makes the figures of the judge in `SHIKAKU_JUDGE` again (`quick`: on a quarter of the
/// held-out questions); exit status 1 if they differ from its card.
pub fn check(settings: &Settings, corpus: &Path, quick: bool) -> Result<ExitCode> {
    let (dir, judge) = committed_judge(settings)?;
    let (assistant, kb) = assistant_without_judge(settings)?;
    let figures = training::check(&assistant, &kb, corpus, &judge, quick)?;
    print_figures(&figures);
    let recorded = match quick {
        true => judge.card().quick_figures,
        false => judge.card().figures,
    };
    if figures != recorded {
        eprintln!(
            "error: the card in {} records other figures:",
            dir.display()
        );
        print_figures(&recorded);
        return Ok(ExitCode::FAILURE);
    }
    println!("the figures are those of the card");
    Ok(ExitCode::SUCCESS)
}

/// What users get on the judge's held-out questions, answered as the service answers
/// them (`judge check --as-answered`): printed, not compared with the card.
pub fn as_answered(settings: &Settings, corpus: &Path) -> Result<ExitCode> {
    let (_, judge) = committed_judge(settings)?;
    let (assistant, kb) = assistant_without_judge(settings)?;
    let answered = training::as_answered(assistant, &kb, corpus, judge)?;
    println!("as answered (rules, retrieval and the judge, as the service answers):");
    print_figures(&answered.figures);
    println!("by register, every held-out split together:");
    for (register, figures) in &answered.by_register {
        print_line(register, figures);
    }
    Ok(ExitCode::SUCCESS)
}

/// The judge in `SHIKAKU_JUDGE`, with its folder.
fn committed_judge(settings: &Settings) -> Result<(&Path, Judge)> {
    let dir = settings
        .judge_dir
        .as_deref()
        .context("the judge is off (SHIKAKU_JUDGE=off): nothing to check")?;
    Ok((dir, Judge::load(dir)?))
}

fn assistant_without_judge(
    settings: &Settings,
) -> Result<(crate::assistant::Assistant, crate::knowledge::KnowledgeBase)> {
    let settings = Settings {
        model_path: None,
        judge_dir: None,
        ..settings.clone()
    };
    let (kb, _) = settings.load_knowledge()?;
    let assistant = crate::startup::assistant(&settings)?;
    Ok((assistant, kb))
}

fn print_figures(f: &Figures) {
    print_line("by question", &f.by_question);
    print_line("by FAQ", &f.by_faq);
    print_line("calibration", &f.calibration);
}

/// One set's figures in the stable format the README quotes.
fn print_line(name: &str, s: &SplitFigures) {
    println!(
        "{name:<12} answerable {:>4}: answered {:>4} ({:.1}%), with another question's passage {:>3}; \
         unanswerable {:>4}: answered {:>3} ({:.1}%)",
        s.answerable,
        s.answered_right,
        100.0 * s.answered_rate(),
        s.answered_wrong,
        s.unanswerable,
        s.answered_anyway,
        100.0 * s.false_answer_rate()
    );
}
