//! Command-line interface: one subcommand per operator job. Parsing is clap's; each
//! subcommand opens what it needs through `crmbot::app` and prints for humans or `--json`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use serde::Serialize;

use crmbot::app;
use crmbot::channels::console::{self, ConsoleIdentity};
use crmbot::clock::{Clock, FixedClock, SystemClock};
use crmbot::config::{Secrets, Settings};
use crmbot::demo::{self, DemoSpec};
use crmbot::domain::{Customer, CustomerId, Event, Interaction};
use crmbot::runner;

#[derive(Debug, Parser)]
#[command(name = "crmbot", version, about = "A customer-relationship chat agent")]
pub struct Cli {
    /// Settings file (TOML). Default: config/default.toml if present, else built-in defaults.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Store directory; overrides the config file and CRMBOT_STORE.
    #[arg(long, global = true, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Pretend the current time is this (RFC 3339), for reproducible runs.
    #[arg(long, global = true, value_name = "TIME")]
    now: Option<DateTime<Utc>>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Chat with the bot on the console (seeds demo data into an empty store).
    Chat {
        /// Who you are: customer:ID or staff:NAME (default: customer 42 of the demo data).
        #[arg(long = "as", value_name = "WHO")]
        identity: Option<ConsoleIdentity>,
    },
    /// Generate deterministic demo customers into the store.
    Demo {
        /// How many customers.
        #[arg(long, default_value_t = 2000)]
        customers: u32,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Serve the chat channels enabled in the config (Telegram, Discord) until SIGINT/SIGTERM.
    /// Tokens come from TELOXIDE_TOKEN and DISCORD_TOKEN; nothing is seeded.
    Run,
    /// Show a customer: profile, recent events and interactions.
    Customer {
        /// Customer id.
        id: u64,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// How many recent events and interactions to show.
        #[arg(long, default_value_t = 50)]
        recent: usize,
    },
}

/// Sets up logging to stderr; `CRMBOT_LOG` (e.g. `info`, `crmbot=debug`) sets the level.
pub fn init_logging(_cli: &Cli) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CRMBOT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

pub fn run(cli: Cli) -> Result<()> {
    let settings = load_settings(&cli)?;
    let clock: Arc<dyn Clock> = match cli.now {
        Some(now) => Arc::new(FixedClock::new(now)),
        None => Arc::new(SystemClock),
    };
    match cli.command {
        Command::Chat { identity } => chat(settings, clock, identity),
        Command::Demo { customers, seed } => demo_cmd(settings, clock, customers, seed),
        Command::Customer { id, json, recent } => customer_cmd(settings, id, json, recent),
        Command::Run => run_cmd(settings, clock),
    }
}

fn load_settings(cli: &Cli) -> Result<Settings> {
    let default_file = PathBuf::from("config/default.toml");
    let file = match &cli.config {
        Some(path) => Some(path.clone()),
        None => default_file.exists().then_some(default_file),
    };
    let mut settings = Settings::load(file.as_deref())?;
    if let Some(store) = &cli.store {
        settings.store.path = store.clone();
    }
    Ok(settings)
}

fn chat(
    settings: Settings,
    clock: Arc<dyn Clock>,
    identity: Option<ConsoleIdentity>,
) -> Result<()> {
    let store = app::open_store(&settings)?;
    if settings.demo.seed_empty_store
        && let Some(report) = app::seed_if_empty(&store, &settings, clock.as_ref())?
    {
        eprintln!(
            "The store was empty: seeded {} demo customers ({} events, {} past messages).",
            report.customers, report.events, report.interactions
        );
    }
    let identity = match identity {
        Some(identity) => identity,
        None => {
            let first = store
                .customer(CustomerId(42))?
                .or(store.customers().next().transpose()?);
            match first {
                Some(c) => ConsoleIdentity::Customer(c.id),
                None => bail!("the store has no customers; import some or run `crmbot demo`"),
            }
        }
    };
    let settings = Arc::new(settings);
    let engine = app::build_engine(settings, store, clock)?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        println!(
            "crmbot console. You are {identity:?}. /as customer:ID or /as staff:NAME switches, /help lists what I can do, /quit ends."
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    runtime
        .block_on(console::run(
            &engine,
            identity,
            &mut stdin.lock(),
            &mut stdout.lock(),
            interactive,
        ))
        .context("console input/output failed")?;
    Ok(())
}

fn run_cmd(settings: Settings, clock: Arc<dyn Clock>) -> Result<()> {
    let store = app::open_store(&settings)?;
    let engine = app::build_engine(Arc::new(settings), store, clock)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let secrets = Secrets::from_env();
    runtime.block_on(runner::run(engine, &secrets, runner::shutdown_signal()))?;
    Ok(())
}

fn demo_cmd(settings: Settings, clock: Arc<dyn Clock>, customers: u32, seed: u64) -> Result<()> {
    if customers == 0 {
        bail!("--customers must be at least 1");
    }
    let store = app::open_store(&settings)?;
    if store.customer_count() > 0 {
        bail!(
            "the store at {} already has {} customers; demo data goes into an empty store (use --store DIR)",
            settings.store.path.display(),
            store.customer_count()
        );
    }
    let spec = DemoSpec {
        customers,
        seed,
        as_of: demo::reference_day(clock.now()),
    };
    let report = demo::seed_store(&store, &spec)?;
    println!(
        "Seeded {} demo customers ({} events, {} past messages) into {}.",
        report.customers,
        report.events,
        report.interactions,
        settings.store.path.display()
    );
    Ok(())
}

#[derive(Serialize)]
struct CustomerReport {
    customer: Customer,
    recent_events: Vec<Event>,
    interactions: Vec<Interaction>,
}

fn customer_cmd(settings: Settings, id: u64, json: bool, recent: usize) -> Result<()> {
    let store = app::open_store(&settings)?;
    let Some(customer) = store.customer(CustomerId(id))? else {
        bail!(
            "there is no customer {id} in {}",
            settings.store.path.display()
        );
    };
    let mut recent_events = store.recent_events_of(customer.id, recent)?;
    recent_events.reverse();
    let interactions = store.recent_interactions_of(customer.id, recent)?;
    let report = CustomerReport {
        customer,
        recent_events,
        interactions,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let c = &report.customer;
    println!(
        "Customer {} — {}{}",
        c.id,
        c.name,
        if c.is_lead { " (lead)" } else { "" }
    );
    println!(
        "email {} · plan {} · language {} · since {}",
        c.email.as_deref().unwrap_or("-"),
        c.plan.as_str(),
        c.language.as_str(),
        c.created.format("%Y-%m-%d")
    );
    println!("\nRecent events:");
    for e in &report.recent_events {
        println!("  {} {}", e.at.format("%Y-%m-%d %H:%M"), e.kind.name());
    }
    println!("\nInteractions:");
    for i in &report.interactions {
        println!(
            "  {} {:<8} {:<8} {:<20} {:>6} {}",
            i.at.format("%Y-%m-%d %H:%M:%S"),
            i.channel.as_str(),
            format!("{:?}", i.direction).to_lowercase(),
            i.intent.as_deref().unwrap_or("-"),
            i.sentiment.map(|s| format!("{s:+.2}")).unwrap_or_default(),
            i.text.as_deref().unwrap_or("(removed)")
        );
    }
    Ok(())
}
