//! `automat-simulators`: the Stripe and Finix simulators in their own
//! process, for the browser tests and for trying the shop by hand. Prints
//! one JSON line with their addresses once both listen (port 0 picks free
//! ports), then serves until interrupted.

use std::net::SocketAddr;

use clap::Parser;
use serde_json::json;
use simulators::{
    finix::{self, FinixConfig, WebhookAuth},
    stripe::{self, StripeConfig},
};

#[derive(Parser)]
#[command(about = "Local Stripe and Finix simulators")]
struct Cli {
    #[arg(long, env = "SIM_STRIPE_ADDR", default_value = "127.0.0.1:4242")]
    stripe_addr: SocketAddr,
    #[arg(
        long,
        env = "SIM_STRIPE_SECRET_KEY",
        default_value = "sk_test_automat_simulator"
    )]
    stripe_secret_key: String,
    #[arg(
        long,
        env = "SIM_STRIPE_PUBLISHABLE_KEY",
        default_value = "pk_test_automat_simulator"
    )]
    stripe_publishable_key: String,
    #[arg(
        long,
        env = "SIM_STRIPE_WEBHOOK_SECRET",
        default_value = "whsec_automat_simulator"
    )]
    stripe_webhook_secret: String,
    /// Where Stripe events are posted (e.g. http://127.0.0.1:3000/hooks/payment/stripe).
    #[arg(long, env = "SIM_STRIPE_WEBHOOK_URL")]
    stripe_webhook_url: Option<String>,
    #[arg(long, env = "SIM_FINIX_ADDR", default_value = "127.0.0.1:4243")]
    finix_addr: SocketAddr,
    #[arg(
        long,
        env = "SIM_FINIX_USERNAME",
        default_value = "USsimulatorAutomat00001A"
    )]
    finix_username: String,
    #[arg(
        long,
        env = "SIM_FINIX_PASSWORD",
        default_value = "automat-simulator-password"
    )]
    finix_password: String,
    /// Where Finix events are posted.
    #[arg(long, env = "SIM_FINIX_WEBHOOK_URL")]
    finix_webhook_url: Option<String>,
    /// Basic-auth credentials Finix sends with each event, `user:password`.
    #[arg(
        long,
        env = "SIM_FINIX_WEBHOOK_BASIC",
        default_value = "finix:automat-webhook-password"
    )]
    finix_webhook_basic: String,
    #[arg(
        long,
        env = "SIM_FINIX_WEBHOOK_SIGNING_KEY",
        default_value = "automat-finix-signing-key"
    )]
    finix_webhook_signing_key: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIM_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let stripe = stripe::spawn_on(
        cli.stripe_addr,
        StripeConfig {
            secret_key: cli.stripe_secret_key,
            publishable_key: cli.stripe_publishable_key,
            webhook_secret: cli.stripe_webhook_secret,
            webhook_url: cli.stripe_webhook_url,
            ..StripeConfig::default()
        },
    )
    .await?;
    let (username, password) = cli
        .finix_webhook_basic
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("--finix-webhook-basic must be user:password"))?;
    let finix = finix::spawn_on(
        cli.finix_addr,
        FinixConfig {
            username: cli.finix_username,
            password: cli.finix_password,
            webhook_url: cli.finix_webhook_url,
            webhook_auth: WebhookAuth::Basic {
                username: username.to_owned(),
                password: password.to_owned(),
            },
            webhook_signing_key: cli.finix_webhook_signing_key,
            ..FinixConfig::default()
        },
    )
    .await?;
    println!(
        "{}",
        json!({
            "stripe": stripe.api_base(),
            "stripe_js": stripe.stripe_js_url(),
            "finix": finix.api_base(),
            "finix_js": finix.finix_js_url(),
        })
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
