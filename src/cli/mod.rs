//! The `shikaku` command line: its commands and their flags, one file per group.

mod answer;
mod judge;
mod kb;
mod service;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::auth::Role;
use crate::search::{Fusion, dictionary};
use crate::settings::{self, BadValue, ServiceArgs};
use crate::training;

#[derive(Parser)]
#[command(
    name = "shikaku",
    version,
    about = "シカク: オンライン資格確認のヘルプデスク・アシスタント"
)]
pub struct Cli {
    #[command(flatten)]
    settings: settings::Args,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the Japanese dictionary (from Debian's mecab-ipadic) and the index.
    Setup {
        /// Folder with the EUC-JP IPADIC sources
        #[arg(long, default_value = dictionary::DEBIAN_IPADIC_SOURCE)]
        ipadic: PathBuf,
        /// Rebuild the dictionary even if it exists
        #[arg(long)]
        force: bool,
    },
    /// Answer one question, or a JSON Lines batch.
    Ask {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
        /// The day the question is asked (default: today in Japan)
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<NaiveDate>,
        /// Also print the question as understood and the retrieved passages with their scores
        #[arg(long, conflicts_with = "batch")]
        explain: bool,
        /// The conversation's previous question: the question is read as a follow-up of it
        #[arg(long, value_name = "QUESTION", conflicts_with = "batch")]
        after: Option<String>,
        /// JSON Lines file of {"id","question","today"?}; needs --json
        #[arg(
            long,
            value_name = "FILE",
            requires = "json",
            conflicts_with = "question"
        )]
        batch: Option<PathBuf>,
        /// The question, in Japanese
        #[arg(required_unless_present = "batch")]
        question: Option<String>,
    },
    /// Grade a question set (JSON Lines) and print `N passed, M failed`.
    Eval {
        file: PathBuf,
        /// Default day for items without "today" (default: today in Japan)
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<NaiveDate>,
        /// Which documents answer each item (tests/eval/labels/): also measure retrieval
        /// (recall@1/@3 by words, by meaning, fused) and count answers given from a
        /// document that answers a different question
        #[arg(long, value_name = "LABELS")]
        labels: Option<PathBuf>,
        /// With --labels, also measure these fusions: K,MEANING_WEIGHT (word weight 1), e.g.
        /// --fusion 10,1.0 --fusion 60,0.5
        #[arg(long, value_name = "K,WEIGHT", value_parser = fusion, requires = "labels")]
        fusion: Vec<Fusion>,
        /// Ask through a running service's chat API (e.g. http://127.0.0.1:8080), each item
        /// in a conversation of its own after its history, as users do
        #[arg(long, value_name = "URL", conflicts_with_all = ["labels", "today"])]
        api: Option<String>,
    },
    /// Knowledge-base maintenance.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Index maintenance.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// Console accounts for call-center agents, admins and content editors.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Serve the chat API, the widget and a demo portal page (embedded defaults: SQLite
    /// in the data folder, the bundled knowledge base, the model if fetched).
    Serve {
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// The answerability judge: train it on training/answerability, or check the one in
    /// models/ against its validation figures.
    Judge {
        #[command(subcommand)]
        command: JudgeCommand,
    },
    /// Measure retrieval (latency, index build time and size) or the model (`bench llm`).
    Bench {
        /// What to measure
        #[arg(value_enum, default_value_t = BenchTarget::Retrieval)]
        target: BenchTarget,
        /// Questions to time (JSON Lines with "question")
        #[arg(long, default_value = "../shared/eval/dev.jsonl")]
        questions: PathBuf,
        /// Passages in the synthetic knowledge base (0 to skip)
        #[arg(long, default_value_t = 100_000)]
        synthetic: usize,
        #[arg(long, default_value_t = 20)]
        repetitions: usize,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BenchTarget {
    Retrieval,
    /// The question embedding alone
    Embedding,
    Llm,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password (12 characters or more) is read from standard input.
    Add {
        name: String,
        #[arg(long)]
        role: Role,
        /// The name users see beside this agent's replies (none: 「担当者」).
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum KbCommand {
    /// Validate every document; list each problem with file and line.
    Check,
    /// Replace the drafts in the database with a knowledge folder (e.g. kept in git);
    /// with --publish, also publish them (a running service switches within seconds).
    /// A PDF, HTML or text file instead is split into sections and proposed as a notice
    /// and FAQ drafts, marked for review (never published before an editor checks them).
    Import {
        /// A folder of *.md files and glossary.toml, or a .pdf/.html/.txt file
        folder: PathBuf,
        /// Publish the imported drafts (refused, with the problems listed, if any)
        #[arg(long)]
        publish: bool,
        /// What changed, for the release history
        #[arg(long, default_value = "imported from a folder")]
        note: String,
    },
    /// Write the published knowledge base (or the drafts) from the database to a folder.
    Export {
        /// The folder to write (created if needed; its knowledge files are replaced)
        folder: PathBuf,
        /// Export the drafts instead of the published release
        #[arg(long)]
        drafts: bool,
    },
}

#[derive(Subcommand)]
enum JudgeCommand {
    /// Train the judge (about 5 minutes on 2 cores, 1.5 with its features kept) and write it to --out.
    Train {
        /// The labelled questions
        #[arg(long, default_value = "training/answerability")]
        corpus: PathBuf,
        /// Where to write judge.safetensors, judge.toml and its SHA256SUMS line
        #[arg(long, default_value = "models")]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 6)]
        epochs: usize,
        /// Hidden units
        #[arg(long, default_value_t = crate::judge::HIDDEN)]
        hidden: usize,
        #[arg(long, default_value_t = 0.01)]
        weight_decay: f64,
        /// Share of the features dropped at each training step
        #[arg(long, default_value_t = 0.2)]
        dropout: f32,
    },
    /// Make the validation figures of the judge again and compare them with its card.
    Check {
        #[arg(long, default_value = "training/answerability")]
        corpus: PathBuf,
        /// Only the quarter of the held-out questions the card's quick figures count
        #[arg(long)]
        quick: bool,
        /// Instead: answer the held-out questions as the service does (rules, retrieval
        /// and the judge) and print what users get
        #[arg(long, conflicts_with = "quick")]
        as_answered: bool,
    },
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Rebuild the index from the knowledge base.
    Build,
}

impl Cli {
    /// The service logs each request; one-shot commands only warnings.
    pub fn default_log(&self) -> &'static str {
        match self.command {
            Command::Serve { .. } => "info",
            _ => "warn",
        }
    }

    pub fn run(self) -> Result<ExitCode> {
        let settings = self.settings.resolve();
        match self.command {
            Command::Setup { ipadic, force } => service::setup(&settings, &ipadic, force),
            Command::Ask {
                json,
                today,
                batch,
                question,
                explain,
                after,
            } => answer::ask(
                &settings,
                today,
                answer::Show { json, explain },
                batch,
                question,
                after,
            ),
            Command::Eval {
                file,
                today,
                labels,
                fusion,
                api: Some(url),
            } if labels.is_none() && fusion.is_empty() && today.is_none() => {
                answer::eval_api(&file, &url)
            }
            Command::Eval {
                file,
                today,
                labels,
                fusion,
                api: _,
            } => answer::eval(&settings, &file, today, labels.as_deref(), &fusion),
            Command::Kb {
                command: KbCommand::Check,
            } => kb::check(&settings),
            Command::Kb {
                command:
                    KbCommand::Import {
                        folder,
                        publish,
                        note,
                    },
            } => kb::import(&settings, &folder, publish, &note),
            Command::Kb {
                command: KbCommand::Export { folder, drafts },
            } => kb::export(&settings, &folder, drafts),
            Command::Index {
                command: IndexCommand::Build,
            } => kb::build_index(&settings),
            Command::User {
                command:
                    UserCommand::Add {
                        name,
                        role,
                        display_name,
                    },
            } => service::user_add(&settings, &name, role, display_name.as_deref()),
            Command::Serve { service } => {
                crate::startup::serve(&settings, service.load()?)?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Judge {
                command:
                    JudgeCommand::Train {
                        corpus,
                        out,
                        seed,
                        epochs,
                        hidden,
                        weight_decay,
                        dropout,
                    },
            } => judge::train(
                &settings,
                corpus,
                out,
                training::Options {
                    seed,
                    epochs,
                    hidden,
                    weight_decay,
                    dropout,
                    corpus: PathBuf::new(),
                    out: PathBuf::new(),
                    command: String::new(),
                    cache: settings.data_dir.join("judge-features.bin"),
                },
            ),
            Command::Judge {
                command:
                    JudgeCommand::Check {
                        corpus,
                        as_answered: true,
                        ..
                    },
            } => judge::as_answered(&settings, &corpus),
            Command::Judge {
                command: JudgeCommand::Check { corpus, quick, .. },
            } => judge::check(&settings, &corpus, quick),
            Command::Bench {
                target: BenchTarget::Llm,
                repetitions,
                ..
            } => {
                print!("{}", crate::bench::run_llm(&settings, repetitions.min(5))?);
                Ok(ExitCode::SUCCESS)
            }
            Command::Bench {
                target,
                questions,
                synthetic,
                repetitions,
            } => service::bench(
                &settings,
                &questions,
                synthetic,
                repetitions,
                matches!(target, BenchTarget::Embedding),
            ),
        }
    }
}

/// `--fusion K,WEIGHT`: reciprocal rank fusion with word weight 1.
fn fusion(value: &str) -> Result<Fusion, BadValue> {
    let bad = || BadValue::new("--fusion", "K,WEIGHT (two non-negative numbers)", value);
    let (k, dense) = value.split_once(',').ok_or_else(bad)?;
    let (k, dense): (f32, f32) = (
        k.trim().parse().map_err(|_| bad())?,
        dense.trim().parse().map_err(|_| bad())?,
    );
    if !(k >= 0.0 && dense >= 0.0 && k.is_finite() && dense.is_finite()) {
        return Err(bad());
    }
    Ok(Fusion {
        bm25: 1.0,
        dense,
        k,
    })
}
