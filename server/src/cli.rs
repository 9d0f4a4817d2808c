//! The `automat` command line.

use std::time::Duration;

use clap::{Parser, Subcommand};
use domain::{
    DomainError, admin_users,
    devices::{self, protocol::DeviceId},
    seed,
    vending::fleet::{self, LocationChoice},
};

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
    /// Manage vending machines.
    Device {
        #[command(subcommand)]
        action: DeviceCommand,
    },
    /// Load-test the device gateway: the store and a fleet of simulated
    /// machines in this process, on a database seeded with `seed --machines N`.
    BenchIngest(ingest_bench::Load),
    /// Measure product search: searches per second and latency of the
    /// configured engine over a generated catalog (no database needed).
    BenchSearch(crate::search::bench::SearchLoad),
    /// Copy the SQLite database, consistent and compacted, while the store
    /// runs (PostgreSQL: use pg_dump).
    Backup {
        /// The new file; an existing one is never overwritten.
        to: std::path::PathBuf,
    },
    /// Product search.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum SearchCommand {
    /// Rebuild the search index from the catalog, with a progress bar (the
    /// embedded index: stop the server first, it keeps the index open;
    /// Meilisearch: servers may keep running).
    Reindex,
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    /// Add a machine: its lockers and scales, the location it sells from
    /// with its pick-up option; prints its MQTT credentials (shown once).
    Add(AddMachine),
    /// Move a machine to another location.
    Move {
        id: String,
        #[command(flatten)]
        location: LocationArgs,
    },
    /// Decommission a machine: no new sessions; its history stays.
    Decommission { id: String },
}

#[derive(Debug, clap::Args)]
struct AddMachine {
    /// The id it signs in and publishes under (a-z, 0-9, - and _).
    id: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    address: Option<String>,
    /// Decimal degrees, -90 to 90.
    #[arg(long, allow_hyphen_values = true)]
    latitude: Option<f64>,
    /// Decimal degrees, -180 to 180.
    #[arg(long, allow_hyphen_values = true)]
    longitude: Option<f64>,
    /// The hub's name: joins that hub, or starts one.
    #[arg(long)]
    hub: Option<String>,
    /// A locker (door) and the positions of its scales, e.g. `A:1,2,3`;
    /// repeat for more doors.
    #[arg(long = "locker", required = true)]
    lockers: Vec<String>,
    /// How far two readings of an unchanged load may differ, in grams.
    #[arg(long, default_value_t = 3)]
    scale_noise: i32,
    #[command(flatten)]
    location: LocationArgs,
}

#[derive(Debug, clap::Args)]
struct LocationArgs {
    /// Sell through this existing sales channel (a new one otherwise).
    #[arg(long)]
    sales_channel: Option<String>,
    /// …from this stock location (the channel's first one otherwise).
    #[arg(long, requires = "sales_channel")]
    stock_location: Option<String>,
    /// The new location's name (the machine's name otherwise).
    #[arg(long, conflicts_with = "sales_channel")]
    location_name: Option<String>,
    /// The region of the pick-up option (the store's only one otherwise).
    #[arg(long)]
    region: Option<String>,
}

impl LocationArgs {
    fn choice(&self) -> LocationChoice {
        match &self.sales_channel {
            Some(channel) => LocationChoice::Existing {
                sales_channel_id: channel.clone(),
                stock_location_id: self.stock_location.clone(),
            },
            None => LocationChoice::New {
                name: self.location_name.clone(),
            },
        }
    }
}

async fn device_command(settings: Settings, action: DeviceCommand) -> anyhow::Result<()> {
    let db = settings.connect_database().await?;
    migrations::up(&db).await?;
    match action {
        DeviceCommand::Add(add) => {
            let position = match (add.latitude, add.longitude) {
                (Some(lat), Some(lon)) => Some(fleet::GeoPosition::from_degrees(lat, lon)?),
                (None, None) => None,
                _ => anyhow::bail!("a geo position needs both --latitude and --longitude"),
            };
            let lockers = add
                .lockers
                .iter()
                .map(|spec| fleet::NewLocker::parse(spec, add.scale_noise))
                .collect::<Result<_, _>>()?;
            let added = fleet::add_machine(
                &db,
                fleet::NewMachine {
                    id: add.id,
                    name: add.name,
                    address: add.address,
                    position,
                    hub: add.hub,
                    lockers,
                    location: add.location.choice(),
                    region_id: add.location.region,
                    issue_credentials: true,
                },
            )
            .await?;
            let placement = &added.placement;
            println!(
                "added machine {} selling through {} ({}) from {} ({}), pick-up option {}",
                added.device.id,
                placement.sales_channel.name,
                placement.sales_channel.id,
                placement.stock_location.name,
                placement.stock_location.id,
                placement.pickup.id,
            );
            if let Some(credentials) = added.credentials {
                println!("MQTT username: {}", credentials.username);
                println!("MQTT password: {} (shown once)", credentials.password);
            }
        }
        DeviceCommand::Move { id, location } => {
            let (device, placement) =
                fleet::move_machine(&db, &id, location.choice(), location.region.as_deref())
                    .await?;
            println!(
                "machine {} now sells through {} from {}",
                device.id, placement.sales_channel.name, placement.stock_location.name
            );
        }
        DeviceCommand::Decommission { id } => {
            fleet::decommission(&db, &id).await?;
            println!("machine {id} is decommissioned: no new sessions; its history stays");
        }
    }
    Ok(())
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
            migrations::up(&db).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::User { email, password } => {
            let db = settings.connect_database().await?;
            migrations::up(&db).await?;
            let email = admin_users::Email::parse(&email)?;
            let user =
                admin_users::upsert(&db, &email, &admin_users::Password::parse(&password)?).await?;
            println!("admin user {} is ready", user.email);
            Ok(())
        }
        Command::Seed { machines, products } => {
            let db = settings.connect_database().await?;
            migrations::up(&db).await?;
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
            migrations::up(&db).await?;
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
        Command::Device { action } => device_command(settings, action).await,
        Command::BenchIngest(load) => ingest_bench::run(settings, load).await,
        Command::BenchSearch(load) => crate::search::bench::run(settings, load).await,
        Command::Backup { to } => {
            let db = settings.connect_database().await?;
            domain::db::backup(&db, &to).await?;
            println!("backed up to {}", to.display());
            Ok(())
        }
        Command::Search {
            command: SearchCommand::Reindex,
        } => {
            let db = settings.connect_database().await?;
            migrations::up(&db).await?;
            let search = crate::search::open(&settings).await?;
            let bar = indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} products ({eta} left)",
                )
                .expect("valid template"),
            );
            let indexed = domain::search::rebuild(&db, search.as_ref(), |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await?;
            bar.finish();
            println!(
                "indexed {indexed} products in {}",
                crate::search::describe(&settings)
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn device_add_reads_its_options() {
        let cli = Cli::try_parse_from([
            "automat",
            "device",
            "add",
            "vm-200",
            "--name",
            "Station fridge",
            "--latitude",
            "-33.86",
            "--longitude",
            "151.2",
            "--locker",
            "A:1,2",
            "--locker",
            "B:3",
        ])
        .unwrap();
        let Some(Command::Device {
            action: DeviceCommand::Add(add),
        }) = cli.command
        else {
            panic!("not device add: {:?}", cli.command);
        };
        assert_eq!(add.id, "vm-200");
        assert_eq!(add.latitude, Some(-33.86));
        assert_eq!(add.lockers.len(), 2);
        assert_eq!(add.location.choice(), LocationChoice::New { name: None });
    }
}
