use clap::Parser;
use server::{cli, config, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::load_config_file()?;
    telemetry::init();
    cli::run(cli::Cli::parse()).await
}
