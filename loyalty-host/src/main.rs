//! `loyalty-host`: the simulator as its own program.

use std::net::SocketAddr;

use clap::Parser;
use loyalty_host::HostConfig;

#[derive(Parser)]
#[command(about = "A Conexxus-style loyalty host simulator")]
struct Cli {
    /// Where to listen.
    #[arg(long, env = "LOYALTY_HOST_ADDR", default_value = "127.0.0.1:4100")]
    addr: SocketAddr,
    /// The program (TOML); the checked-in demo when unset.
    #[arg(long, env = "LOYALTY_HOST_CONFIG")]
    config: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let cli = Cli::parse();
    let config = match &cli.config {
        Some(path) => HostConfig::load(path)?,
        None => HostConfig::demo(),
    };
    let (addr, _handle) = loyalty_host::spawn_on(cli.addr, config).await?;
    println!("loyalty host listening on http://{addr} (faults: GET/POST /admin/faults)");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
