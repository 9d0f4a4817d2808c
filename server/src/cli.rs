//! The `automat` command line.

use std::time::Duration;

use clap::{Parser, Subcommand};
use domain::{
    DomainError, admin_users,
    devices::{self, protocol::DeviceId},
    seed,
};
use migrations::{Migrator, MigratorTrait};

use crate::{
    config::Settings,
    startup,
    vending::{
        MqttEndpoint, ingest_bench,
        simulator::{self, MachineConfig},
    },
};

#[derive(Debug, Parser)]
#[command(
    name = "automat",
    version,
    about = "Commerce for unattended retail: web store, admin, vending machines."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the store (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an admin user, or set a new password for an existing one.
    User {
        #[arg(short, long)]
        email: String,
        #[arg(short, long)]
        password: String,
    },
    /// Seed the demo store into an empty database, optionally with a large generated catalog.
    Seed {
        /// How many demo vending machines to register.
        #[arg(long, default_value_t = seed::DEMO_MACHINES)]
        machines: usize,
        /// Generated products to add on top (e.g. 10000 for load tests).
        #[arg(long, default_value_t = 0)]
        products: u64,
    },
    /// Run simulated vending machines against a broker.
    Simulate {
        #[arg(
            long,
            env = "AUTOMAT_SIMULATOR_MQTT_URL",
            default_value = "mqtt://127.0.0.1:1884"
        )]
        broker: String,
        /// How many machines (ids vm-001, vm-002, … from --first).
        #[arg(long, default_value_t = 3)]
        machines: usize,
        #[arg(long, default_value_t = 1)]
        first: usize,
        #[arg(long, default_value_t = 5)]
        heartbeat_secs: u64,
    },
    /// Load-test the device gateway: the store and a fleet of simulated
    /// machines in this process, on a database seeded with `seed --machines N`.
    BenchIngest(ingest_bench::Load),
    /// Product search.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum SearchCommand {
    /// Rebuild the search index from the catalog (stop the server first:
    /// it keeps the index open).
    Reindex,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = startup::build(settings).await?;
            app.print_welcome();
            app.run_until_stopped().await
        }
        Command::Migrate => {
            let db = settings.connect_database().await?;
            Migrator::up(&db, None).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::User { email, password } => {
            let db = settings.connect_database().await?;
            Migrator::up(&db, None).await?;
            let email = admin_users::Email::parse(&email)?;
            let user =
                admin_users::upsert(&db, &email, &admin_users::Password::parse(&password)?).await?;
            println!("admin user {} is ready", user.email);
            Ok(())
        }
        Command::Seed { machines, products } => {
            let db = settings.connect_database().await?;
            Migrator::up(&db, None).await?;
            if seed::demo_store(&db, machines).await? {
                println!("seeded the demo store");
            } else {
                println!("the store already has products; the demo store was not seeded again");
            }
            if products > 0 {
                let bar = indicatif::ProgressBar::new(products).with_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} products ({per_sec}, {eta} left)",
                    )
                    .expect("valid template"),
                );
                domain::catalog::generate::products(&db, products, &settings.currency, |done| {
                    bar.set_position(done)
                })
                .await?;
                bar.finish();
                println!("added {products} generated products");
            }
            Ok(())
        }
        Command::Simulate {
            broker,
            machines,
            first,
            heartbeat_secs,
        } => {
            crate::vending::tls::install_crypto_provider();
            let endpoint = MqttEndpoint::parse_trusting(&broker, settings.mqtt_ca_file.as_deref())?;
            // The simulator stands in for the machines, so it provisions
            // them: fresh credentials for each registered one (a running
            // server's in-process twins of the same ids lose theirs).
            let db = settings.connect_database().await?;
            Migrator::up(&db, None).await?;
            let mut configs = Vec::with_capacity(machines);
            for n in first..first + machines {
                let id = DeviceId::parse(&seed::demo_device_id(n))?;
                let password = match devices::issue_credentials(&db, id.as_str()).await {
                    Ok(credentials) => Some(credentials.password),
                    Err(DomainError::NotFound { .. }) => None,
                    Err(e) => return Err(e.into()),
                };
                configs.push(MachineConfig {
                    password,
                    ..MachineConfig::new(id, Duration::from_secs(heartbeat_secs.max(1)))
                });
            }
            println!("simulating {machines} machine(s) against {endpoint}; Ctrl-C to stop");
            let mut set = simulator::spawn_machines(&endpoint, configs);
            tokio::signal::ctrl_c().await?;
            set.shutdown().await;
            Ok(())
        }
        Command::BenchIngest(load) => ingest_bench::run(settings, load).await,
        Command::Search {
            command: SearchCommand::Reindex,
        } => {
            let db = settings.connect_database().await?;
            Migrator::up(&db, None).await?;
            let search = crate::search::EmbeddedSearch::open(&settings.search_dir)?;
            let bar = indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} products ({eta} left)",
                )
                .expect("valid template"),
            );
            let indexed = domain::search::rebuild(&db, &search, |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await?;
            bar.finish();
            println!(
                "indexed {indexed} products in {}",
                settings.search_dir.display()
            );
            Ok(())
        }
    }
}
