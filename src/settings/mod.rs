//! Every setting of Shikaku, in one place: command-line flags first, then their `SHIKAKU_*`
//! (and `DATABASE_URL`) environment variables, then defaults relative to the working
//! folder. Each value is checked once, when the command line is parsed, and a bad one
//! stops the command with the setting named (exit status 2). The call center's hours and
//! the messaging channels come from files named here ([`ServiceSettings::load`]).

pub mod channels;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use axum::http::HeaderValue;

use crate::embedding::DEFAULT_EMBEDDER_FILE;
use crate::handoff::hours::BusinessHours;
use crate::knowledge::{Diagnostic, KnowledgeBase};
use crate::llm::DEFAULT_MODEL_FILE;
use channels::{ChannelsConfig, Secret};

/// Where knowledge, data, model and database are: every command's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Knowledge folder
    #[arg(
        long,
        global = true,
        env = "SHIKAKU_KNOWLEDGE",
        default_value = "knowledge"
    )]
    knowledge: PathBuf,
    /// Data folder for the dictionary, the index and the SQLite database
    #[arg(long, global = true, env = "SHIKAKU_DATA", default_value = "data")]
    data: PathBuf,
    /// A built dictionary to use instead of DATA/dict (to share one)
    #[arg(long, global = true, env = "SHIKAKU_DICT")]
    dict: Option<PathBuf>,
    /// GGUF model file, or "off"
    #[arg(long, global = true, env = "SHIKAKU_MODEL", default_value = DEFAULT_MODEL_FILE)]
    model: PathBuf,
    /// Answer without the language model
    #[arg(long, global = true)]
    no_model: bool,
    /// The embedding model (e5-small-q4.bin), or "off" to retrieve by words alone
    #[arg(long, global = true, env = "SHIKAKU_EMBEDDER", default_value = DEFAULT_EMBEDDER_FILE)]
    embedder: PathBuf,
    /// The answerability judge's folder (judge.toml and judge.safetensors), or "off" to
    /// decide without it
    #[arg(long, global = true, env = "SHIKAKU_JUDGE", default_value = "models")]
    judge: PathBuf,
    /// Vectors of knowledge passages kept by content, so an index is rebuilt by embedding
    /// only what changed (default DATA/vector-cache)
    #[arg(long, global = true, env = "SHIKAKU_VECTOR_CACHE")]
    vector_cache: Option<PathBuf>,
    /// Prompt templates
    #[arg(
        long,
        global = true,
        env = "SHIKAKU_PROMPTS",
        default_value = "prompts"
    )]
    prompts: PathBuf,
    /// Conversations, tickets and knowledge releases: sqlite://PATH (default
    /// sqlite://DATA/shikaku.db) or postgres://…
    #[arg(long, global = true, env = "DATABASE_URL", value_parser = database_url)]
    database_url: Option<Secret>,
}

/// The resolved settings every command shares.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The knowledge base (Markdown files and `glossary.toml`).
    pub knowledge_dir: PathBuf,
    /// Built artefacts: the dictionary, the index, release folders, the SQLite file.
    pub data_dir: PathBuf,
    /// The built lindera dictionary (default `DATA/dict`).
    pub dict_dir: PathBuf,
    /// The GGUF model, or `None` when the model is off (`--no-model`, `SHIKAKU_MODEL=off`).
    pub model_path: Option<PathBuf>,
    /// The embedding model, or `None` when it is off (`SHIKAKU_EMBEDDER=off`).
    pub embedder_path: Option<PathBuf>,
    /// The judge's folder, or `None` when it is off (`SHIKAKU_JUDGE=off`).
    pub judge_dir: Option<PathBuf>,
    /// Where passage vectors are kept by content.
    pub vector_cache: PathBuf,
    /// Prompt templates (`prompts/`).
    pub prompts_dir: PathBuf,
    /// Conversations (`DATABASE_URL`; default a SQLite file in the data folder). A secret:
    /// a PostgreSQL URL carries its password, and `Settings` is printed with `{:?}`.
    pub database_url: Secret,
}

impl Args {
    pub fn resolve(self) -> Settings {
        let dict_dir = self.dict.unwrap_or_else(|| self.data.join("dict"));
        let model_path = (!self.no_model && self.model.as_os_str() != "off").then_some(self.model);
        let embedder_path = (self.embedder.as_os_str() != "off").then_some(self.embedder);
        let judge_dir = (self.judge.as_os_str() != "off").then_some(self.judge);
        let vector_cache = self
            .vector_cache
            .unwrap_or_else(|| self.data.join("vector-cache"));
        let database_url = self.database_url.unwrap_or_else(|| {
            Secret::new(format!(
                "sqlite://{}",
                self.data.join("shikaku.db").display()
            ))
        });
        Settings {
            knowledge_dir: self.knowledge,
            data_dir: self.data,
            dict_dir,
            model_path,
            embedder_path,
            judge_dir,
            vector_cache,
            prompts_dir: self.prompts,
            database_url,
        }
    }
}

/// `DATABASE_URL`: SQLite or PostgreSQL (the password never shows in the message).
fn database_url(url: &str) -> Result<Secret> {
    let url = url.trim();
    crate::store::Backend::of(url)?;
    Ok(Secret::new(url))
}

impl Settings {
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Loads the knowledge folder; problems in single documents are returned, not fatal.
    pub fn load_knowledge(&self) -> Result<(KnowledgeBase, Vec<Diagnostic>)> {
        if !self.knowledge_dir.is_dir() {
            bail!(
                "knowledge folder {} not found (set --knowledge or SHIKAKU_KNOWLEDGE)",
                self.knowledge_dir.display()
            );
        }
        let loaded = KnowledgeBase::load(&self.knowledge_dir)
            .with_context(|| format!("reading {}", self.knowledge_dir.display()))?;
        if loaded.kb.docs().is_empty() {
            bail!("no valid documents in {}", self.knowledge_dir.display());
        }
        Ok((loaded.kb, loaded.diagnostics))
    }
}

/// Settings of `shikaku serve` only.
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// Address to listen on; port 0 picks one
    #[arg(long, value_name = "HOST:PORT", env = "SHIKAKU_ADDR", default_value = "127.0.0.1:8080", value_parser = addr)]
    addr: SocketAddr,
    /// Portal origins allowed to call the API from their pages (CORS), comma-separated;
    /// none: same origin only
    #[arg(long, env = "SHIKAKU_CORS_ORIGINS", value_delimiter = ',', value_parser = origin)]
    cors_origins: Vec<HeaderValue>,
    /// Chat and feedback requests per client and minute; 0 turns the limit off
    #[arg(long, env = "SHIKAKU_RATE_LIMIT", default_value = "30", value_parser = rate_limit)]
    rate_limit: u32,
    /// How many reverse proxies stand in front (0: none). The client is then the entry of
    /// X-Forwarded-For that the outermost trusted proxy appended: the N-th from the right
    #[arg(long, env = "SHIKAKU_TRUST_PROXY", default_value = "0", value_parser = proxies)]
    trust_proxy: usize,
    /// The call center's business hours (TOML); default Mon–Fri 8–18, Sat 8–16
    #[arg(long, env = "SHIKAKU_HOURS_FILE")]
    hours_file: Option<PathBuf>,
    /// Event streams (a widget's replies, a console's desk, a streamed answer) open at once,
    /// in all
    #[arg(long, env = "SHIKAKU_MAX_STREAMS", default_value = "2000", value_parser = streams)]
    max_streams: usize,
    /// Event streams open at once from one client address
    #[arg(long, env = "SHIKAKU_MAX_STREAMS_PER_CLIENT", default_value = "32", value_parser = streams)]
    max_streams_per_client: usize,
    /// A token that lets a monitor read /metrics and the details of /readyz
    /// (`Authorization: Bearer …`); signed-in admins may too
    #[arg(long, env = "SHIKAKU_METRICS_TOKEN", value_parser = metrics_token, hide_env_values = true)]
    metrics_token: Option<Secret>,
}

/// The resolved settings of the service.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    pub addr: SocketAddr,
    /// Portal origins allowed to call the API from their pages (CORS); none: same origin only.
    pub cors_origins: Vec<HeaderValue>,
    /// Chat and feedback requests per client and minute; 0 turns the limit off.
    pub rate_per_minute: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a reverse proxy).
    /// Reverse proxies in front: the client is the N-th `X-Forwarded-For` entry from the
    /// right (0: the socket's peer).
    pub trusted_proxies: usize,
    /// The call center's business hours.
    pub hours: BusinessHours,
    /// LINE and Telegram (environment, or `SHIKAKU_CHANNELS_FILE`).
    pub channels: ChannelsConfig,
    /// Event streams open at once: in all, and from one client.
    pub max_streams: usize,
    pub max_streams_per_client: usize,
    /// Lets a monitor read /metrics and /readyz's details.
    pub metrics_token: Option<Secret>,
}

impl ServiceSettings {
    /// Whether users reach the service over https (`SHIKAKU_PUBLIC_URL`): the session
    /// cookie is then `Secure`, never sent over plain http.
    pub fn served_over_https(&self) -> bool {
        self.channels
            .public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }
}

impl ServiceArgs {
    /// Reads the files the settings name (hours, channels) and checks them; the channels'
    /// settings from the environment.
    pub fn load(self) -> Result<ServiceSettings> {
        self.load_with(|name| std::env::var(name).ok())
    }

    /// The same, with the channels' settings from `var`.
    pub fn load_with(self, var: impl Fn(&str) -> Option<String>) -> Result<ServiceSettings> {
        let hours = match &self.hours_file {
            Some(path) => BusinessHours::load(path)
                .with_context(|| format!("SHIKAKU_HOURS_FILE ({})", path.display()))?,
            None => BusinessHours::default(),
        };
        Ok(ServiceSettings {
            addr: self.addr,
            cors_origins: self.cors_origins,
            rate_per_minute: self.rate_limit,
            trusted_proxies: self.trust_proxy,
            hours,
            channels: ChannelsConfig::load(var)?,
            max_streams: self.max_streams,
            max_streams_per_client: self.max_streams_per_client,
            metrics_token: self.metrics_token,
        })
    }
}

/// Every setting of `shikaku serve`.
#[derive(clap::Parser)]
struct Service {
    #[command(flatten)]
    args: Args,
    #[command(flatten)]
    service: ServiceArgs,
}

/// The settings of `shikaku serve` from `vars` alone (`SHIKAKU_*` and `DATABASE_URL` names,
/// nothing read from the process): each is parsed and checked as its flag would be. For a
/// service run inside another program, such as the tests' in-process service.
pub fn service_from(vars: &[(&str, &str)]) -> Result<(Settings, ServiceSettings)> {
    use clap::{CommandFactory, FromArgMatches};
    let command = Service::command();
    let mut argv = vec!["shikaku".to_string()];
    for arg in command.get_arguments() {
        let (Some(name), Some(long)) = (arg.get_env(), arg.get_long()) else {
            continue;
        };
        if let Some((_, value)) = vars.iter().find(|(var, _)| name == *var) {
            argv.push(format!("--{long}={value}"));
        }
    }
    let matches = command
        .mut_args(|arg| arg.env(None))
        .try_get_matches_from(argv)?;
    let parsed = Service::from_arg_matches(&matches)?;
    let lookup = |name: &str| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| value.to_string())
    };
    Ok((parsed.args.resolve(), parsed.service.load_with(lookup)?))
}

/// A setting's value that is not what it must be: which setting, what it expects, and
/// what it got (never shown for a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: expected {expected}{}", got.as_ref().map(|g| format!(", got {g:?}")).unwrap_or_default())]
pub struct BadValue {
    pub setting: &'static str,
    pub expected: &'static str,
    pub got: Option<String>,
}

impl BadValue {
    pub fn new(setting: &'static str, expected: &'static str, got: &str) -> Self {
        BadValue {
            setting,
            expected,
            got: Some(got.to_string()),
        }
    }
}

fn addr(value: &str) -> Result<SocketAddr, BadValue> {
    value
        .trim()
        .parse()
        .map_err(|_| BadValue::new("SHIKAKU_ADDR (--addr)", "HOST:PORT", value))
}

fn rate_limit(value: &str) -> Result<u32, BadValue> {
    value
        .trim()
        .parse()
        .map_err(|_| BadValue::new("SHIKAKU_RATE_LIMIT", "requests per minute (0 = off)", value))
}

fn streams(value: &str) -> Result<usize, BadValue> {
    match value.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(BadValue::new(
            "SHIKAKU_MAX_STREAMS / SHIKAKU_MAX_STREAMS_PER_CLIENT",
            "a number of streams (1 or more)",
            value,
        )),
    }
}

fn metrics_token(value: &str) -> Result<Secret, BadValue> {
    let value = value.trim();
    if value.chars().count() < 16 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(BadValue {
            setting: "SHIKAKU_METRICS_TOKEN",
            expected: "16 or more characters without spaces",
            got: None,
        });
    }
    Ok(Secret::new(value))
}

fn proxies(value: &str) -> Result<usize, BadValue> {
    match value.trim().parse::<usize>() {
        Ok(n) if n <= 8 => Ok(n),
        _ => Err(BadValue::new(
            "SHIKAKU_TRUST_PROXY",
            "the number of reverse proxies in front (0 to 8)",
            value,
        )),
    }
}

/// An origin as browsers send it: `https://host[:port]`, nothing after.
fn origin(origin: &str) -> Result<HeaderValue, BadValue> {
    let origin = origin.trim();
    let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
        && !origin
            .split_once("://")
            .map(|(_, rest)| rest.is_empty() || rest.contains('/'))
            .unwrap_or(true);
    let refused = || {
        BadValue::new(
            "SHIKAKU_CORS_ORIGINS",
            "an origin like https://portal.example.jp",
            origin,
        )
    };
    if !ok {
        return Err(refused());
    }
    HeaderValue::from_str(origin).map_err(|_| refused())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};
    use std::path::Path;

    /// Parses `args` alone: the variables of the process running the tests (a developer's
    /// `SHIKAKU_DICT`, say) are not read.
    fn parse(args: &[&str]) -> Result<(Settings, ServiceArgs), clap::Error> {
        let mut all = vec!["shikaku"];
        all.extend_from_slice(args);
        Service::command()
            .mut_args(|arg| arg.env(None))
            .try_get_matches_from(all)
            .and_then(|matches| Service::from_arg_matches(&matches))
            .map(|c| (c.args.resolve(), c.service))
    }

    #[test]
    fn the_database_password_never_shows_in_printed_settings() {
        let url = "postgres://shikaku:hunter2-secret@db.example/shikaku";
        let (settings, _) = parse(&["--database-url", url]).unwrap();
        assert_eq!(settings.database_url.expose(), url);
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn defaults_are_relative_to_the_working_folder() {
        let (settings, service) = parse(&["--data", "d"]).unwrap();
        assert_eq!(settings.dict_dir, Path::new("d/dict"));
        assert_eq!(settings.database_url.expose(), "sqlite://d/shikaku.db");
        assert_eq!(settings.index_dir(), Path::new("d/index"));
        assert!(settings.model_path.is_some());
        assert_eq!(service.rate_limit, 30);
        assert_eq!(service.trust_proxy, 0);
    }

    #[test]
    fn the_model_is_off_by_flag_or_by_name() {
        assert!(parse(&["--no-model"]).unwrap().0.model_path.is_none());
        assert!(parse(&["--model", "off"]).unwrap().0.model_path.is_none());
    }

    #[test]
    fn bad_values_name_their_setting() {
        for (args, says) in [
            (&["--rate-limit", "lots"][..], "SHIKAKU_RATE_LIMIT"),
            (&["--addr", "localhost"][..], "SHIKAKU_ADDR"),
            (
                &["--cors-origins", "portal.example.jp/x"][..],
                "SHIKAKU_CORS_ORIGINS",
            ),
            (&["--trust-proxy", "yes"][..], "SHIKAKU_TRUST_PROXY"),
            (
                &["--database-url", "mysql://db/x"][..],
                "unsupported database URL",
            ),
        ] {
            let Err(e) = parse(args) else {
                panic!("{args:?} was taken");
            };
            assert!(e.to_string().contains(says), "{args:?}: {e}");
        }
    }

    #[test]
    fn variables_alone_give_the_service_its_settings() {
        let (settings, service) = service_from(&[
            ("SHIKAKU_DATA", "d"),
            ("SHIKAKU_MODEL", "off"),
            ("SHIKAKU_RATE_LIMIT", "0"),
            ("SHIKAKU_LINE_CHANNEL_SECRET", "s"),
            ("SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN", "t"),
        ])
        .unwrap();
        assert_eq!(settings.dict_dir, Path::new("d/dict"));
        assert!(settings.model_path.is_none());
        assert_eq!(service.rate_per_minute, 0);
        assert!(service.channels.line.is_some() && service.channels.telegram.is_none());
        let e = service_from(&[("SHIKAKU_RATE_LIMIT", "lots")]).unwrap_err();
        assert!(e.to_string().contains("SHIKAKU_RATE_LIMIT"), "{e}");
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list() {
        let (_, service) = parse(&[
            "--cors-origins",
            "https://a.example.jp,http://b.example.jp:8080",
        ])
        .unwrap();
        assert_eq!(service.cors_origins.len(), 2);
    }
}
