//! Settings of the messaging channels: from a TOML file (`SHIKAKU_CHANNELS_FILE`) and
//! `SHIKAKU_*` environment variables, which win. A channel without credentials is off.
//! Secrets are kept in [`Secret`], whose `Debug` never shows them.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// A token or secret: printed as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `given` is this secret, compared in constant time (their digests, so that
    /// the length does not show either).
    pub fn matches(&self, given: &[u8]) -> bool {
        use sha2::{Digest, Sha256};
        let (a, b) = (Sha256::digest(given), Sha256::digest(self.0.as_bytes()));
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub struct ChannelsConfig {
    /// Where users reach this service (`https://…`, no path): citations link to
    /// `{public_url}/kb/{doc}`, and Telegram's webhook is set to it. Without it, citations
    /// are named without links.
    pub public_url: Option<String>,
    pub line: Option<LineConfig>,
    pub telegram: Option<TelegramConfig>,
}

#[derive(Debug, Clone)]
pub struct LineConfig {
    /// Signs the webhook requests (`x-line-signature`).
    pub channel_secret: Secret,
    pub access_token: Secret,
    /// The Messaging API's base URL (a local fake in tests).
    pub api_url: String,
    /// Answers ready within this time go out with the webhook's reply token (free); later
    /// ones are pushed. LINE's reply tokens are meant to be used within a minute.
    pub reply_window: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelegramMode {
    /// Telegram posts updates to `/channels/telegram/webhook` (needs a public address).
    Webhook,
    /// Shikaku asks for updates (a machine without a public address).
    Polling,
}

#[derive(Debug, Clone)]
pub struct TelegramConfig {
    pub bot_token: Secret,
    pub mode: TelegramMode,
    /// Telegram sends it in `X-Telegram-Bot-Api-Secret-Token`; required for webhooks.
    pub webhook_secret: Option<Secret>,
    pub api_url: String,
}

/// The file's shape; every key optional, unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    public_url: Option<String>,
    #[serde(default)]
    line: LineFile,
    #[serde(default)]
    telegram: TelegramFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineFile {
    channel_secret: Option<String>,
    channel_access_token: Option<String>,
    api_url: Option<String>,
    reply_window_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TelegramFile {
    bot_token: Option<String>,
    mode: Option<String>,
    webhook_secret: Option<String>,
    api_url: Option<String>,
}

impl ChannelsConfig {
    /// From `SHIKAKU_CHANNELS_FILE` (if set) and the environment.
    pub fn from_env() -> Result<ChannelsConfig> {
        Self::load(|name| std::env::var(name).ok())
    }

    /// `var` reads a variable; the file named by `SHIKAKU_CHANNELS_FILE` is read too.
    pub fn load(var: impl Fn(&str) -> Option<String>) -> Result<ChannelsConfig> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let file = match var("SHIKAKU_CHANNELS_FILE") {
            Some(path) => read_file(Path::new(&path))?,
            None => File::default(),
        };
        let public_url = var("SHIKAKU_PUBLIC_URL")
            .or(file.public_url)
            .map(|u| checked_url("SHIKAKU_PUBLIC_URL (public_url)", &u))
            .transpose()?;
        let line = line_config(&var, file.line)?;
        let telegram = telegram_config(&var, file.telegram)?;
        Ok(ChannelsConfig {
            public_url,
            line,
            telegram,
        })
    }
}

fn read_file(path: &Path) -> Result<File> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("SHIKAKU_CHANNELS_FILE: reading {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))
}

/// An `http(s)://host[:port]` URL without a trailing slash.
fn checked_url(name: &str, url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(url.to_string())
        }
        _ => bail!("{name}: expected an http(s) URL like https://portal.example.jp, got {url:?}"),
    }
}

/// Both credentials, or neither (off); one alone is a mistake worth stopping for.
fn pair(
    (a_name, a): (&str, Option<String>),
    (b_name, b): (&str, Option<String>),
) -> Result<Option<(Secret, Secret)>> {
    match (a, b) {
        (Some(a), Some(b)) => Ok(Some((Secret(a.trim().into()), Secret(b.trim().into())))),
        (None, None) => Ok(None),
        (Some(_), None) => bail!("{b_name} is missing ({a_name} is set): set both, or neither"),
        (None, Some(_)) => bail!("{a_name} is missing ({b_name} is set): set both, or neither"),
    }
}

fn line_config(
    var: &impl Fn(&str) -> Option<String>,
    file: LineFile,
) -> Result<Option<LineConfig>> {
    let Some((channel_secret, access_token)) = pair(
        (
            "SHIKAKU_LINE_CHANNEL_SECRET",
            var("SHIKAKU_LINE_CHANNEL_SECRET").or(file.channel_secret),
        ),
        (
            "SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN",
            var("SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN").or(file.channel_access_token),
        ),
    )?
    else {
        return Ok(None);
    };
    let api_url = checked_url(
        "SHIKAKU_LINE_API_URL",
        &var("SHIKAKU_LINE_API_URL")
            .or(file.api_url)
            .unwrap_or_else(|| "https://api.line.me".into()),
    )?;
    let reply_window = match var("SHIKAKU_LINE_REPLY_WINDOW") {
        Some(v) => v.trim().parse().with_context(|| {
            format!("SHIKAKU_LINE_REPLY_WINDOW: expected seconds (0–60), got {v:?}")
        })?,
        None => file.reply_window_seconds.unwrap_or(50),
    };
    if reply_window > 60 {
        bail!(
            "SHIKAKU_LINE_REPLY_WINDOW: {reply_window} s is longer than a reply token lives (60 s)"
        );
    }
    Ok(Some(LineConfig {
        channel_secret,
        access_token,
        api_url,
        reply_window: Duration::from_secs(reply_window),
    }))
}

fn telegram_config(
    var: &impl Fn(&str) -> Option<String>,
    file: TelegramFile,
) -> Result<Option<TelegramConfig>> {
    let Some(bot_token) = var("SHIKAKU_TELEGRAM_BOT_TOKEN").or(file.bot_token) else {
        return Ok(None);
    };
    let mode = match var("SHIKAKU_TELEGRAM_MODE")
        .or(file.mode)
        .as_deref()
        .map(str::trim)
    {
        None | Some("polling") => TelegramMode::Polling,
        Some("webhook") => TelegramMode::Webhook,
        Some(other) => {
            bail!("SHIKAKU_TELEGRAM_MODE: expected webhook or polling, got {other:?}")
        }
    };
    let webhook_secret = var("SHIKAKU_TELEGRAM_WEBHOOK_SECRET")
        .or(file.webhook_secret)
        .map(|s| s.trim().to_string());
    if let Some(s) = &webhook_secret {
        // Telegram's own rule for secret_token.
        if s.len() > 256
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            bail!("SHIKAKU_TELEGRAM_WEBHOOK_SECRET: 1–256 characters of A-Z, a-z, 0-9, _ and -");
        }
    }
    if mode == TelegramMode::Webhook && webhook_secret.is_none() {
        bail!(
            "SHIKAKU_TELEGRAM_WEBHOOK_SECRET is missing: webhook mode needs it, so that only Telegram can post updates"
        );
    }
    let api_url = checked_url(
        "SHIKAKU_TELEGRAM_API_URL",
        &var("SHIKAKU_TELEGRAM_API_URL")
            .or(file.api_url)
            .unwrap_or_else(|| "https://api.telegram.org".into()),
    )?;
    Ok(Some(TelegramConfig {
        bot_token: Secret(bot_token.trim().into()),
        mode,
        webhook_secret: webhook_secret.map(Secret),
        api_url,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<ChannelsConfig> {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ChannelsConfig::load(|name| vars.get(name).cloned())
    }

    #[test]
    fn channels_without_credentials_are_off() {
        let config = load(&[]).unwrap();
        assert!(config.line.is_none() && config.telegram.is_none());
    }

    #[test]
    fn one_line_credential_alone_is_an_error_naming_the_other() {
        let e = load(&[("SHIKAKU_LINE_CHANNEL_SECRET", "s")]).unwrap_err();
        assert!(
            e.to_string()
                .contains("SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN is missing"),
            "{e}"
        );
    }

    #[test]
    fn webhook_mode_needs_a_valid_secret() {
        let base = [
            ("SHIKAKU_TELEGRAM_BOT_TOKEN", "1:abc"),
            ("SHIKAKU_TELEGRAM_MODE", "webhook"),
        ];
        let e = load(&base).unwrap_err();
        assert!(
            e.to_string().contains("SHIKAKU_TELEGRAM_WEBHOOK_SECRET"),
            "{e}"
        );
        let mut bad = base.to_vec();
        bad.push(("SHIKAKU_TELEGRAM_WEBHOOK_SECRET", "has space"));
        assert!(load(&bad).is_err());
        let mut good = base.to_vec();
        good.push(("SHIKAKU_TELEGRAM_WEBHOOK_SECRET", "abc_DEF-123"));
        let t = load(&good).unwrap().telegram.unwrap();
        assert_eq!(t.mode, TelegramMode::Webhook);
        assert_eq!(t.api_url, "https://api.telegram.org");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (vars, name) in [
            (
                vec![
                    ("SHIKAKU_TELEGRAM_BOT_TOKEN", "1:a"),
                    ("SHIKAKU_TELEGRAM_MODE", "push"),
                ],
                "SHIKAKU_TELEGRAM_MODE",
            ),
            (
                vec![("SHIKAKU_PUBLIC_URL", "portal.example.jp")],
                "SHIKAKU_PUBLIC_URL",
            ),
            (
                vec![
                    ("SHIKAKU_LINE_CHANNEL_SECRET", "s"),
                    ("SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN", "t"),
                    ("SHIKAKU_LINE_REPLY_WINDOW", "90"),
                ],
                "SHIKAKU_LINE_REPLY_WINDOW",
            ),
        ] {
            let e = load(&vars).unwrap_err().to_string();
            assert!(e.contains(name), "{name}: {e}");
        }
    }

    #[test]
    fn the_file_is_read_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("channels.toml");
        std::fs::write(
            &path,
            "public_url = \"https://portal.example.jp/\"\n[line]\nchannel_secret = \"file-secret\"\n\
             channel_access_token = \"file-token\"\n[telegram]\nbot_token = \"1:file\"\n",
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let config = load(&[
            ("SHIKAKU_CHANNELS_FILE", p),
            ("SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN", "env-token"),
        ])
        .unwrap();
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://portal.example.jp")
        );
        let line = config.line.unwrap();
        assert_eq!(line.channel_secret.expose(), "file-secret");
        assert_eq!(line.access_token.expose(), "env-token");
        assert_eq!(config.telegram.unwrap().mode, TelegramMode::Polling);
        // Secrets never show in Debug output (what a log line would print).
        let shown = format!("{:?}", load(&[("SHIKAKU_CHANNELS_FILE", p)]).unwrap());
        assert!(
            !shown.contains("file-secret") && !shown.contains("1:file"),
            "{shown}"
        );
        std::fs::write(&path, "[line]\nchanel_secret = \"typo\"\n").unwrap();
        let e = load(&[("SHIKAKU_CHANNELS_FILE", p)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("chanel_secret"), "{e}");
    }

    #[test]
    fn secrets_compare_by_content() {
        let secret = Secret::new("abc");
        assert!(secret.matches(b"abc"));
        assert!(!secret.matches(b"abd"));
        assert!(!secret.matches(b""));
    }
}
