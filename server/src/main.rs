use clap::Parser;
use server::{cli, config, telemetry};

// Under a fleet's load glibc's allocator took a tenth of the CPU (perf: its
// free lists, consolidated from every thread); mimalloc's per-thread heaps
// take a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::load_config_file()?;
    telemetry::init();
    cli::run(cli::Cli::parse()).await
}
