//! `shikaku setup`, `shikaku user add` and `shikaku bench`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::accounts::Accounts;
use crate::auth::Role;
use crate::search::dictionary;
use crate::settings::Settings;
use crate::startup::{self, with_store};
use crate::{bench, eval};

pub fn setup(settings: &Settings, ipadic: &Path, force: bool) -> Result<ExitCode> {
    if force || !dictionary::is_built(&settings.dict_dir) {
        println!(
            "building the Japanese dictionary from {} …",
            ipadic.display()
        );
        dictionary::build(ipadic, &settings.dict_dir)?;
    }
    println!("dictionary: {}", settings.dict_dir.display());
    let assistant = startup::assistant(settings)?;
    println!(
        "index: {} passages in {}",
        assistant.index().num_passages(),
        settings.index_dir().display()
    );
    match assistant.embedder_name() {
        Some(name) => println!("retrieval: by words and meaning ({name})"),
        None => println!("retrieval: by words alone (the embedding model is off or unavailable)"),
    }
    match (assistant.model_name(), &settings.model_path) {
        (Some(name), Some(path)) => println!("model: {name} ({})", path.display()),
        (None, Some(path)) => println!(
            "model: unavailable at {} (see the warning above); answers are written without it",
            path.display()
        ),
        (_, None) => println!("model: off"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates a console account; the password is read from standard input.
pub fn user_add(
    settings: &Settings,
    name: &str,
    role: Role,
    display_name: Option<&str>,
) -> Result<ExitCode> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    with_store(settings, async |store| {
        match Accounts::new(store.clone())
            .add_user(name, role, password, display_name)
            .await
        {
            Ok(()) => {
                println!("user {} ({}) created", name.trim(), role.as_str());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                Ok(ExitCode::from(2))
            }
        }
    })
}

pub fn bench(
    settings: &Settings,
    questions: &Path,
    synthetic: usize,
    repetitions: usize,
    embedding_only: bool,
) -> Result<ExitCode> {
    let questions = eval::read_items(questions)?
        .into_iter()
        .map(|i| i.question)
        .collect();
    let options = bench::Options {
        questions,
        synthetic_passages: synthetic,
        repetitions,
    };
    let report = if embedding_only {
        bench::run_embedding(settings, &options)?
    } else {
        bench::run(settings, &options)?
    };
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}
