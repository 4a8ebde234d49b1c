//! The `shikaku` command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use serde_json::json;

use shikaku::assistant::{self, Answer, Assistant, Channel, Outcome, Question, today_in_japan};
use shikaku::channels::Channels;
use shikaku::channels::config::ChannelsConfig;
use shikaku::config::Config;
use shikaku::conversation::Conversations;
use shikaku::handoff::hours::BusinessHours;
use shikaku::publishing::Publisher;
use shikaku::search::{Analyzer, SearchIndex, dictionary};
use shikaku::server::{self, AppState, ServerConfig};
use shikaku::store::Store;
use shikaku::{bench, eval};

#[derive(Parser)]
#[command(
    name = "shikaku",
    version,
    about = "シカク: オンライン資格確認のヘルプデスク・アシスタント"
)]
struct Cli {
    /// Knowledge folder [env: SHIKAKU_KNOWLEDGE; default: knowledge]
    #[arg(long, global = true)]
    knowledge: Option<PathBuf>,
    /// Data folder for the dictionary and index [env: SHIKAKU_DATA; default: data]
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// GGUF model file, or "off" [env: SHIKAKU_MODEL; default: models/gemma-3-270m-q4_k_m.gguf]
    #[arg(long, global = true)]
    model: Option<PathBuf>,
    /// Answer without the language model
    #[arg(long, global = true)]
    no_model: bool,
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
        /// Also print the retrieved passages with their scores
        #[arg(long, conflicts_with = "batch")]
        explain: bool,
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
        /// Address to listen on [env: SHIKAKU_ADDR; default: 127.0.0.1:8080]; port 0 picks one
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<std::net::SocketAddr>,
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
    Llm,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password (12 characters or more) is read from standard input.
    Add {
        name: String,
        #[arg(long, value_parser = ["agent", "admin", "editor"])]
        role: String,
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
        folder: std::path::PathBuf,
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
        folder: std::path::PathBuf,
        /// Export the drafts instead of the published release
        #[arg(long)]
        drafts: bool,
    },
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Rebuild the index from the knowledge base.
    Build,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service logs each request; one-shot commands only warnings.
    let default_log = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHIKAKU_LOG")
                .unwrap_or_else(|_| default_log.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = Config::resolve(cli.knowledge, cli.data, cli.model, cli.no_model);
    match run(&config, cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(config: &Config, command: Command) -> Result<ExitCode> {
    match command {
        Command::Setup { ipadic, force } => setup(config, &ipadic, force),
        Command::Ask {
            json,
            today,
            batch,
            question,
            explain,
        } => {
            let today = today.unwrap_or_else(today_in_japan);
            match (batch, question) {
                (Some(file), _) => ask_batch(config, &file, today),
                (None, Some(q)) => ask_one(config, &q, today, json, explain),
                (None, None) => unreachable!("clap requires a question or --batch"),
            }
        }
        Command::Eval { file, today } => {
            let items = eval::read_items(&file)?;
            let assistant = config.assistant()?;
            let report = eval::run(&assistant, &items, today.unwrap_or_else(today_in_japan))?;
            for (item, answer, reason) in &report.failures {
                println!("FAIL {} 「{}」: {reason}", item.id, item.question);
                println!(
                    "     outcome {:?}: {}",
                    answer.outcome,
                    answer.answer.replace('\n', " ")
                );
            }
            match assistant.model_name() {
                Some(name) => {
                    let stats = assistant.draft_stats();
                    println!(
                        "model {name}: {} answers written, rejected drafts {:?}",
                        stats.written, stats.rejected
                    );
                }
                None => println!("model: off"),
            }
            let failed = report.failures.len();
            println!("{} passed, {failed} failed", report.passed);
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Kb {
            command: KbCommand::Check,
        } => {
            let (kb, diagnostics) = config.load_knowledge()?;
            for d in &diagnostics {
                println!("{d}");
            }
            let faqs = kb
                .docs()
                .iter()
                .filter(|d| d.kind == shikaku::knowledge::Kind::Faq)
                .count();
            println!(
                "{} documents loaded ({faqs} FAQs), {} problems",
                kb.docs().len(),
                diagnostics.len()
            );
            Ok(if diagnostics.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Kb {
            command:
                KbCommand::Import {
                    folder,
                    publish,
                    note,
                },
        } => kb_import(config, &folder, publish, &note),
        Command::Kb {
            command: KbCommand::Export { folder, drafts },
        } => kb_export(config, &folder, drafts),
        Command::Index {
            command: IndexCommand::Build,
        } => {
            let (kb, diagnostics) = config.load_knowledge()?;
            for d in &diagnostics {
                tracing::warn!("knowledge: {d}");
            }
            let analyzer = Analyzer::load(&config.dict_dir)?;
            let index = SearchIndex::build(
                &shikaku::search::index::passages(&kb),
                &analyzer,
                &config.index_dir(),
                &shikaku::search::index::fingerprint(&kb),
            )?;
            println!(
                "indexed {} passages in {}",
                index.num_passages(),
                config.index_dir().display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { addr } => serve(config, addr),
        Command::User {
            command: UserCommand::Add { name, role },
        } => user_add(config, &name, &role),
        Command::Bench {
            target: BenchTarget::Llm,
            repetitions,
            ..
        } => {
            print!("{}", bench::run_llm(config, repetitions.min(5))?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            target: BenchTarget::Retrieval,
            questions,
            synthetic,
            repetitions,
        } => {
            let questions = eval::read_items(&questions)?
                .into_iter()
                .map(|i| i.question)
                .collect();
            let report = bench::run(
                config,
                &bench::Options {
                    questions,
                    synthetic_passages: synthetic,
                    repetitions,
                },
            )?;
            print!("{report}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn user_add(config: &Config, name: &str, role: &str) -> Result<ExitCode> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_whitespace) {
        eprintln!("error: the user name must be 1 to 64 characters without spaces");
        return Ok(ExitCode::from(2));
    }
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    let hash = match shikaku::auth::hash_password(password) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    with_store(config, async |store| {
        store.add_user(name, role, &hash).await?;
        println!("user {name} ({role}) created");
        Ok(ExitCode::SUCCESS)
    })
}

/// Who the command line acts as in the audit log.
fn cli_user() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

fn with_store<T>(config: &Config, work: impl AsyncFnOnce(&Store) -> Result<T>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(&config.database_url).await?;
        let result = work(&store).await;
        store.close().await;
        result
    })
}

fn kb_import(
    config: &Config,
    folder: &std::path::Path,
    publish: bool,
    note: &str,
) -> Result<ExitCode> {
    if folder.is_file() {
        return kb_import_file(config, folder, publish);
    }
    let files = shikaku::publishing::read_folder(folder)?;
    let (_, problems) = shikaku::publishing::load(&files);
    for p in &problems {
        println!("{}:{}: {}", p.path, p.line, p.message);
    }
    if publish && !problems.is_empty() {
        eprintln!(
            "error: not published: {} problem(s); nothing was changed",
            problems.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    let user = cli_user();
    with_store(config, async |store| {
        let detail = format!("{} files from {}", files.len(), folder.display());
        if publish {
            let fp = shikaku::publishing::fingerprint(&files);
            let release = store
                .create_release(&files, &fp, &user, "publish", note)
                .await?;
            println!("{detail}: published as release {}", release.id);
        } else {
            store.replace_drafts(&files, &user, &detail).await?;
            println!(
                "{detail}: imported as drafts ({} problem(s)); publish them in the editor console or with --publish",
                problems.len()
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn kb_import_file(config: &Config, file: &std::path::Path, publish: bool) -> Result<ExitCode> {
    if publish {
        eprintln!(
            "error: documents proposed from a file need review first: import without --publish, check them in the editor console (/admin), then publish"
        );
        return Ok(ExitCode::from(2));
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let files = shikaku::publishing::propose_import(&name, &bytes)?;
    let user = cli_user();
    with_store(config, async |store| {
        store
            .save_drafts(&files, &user, &format!("proposed from {name}"))
            .await?;
        for f in &files {
            println!("{}", f.path);
        }
        println!(
            "{} drafts proposed from {name}; each needs review (remove `needs_review`) before it can be published",
            files.len()
        );
        Ok(ExitCode::SUCCESS)
    })
}

fn kb_export(config: &Config, folder: &std::path::Path, drafts: bool) -> Result<ExitCode> {
    with_store(config, async |store| {
        let (files, what) = if drafts {
            (store.drafts().await?, "drafts".to_string())
        } else {
            let Some(release) = store.latest_release().await? else {
                anyhow::bail!(
                    "nothing is published yet (the first `shikaku serve` imports the knowledge folder)"
                );
            };
            (
                store.release_files(release.id).await?,
                format!("release {}", release.id),
            )
        };
        // The folder mirrors the knowledge base: knowledge files it had and the export
        // lacks (deleted documents) go.
        if folder.is_dir() {
            for old in shikaku::publishing::read_folder(folder).unwrap_or_default() {
                std::fs::remove_file(folder.join(&old.path))
                    .with_context(|| format!("removing {}", old.path))?;
            }
        }
        shikaku::publishing::write_folder(folder, &files)?;
        println!(
            "{} files of {what} written to {}",
            files.len(),
            folder.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}

fn serve(config: &Config, addr: Option<std::net::SocketAddr>) -> Result<ExitCode> {
    let server_config = ServerConfig::from_env(addr)?;
    let channels = Channels::new(&ChannelsConfig::from_env()?)?;
    let hours = match &server_config.hours_file {
        Some(path) => Some(BusinessHours::load(path)?),
        None => None,
    };
    let analyzer = Analyzer::load(&config.dict_dir)?;
    let model = config.model_writer().unwrap_or_else(|e| {
        tracing::warn!("the model is unavailable, answering without it: {e:#}");
        None
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(&config.database_url).await?;
        // The knowledge base is served from the database's newest release (knowledge/ is
        // imported on a new installation).
        let publisher = Publisher::open(
            store.clone(),
            &config.data_dir,
            &config.knowledge_dir,
            analyzer,
            model,
        )
        .await?;
        let listener = tokio::net::TcpListener::bind(server_config.addr)
            .await
            .with_context(|| format!("listening on {}", server_config.addr))?;
        let local = listener.local_addr()?;
        match publisher.serving().load().model_name() {
            Some(name) => println!("model: {name}"),
            None => println!("model: off (answers from the knowledge base without it)"),
        }
        println!("knowledge: release {}", publisher.serving_release());
        for line in channels.status() {
            println!("{line}");
        }
        println!("Shikaku is serving on http://{local}/ (demo portal page; API under /api/v1/)");
        std::io::stdout().flush()?;
        let mut conversations = Conversations::new(publisher.serving(), store);
        if let Some(hours) = hours {
            conversations = conversations.with_hours(hours);
        }
        let state = AppState::new(
            conversations,
            server_config,
            config.model_path.clone(),
            channels,
            std::sync::Arc::new(publisher),
        );
        server::serve(state, listener).await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn setup(config: &Config, ipadic: &std::path::Path, force: bool) -> Result<ExitCode> {
    if force || !dictionary::is_built(&config.dict_dir) {
        println!(
            "building the Japanese dictionary from {} …",
            ipadic.display()
        );
        dictionary::build(ipadic, &config.dict_dir)?;
    }
    println!("dictionary: {}", config.dict_dir.display());
    let assistant = config.assistant()?;
    println!(
        "index: {} passages in {}",
        assistant.index().num_passages(),
        config.index_dir().display()
    );
    match (assistant.model_name(), &config.model_path) {
        (Some(name), Some(path)) => println!("model: {name} ({})", path.display()),
        (None, Some(path)) => println!(
            "model: unavailable at {} (see the warning above); answers are written without it",
            path.display()
        ),
        (_, None) => println!("model: off"),
    }
    Ok(ExitCode::SUCCESS)
}

fn ask_one(
    config: &Config,
    question: &str,
    today: NaiveDate,
    json: bool,
    explain: bool,
) -> Result<ExitCode> {
    if let Err(e) = assistant::validate(question) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(2));
    }
    let assistant = config.assistant()?;
    let answer = assistant.answer(&Question {
        text: question,
        today,
        channel: Channel::Cli,
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        let mut value = serde_json::to_value(&answer)?;
        value["model"] = json!(assistant.model_name());
        writeln!(out, "{value}")?;
    } else {
        write_human(&mut out, &answer)?;
    }
    if explain {
        writeln!(out, "\n検索結果 (score / coverage):")?;
        for hit in assistant.retrieve_for(question)? {
            let p = &hit.passage;
            let section = p
                .section_id
                .as_deref()
                .map(|s| format!("#{s}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:7.2} {:.2}  {}{section}  {}",
                hit.score, hit.coverage, p.doc_id, p.title
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_human(out: &mut impl Write, answer: &Answer) -> Result<()> {
    writeln!(out, "{}", answer.answer)?;
    if !answer.citations.is_empty() {
        writeln!(out, "\n出典:")?;
        for c in &answer.citations {
            match &c.section {
                Some(s) => writeln!(out, "  - {}「{}」 [{}]", c.title, s, c.doc_id)?,
                None => writeln!(out, "  - {} [{}]", c.title, c.doc_id)?,
            }
        }
    }
    let outcome = match answer.outcome {
        Outcome::Answered => "回答",
        Outcome::Handoff => "担当者へ引き継ぎ",
        Outcome::NoAnswer => "資料に記載なし",
    };
    writeln!(out, "\n({outcome} / 確からしさ {:.2})", answer.confidence)?;
    Ok(())
}

/// Answers a JSON Lines file, one output line per input line, in order. A bad line gets
/// an error object and the batch goes on; the exit status is 1 if any line failed.
fn ask_batch(config: &Config, file: &std::path::Path, today: NaiveDate) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let assistant = config.assistant()?;
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line_no = i + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value = match batch_line(&assistant, raw, today) {
            Ok(v) => v,
            Err((id, message)) => {
                failed = true;
                json!({"id": id, "line": line_no, "error": message})
            }
        };
        writeln!(out, "{value}")?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn batch_line(
    assistant: &Assistant,
    raw: &[u8],
    today: NaiveDate,
) -> std::result::Result<serde_json::Value, (serde_json::Value, String)> {
    let null = serde_json::Value::Null;
    let text =
        std::str::from_utf8(raw).map_err(|e| (null.clone(), format!("invalid UTF-8: {e}")))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| (null.clone(), format!("invalid JSON: {e}")))?;
    let id = value.get("id").cloned().unwrap_or(null);
    let question = value
        .get("question")
        .and_then(|q| q.as_str())
        .ok_or_else(|| (id.clone(), "\"question\" (a string) is missing".to_string()))?;
    let today = match value.get("today") {
        None | Some(serde_json::Value::Null) => today,
        Some(t) => t
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .ok_or_else(|| {
                (
                    id.clone(),
                    format!("\"today\" must be a date YYYY-MM-DD, got {t}"),
                )
            })?,
    };
    assistant::validate(question).map_err(|e| (id.clone(), e.to_string()))?;
    let answer = assistant
        .answer(&Question {
            text: question,
            today,
            channel: Channel::Cli,
        })
        .map_err(|e| (id.clone(), format!("{e:#}")))?;
    Ok(json!({
        "id": id,
        "outcome": answer.outcome,
        "answer": answer.answer,
        "citations": answer.citations,
        "confidence": answer.confidence,
        "writer": answer.writer,
        "model": assistant.model_name(),
    }))
}
