use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Structured logs to stderr. The level comes from `AUTOMAT_LOG` (or
/// `RUST_LOG`); `AUTOMAT_LOG_FORMAT=json` switches to one JSON object a line.
pub fn init() {
    let filter = std::env::var("AUTOMAT_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info,rumqttd=warn,rumqttc=warn,sqlx=warn,tower_http=info".to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("AUTOMAT_LOG_FORMAT").is_ok_and(|f| f == "json");
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init()
    } else {
        registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init()
    };
    // Tests initialise more than once; the first subscriber wins.
    drop(result);
}
