//! The `shikaku` command: parse the command line, set up logging, run the command.

use std::process::ExitCode;

use clap::Parser;

use shikaku::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHIKAKU_LOG")
                .unwrap_or_else(|_| cli.default_log().into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
