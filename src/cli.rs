//! Command-line interface: one subcommand per operator job. Parsing is clap's; each
//! subcommand opens what it needs through `crmbot::app` and prints for humans or `--json`.

/// `println!` that returns an error instead of panicking when stdout is gone (e.g.
/// `crmbot eval … | head`); `main` ends quietly on that error.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod erasure;
mod tickets;

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
use crmbot::training;

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
    /// Import customers or events from CSV (with a header) or JSON lines.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Export everything held about a customer as JSON (data-subject access request).
    Export {
        /// Customer id.
        #[arg(long)]
        customer: u64,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Erase a customer's personal data and message texts (keeps anonymous aggregates).
    Erase {
        /// Customer id.
        #[arg(long)]
        customer: u64,
        /// Confirm without asking (required when not on a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Write a backup of the store into a new directory.
    Backup {
        /// Directory for the backup (created; must not hold a backup yet).
        dir: PathBuf,
    },
    /// Create the store (--store) from a backup directory.
    Restore {
        /// Directory holding a backup made by `crmbot backup`.
        dir: PathBuf,
        /// The erasure ledger to re-apply (default: the one beside the store,
        /// `<store>.erasures.jsonl`).
        #[arg(long)]
        erasures: Option<PathBuf>,
    },
    /// Check every record and index of the store and report problems.
    Verify {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// First put back index entries an interrupted write left out (after a crash).
        #[arg(long)]
        repair: bool,
    },
    /// List tickets (escalations), or show one with --id.
    Tickets {
        /// Only tickets in this state: open, claimed or resolved.
        #[arg(long)]
        state: Option<crmbot::domain::TicketState>,
        /// Show this ticket only.
        #[arg(long)]
        id: Option<u64>,
        /// With --id: print the ticket's conversation (kept when it is resolved).
        #[arg(long, requires = "id")]
        transcript: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Saved replies staff send with `/snippet NAME` in a ticket's thread.
    Snippets {
        #[command(subcommand)]
        what: tickets::SnippetsWhat,
    },
    /// Manage staff members (in addition to those in the config file).
    Staff {
        #[command(subcommand)]
        what: StaffWhat,
    },
    /// Apply the retention policy now: remove message texts older than privacy.retention_days.
    Retention,
    /// Train every customer model on the store, store the artifacts and score everyone.
    Train {
        /// Replace the churn model even if its backtest AUC is worse by more than 0.02.
        #[arg(long)]
        force: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Customers ranked by expected loss (churn probability × CLV).
    AtRisk {
        /// How many.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Only this segment.
        #[arg(long)]
        segment: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// NLU maintenance.
    Nlu {
        #[command(subcommand)]
        what: NluWhat,
    },
    /// Evaluate the models on any data set (see README).
    Eval {
        #[command(subcommand)]
        what: EvalWhat,
    },
    /// The churn digest for team chats.
    Alerts {
        #[command(subcommand)]
        what: AlertsWhat,
    },
    /// Reports over the store.
    Report {
        #[command(subcommand)]
        what: ReportWhat,
    },
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

#[derive(Debug, Subcommand)]
enum AlertsWhat {
    /// Show what the next digest would say, changing nothing.
    Preview {
        #[arg(long)]
        json: bool,
    },
    /// Build the digest now and send it (console destinations print here; others are
    /// queued for `crmbot run`).
    RunNow {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum NluWhat {
    /// Train the Chinese sentiment model on a text,label CSV and write the compact model file.
    BuildZhSentiment {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum EvalWhat {
    /// Intent classification: train the product's pipeline on --train and test on --test
    /// (CSV text,intent; repeat the flags for several files), or cross-validate --data with
    /// --folds, or, with neither, the product's own intents on their held-out paraphrases.
    Intents {
        #[arg(long)]
        train: Vec<PathBuf>,
        #[arg(long)]
        test: Vec<PathBuf>,
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        #[arg(long)]
        json: bool,
    },
    /// Sentiment on a CSV text,score (any scale; the sign is the label) or text,label
    /// (pos/neg). With --holdout F, trains a fresh Chinese model on the rest and tests on F;
    /// with --folds K, cross-validates the Chinese model's training on the labelled file.
    Sentiment {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, conflicts_with = "folds")]
        holdout: Option<f64>,
        #[arg(long)]
        folds: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Neutral support questions in English and Chinese (shipped with the binary): mean
    /// sentiment and the share scored negative, which should both be about 0.
    Neutral {
        #[arg(long)]
        json: bool,
    },
    /// BG/NBD and Gamma-Gamma on transactions (CSV customer_id,date,amount[,quantity]).
    Clv {
        #[arg(long)]
        transactions: PathBuf,
        /// End of the calibration period (YYYY-MM-DD); default: the last transaction day.
        #[arg(long)]
        calibration_end: Option<chrono::NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// Churn models on a flat customer table: 80/20 stratified split and 5-fold CV.
    Churn {
        #[arg(long)]
        data: PathBuf,
        /// The label column.
        #[arg(long)]
        label: String,
        /// The label value that means churned (default: Yes/1/true).
        #[arg(long)]
        positive: Option<String>,
        /// Columns to leave out (ids), comma-separated.
        #[arg(long, value_delimiter = ',')]
        drop: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Association rules on baskets (one per line, items comma-separated).
    Rules {
        #[arg(long)]
        baskets: PathBuf,
        #[arg(long)]
        min_support: f64,
        #[arg(long)]
        min_confidence: f64,
        #[arg(long)]
        json: bool,
    },
    /// Support questions (CSV text,intent) through the real engine, one new demo
    /// conversation each: on topic, handed to a person, not understood, off topic.
    Support {
        #[arg(long)]
        data: PathBuf,
        /// Which answers are on topic per label (TOML `[map] label = ["article:id", ...]`).
        #[arg(long, default_value = "intents/eval/bitext_map.toml")]
        map: PathBuf,
        /// How many failed questions to show per label.
        #[arg(long, default_value_t = 3)]
        examples: usize,
        #[arg(long)]
        json: bool,
    },
    /// Segmentation silhouette per k on transactions.
    Segments {
        #[arg(long)]
        transactions: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum StaffWhat {
    /// Add or update a staff member.
    Add {
        name: String,
        /// agent, manager or admin.
        #[arg(long, default_value = "agent")]
        role: crmbot::domain::StaffRole,
        /// Telegram numeric user id.
        #[arg(long)]
        telegram: Option<i64>,
        /// Discord user id.
        #[arg(long)]
        discord: Option<u64>,
    },
    /// Remove a staff member added with `staff add`.
    Remove { name: String },
    /// List staff members from the config file and the store.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ReportWhat {
    /// Offers: shown, accepted, held out, and 30-day retention of treated against holdout.
    Offers {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a chart as PNG: segments, risk, funnel or sentiment.
    Chart {
        kind: crmbot::insights::ChartKind,
        #[arg(long)]
        out: PathBuf,
    },
    /// KPIs of a period (7d, 30d, week, month, quarter) against the one before.
    Kpi {
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Conversations the bot resolved (the customer said it helped, or left without asking
    /// for a person within a day), handed off and left unanswered, by language and topic.
    Resolution {
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The questions the bot could not answer, grouped by the nearest help article.
    Gaps {
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ImportWhat {
    /// Customers: id, name, email, language, plan, created, marketing; other columns become attributes.
    Customers(ImportArgs),
    /// Events: customer_id, at, kind and the kind's columns (see README); a row with an amount and no kind is a purchase.
    Events(ImportArgs),
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// CSV file with a header, or JSON lines (.jsonl).
    file: PathBuf,
    /// Import the valid rows and report the bad ones (default: all or nothing).
    #[arg(long)]
    skip_bad: bool,
    /// Create bare customers for events of unknown customer ids.
    #[arg(long)]
    create_customers: bool,
    /// Rename a column: TARGET=Source Column (join several with +). Repeatable.
    #[arg(long = "map", value_name = "TARGET=SOURCE")]
    maps: Vec<String>,
    /// Column names of a known export: shopify, hubspot, cdnow.
    #[arg(long)]
    preset: Option<crmbot::import::Preset>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
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
        Command::Import { what } => import_cmd(settings, clock, what),
        Command::Export { customer, out } => export_cmd(settings, customer, out),
        Command::Erase { customer, yes } => erasure::erase(settings, clock, customer, yes),
        Command::Backup { dir } => backup_cmd(settings, dir),
        Command::Restore { dir, erasures } => erasure::restore(settings, clock, dir, erasures),
        Command::Verify { json, repair } => verify_cmd(settings, json, repair),
        Command::Tickets {
            state,
            id: None,
            json,
            ..
        } => tickets::list(settings, state, json),
        Command::Tickets {
            id: Some(id),
            transcript,
            json,
            ..
        } => tickets::show(settings, id, transcript, json),
        Command::Snippets { what } => tickets::snippets(settings, what),
        Command::Staff { what } => staff_cmd(settings, clock, what),
        Command::Retention => retention_cmd(settings, clock),
        Command::Train { force, json } => train_cmd(settings, clock, force, json),
        Command::AtRisk { top, segment, json } => at_risk_cmd(settings, clock, top, segment, json),
        Command::Eval { what } => eval_cmd(settings, what),
        Command::Nlu {
            what: NluWhat::BuildZhSentiment { data, out },
        } => {
            let model = crmbot::sentiment::zh::train_model(&data)?;
            model.save(&out)?;
            outln!(
                "Wrote the Chinese sentiment model trained on {} to {}.",
                data.display(),
                out.display()
            );
            Ok(())
        }
        Command::Report {
            what: ReportWhat::Offers { json },
        } => report_offers_cmd(settings, clock, json),
        Command::Report {
            what: ReportWhat::Chart { kind, out },
        } => {
            let store = app::open_store(&settings)?;
            let (png, caption) = crmbot::insights::chart(&store, kind, clock.now())?;
            std::fs::write(&out, &png).with_context(|| format!("writing {}", out.display()))?;
            outln!("Wrote {} ({} bytes): {caption}.", out.display(), png.len());
            Ok(())
        }
        Command::Report {
            what: ReportWhat::Kpi { period, json },
        } => {
            let days =
                crmbot::insights::parse_period(period.as_deref()).map_err(anyhow::Error::msg)?;
            let store = app::open_store(&settings)?;
            let report = crmbot::insights::kpis(&store, clock.now(), days)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                outln!("{}", crmbot::insights::render_kpis(&report));
            }
            Ok(())
        }
        Command::Report {
            what: ReportWhat::Resolution { period, json },
        } => {
            let days =
                crmbot::insights::parse_period(period.as_deref()).map_err(anyhow::Error::msg)?;
            let store = app::open_store(&settings)?;
            let report = crmbot::insights::resolution(&store, clock.now(), days)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                outln!("{}", crmbot::insights::render_resolution(&report));
            }
            Ok(())
        }
        Command::Report {
            what: ReportWhat::Gaps { period, json },
        } => {
            let days =
                crmbot::insights::parse_period(period.as_deref()).map_err(anyhow::Error::msg)?;
            let store = app::open_store(&settings)?;
            let help = app::load_help(&settings)?;
            let gaps = crmbot::insights::gaps(&store, &help, clock.now(), days)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&gaps)?);
            } else {
                outln!("{}", crmbot::insights::render_gaps(&gaps, days));
            }
            Ok(())
        }
        Command::Alerts { what } => alerts_cmd(settings, clock, what),
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
        let outcome = training::train(&store, &settings.models, clock.now(), false)?;
        eprintln!(
            "Trained the customer models: churn backtest AUC {}, {} customers at risk.",
            outcome
                .churn_auc
                .map(|a| format!("{a:.3}"))
                .unwrap_or_else(|| "-".into()),
            outcome.at_risk
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
        outln!(
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
    outln!(
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
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let c = &report.customer;
    outln!(
        "Customer {} — {}{}",
        c.id,
        c.name,
        if c.is_lead { " (lead)" } else { "" }
    );
    outln!(
        "email {} · plan {} · language {} · since {}",
        c.email.as_deref().unwrap_or("-"),
        c.plan.as_str(),
        c.language.as_str(),
        c.created.format("%Y-%m-%d")
    );
    outln!("\nRecent events:");
    for e in &report.recent_events {
        outln!("  {} {}", e.at.format("%Y-%m-%d %H:%M"), e.kind.name());
    }
    outln!("\nInteractions:");
    for i in &report.interactions {
        outln!(
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

fn import_cmd(settings: Settings, clock: Arc<dyn Clock>, what: ImportWhat) -> Result<()> {
    use crmbot::import::{self, ColumnMap, ImportOptions};
    let (is_customers, args) = match what {
        ImportWhat::Customers(args) => (true, args),
        ImportWhat::Events(args) => (false, args),
    };
    let mut columns = args.preset.map(ColumnMap::preset).unwrap_or_default();
    for entry in &args.maps {
        columns.parse_entry(entry).map_err(anyhow::Error::msg)?;
    }
    let options = ImportOptions {
        skip_bad: args.skip_bad,
        create_customers: args.create_customers,
        columns,
        limits: settings.import.clone(),
    };
    let store = app::open_store(&settings)?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} rows written ({per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        Some(bar)
    } else {
        None
    };
    let mut progress = |n: u64| {
        if let Some(bar) = &bar {
            bar.set_position(n);
        }
    };
    let report = if is_customers {
        import::import_customers(&store, &args.file, &options, clock.now(), &mut progress)?
    } else {
        import::import_events(&store, &args.file, &options, clock.now(), &mut progress)?
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for bad in &report.bad_rows {
            outln!("bad {bad}");
        }
        outln!(
            "{}: {} rows read, {} imported, {} already present, {} bad{}",
            report.file.display(),
            report.rows,
            report.imported,
            report.already_present,
            report.bad_rows.len(),
            if report.customers_created > 0 {
                format!(", {} customers created", report.customers_created)
            } else {
                String::new()
            }
        );
    }
    if !report.committed {
        bail!(
            "nothing was imported: {} bad rows (fix them, or pass --skip-bad to import the valid ones)",
            report.bad_rows.len()
        );
    }
    Ok(())
}

fn export_cmd(settings: Settings, id: u64, out: Option<PathBuf>) -> Result<()> {
    let store = app::open_store(&settings)?;
    let Some(export) = store.export_customer(CustomerId(id))? else {
        bail!(
            "there is no customer {id} in {}",
            settings.store.path.display()
        );
    };
    let text = serde_json::to_string_pretty(&export)?;
    match out {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "Wrote everything held about customer {id} to {}.",
                path.display()
            );
        }
        None => outln!("{text}"),
    }
    Ok(())
}

fn backup_cmd(settings: Settings, dir: PathBuf) -> Result<()> {
    let store = match app::open_store(&settings) {
        Ok(store) => store,
        Err(app::AppError::Store(crmbot::store::StoreError::Locked { .. }))
            if settings.http.enabled =>
        {
            return backup_through_running_bot(&settings, &dir);
        }
        Err(e) => return Err(e.into()),
    };
    let report = store.backup(&dir)?;
    outln!(
        "Backed up {} records in {} trees to {} ({} bytes).",
        report.records,
        report.trees,
        report.file.display(),
        report.bytes
    );
    Ok(())
}

fn verify_cmd(settings: Settings, json: bool, repair: bool) -> Result<()> {
    let store = app::open_store(&settings)?;
    if repair {
        let repaired = store.repair()?;
        eprintln!(
            "Repaired: {} index entries put back, {} dangling entries removed.",
            repaired.index_entries_added, repaired.dangling_entries_removed
        );
    }
    let report = store.verify()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        outln!(
            "schema {} · {} customers · {} events · {} interactions · {} tickets",
            report.schema_version,
            report.customers,
            report.events,
            report.interactions,
            report.tickets
        );
        for problem in &report.problems {
            outln!("problem: {problem}");
        }
        if report.problems.is_empty() {
            outln!("No problems found.");
        }
    }
    if !report.problems.is_empty() {
        bail!("the store has {} problems", report.problems.len());
    }
    Ok(())
}

fn report_offers_cmd(settings: Settings, clock: Arc<dyn Clock>, json: bool) -> Result<()> {
    let store = app::open_store(&settings)?;
    let mut histories = Vec::new();
    for customer in store.customers() {
        let events = store.events_of(customer?.id)?;
        if events.iter().any(|e| {
            matches!(
                e.kind,
                crmbot::domain::EventKind::OfferShown { .. }
                    | crmbot::domain::EventKind::OfferHeldOut { .. }
            )
        }) {
            histories.push(events);
        }
    }
    let stats = crmbot::routing::offers::report(
        &settings.offers,
        histories.iter().map(Vec::as_slice),
        clock.now(),
    );
    if json {
        outln!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(());
    }
    let pct = |v: Option<f64>| {
        v.map(|v| format!("{:.1}%", v * 100.0))
            .unwrap_or_else(|| "-".into())
    };
    for s in &stats {
        outln!(
            "{}: shown {}, accepted {}, held out {}; 30-day retention treated {} (n={}) vs holdout {} (n={}); uplift {}{}",
            s.offer,
            s.shown,
            s.accepted,
            s.held_out,
            pct(s.retention_treated),
            s.measured_treated,
            pct(s.retention_holdout),
            s.measured_holdout,
            pct(s.uplift),
            s.uplift_ci95
                .map(|(lo, hi)| format!(" (95% CI {:.1}% to {:.1}%)", lo * 100.0, hi * 100.0))
                .unwrap_or_default()
        );
    }
    Ok(())
}

fn staff_cmd(settings: Settings, clock: Arc<dyn Clock>, what: StaffWhat) -> Result<()> {
    use crmbot::config::StaffMember;
    use crmbot::store::AuditEntry;
    let store = app::open_store(&settings)?;
    let audit = |action: &str, name: &str| {
        store.audit(&AuditEntry {
            at: clock.now(),
            actor: "operator".into(),
            action: action.into(),
            subject: format!("staff:{name}"),
            detail: String::new(),
        })
    };
    match what {
        StaffWhat::Add {
            name,
            role,
            telegram,
            discord,
        } => {
            if name.trim().is_empty() || name.contains(char::is_whitespace) {
                bail!("a staff name is one word, e.g. alice");
            }
            let member = StaffMember {
                name: name.clone(),
                role,
                telegram,
                discord,
            };
            store.put_staff(&name, &member)?;
            audit("staff.add", &name)?;
            store.durable_blocking()?;
            outln!("{name} is now a staff member ({role}).");
        }
        StaffWhat::Remove { name } => {
            if !store.remove_staff(&name)? {
                bail!(
                    "{name} was not added with `crmbot staff add` (staff in the config file are removed there)"
                );
            }
            audit("staff.remove", &name)?;
            store.durable_blocking()?;
            outln!("{name} is no longer a staff member.");
        }
        StaffWhat::List { json } => {
            let mut members: Vec<(StaffMember, &str)> = store
                .staff::<StaffMember>()?
                .into_iter()
                .map(|m| (m, "store"))
                .collect();
            for m in &settings.staff {
                if !members
                    .iter()
                    .any(|(x, _)| x.name.eq_ignore_ascii_case(&m.name))
                {
                    members.push((m.clone(), "config"));
                }
            }
            if json {
                let list: Vec<serde_json::Value> = members
                    .iter()
                    .map(|(m, from)| serde_json::json!({"member": m, "from": from}))
                    .collect();
                outln!("{}", serde_json::to_string_pretty(&list)?);
            } else if members.is_empty() {
                outln!("No staff members. Add one with `crmbot staff add NAME --role manager`.");
            } else {
                for (m, from) in members {
                    outln!(
                        "{:<12} {:<8} telegram {:<12} discord {:<20} ({from})",
                        m.name,
                        m.role.to_string(),
                        m.telegram
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "-".into()),
                        m.discord
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "-".into()),
                    );
                }
            }
        }
    }
    Ok(())
}

fn retention_cmd(settings: Settings, clock: Arc<dyn Clock>) -> Result<()> {
    let days = settings.privacy.retention_days;
    if days == 0 {
        outln!("privacy.retention_days is 0: message texts are kept.");
        return Ok(());
    }
    let store = app::open_store(&settings)?;
    let cutoff = clock.now() - chrono::Duration::days(i64::from(days));
    let removed = store.remove_texts_before(cutoff)?;
    outln!(
        "Removed {removed} message texts older than {days} days (before {}).",
        cutoff.format("%Y-%m-%d")
    );
    Ok(())
}

/// Asks the running `crmbot run` (which holds the store) for a consistent backup.
fn backup_through_running_bot(settings: &Settings, dir: &std::path::Path) -> Result<()> {
    let token = crmbot::api::ApiTokens::from_env()?
        .secret_with(crmbot::api::Scope::Admin)
        .context("the store is in use by crmbot run; set CRMBOT_API_TOKENS with an admin token (admin:SECRET) so the backup can go through its HTTP API")?;
    let dir = std::path::absolute(dir).context("resolving the backup directory")?;
    let root =
        std::path::absolute(&settings.http.backup_root).context("resolving http.backup_root")?;
    let name = dir
        .file_name()
        .filter(|_| dir.parent() == Some(root.as_path()))
        .and_then(|n| n.to_str())
        .with_context(|| {
            format!(
                "the running bot writes backups only into http.backup_root ({}); give a directory inside it",
                root.display()
            )
        })?
        .to_owned();
    let url = format!("http://{}/api/v1/admin/backup", settings.http.bind);
    eprintln!("The store is in use by crmbot run; asking it for the backup at {url}.");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let response: serde_json::Value = runtime.block_on(async {
        let response = reqwest::Client::builder()
            .no_proxy()
            .build()?
            .post(&url)
            .bearer_auth(token)
            .json(&serde_json::json!({ "dir": name }))
            .send()
            .await?;
        let status = response.status();
        let body: serde_json::Value = response.json().await?;
        if !status.is_success() {
            bail!(
                "the running bot refused the backup ({status}): {}",
                body["error"]["message"]
            );
        }
        Ok::<_, anyhow::Error>(body)
    })?;
    outln!(
        "Backed up {} records in {} trees to {} (through the running bot).",
        response["records"],
        response["trees"],
        dir.display()
    );
    Ok(())
}

fn train_cmd(settings: Settings, clock: Arc<dyn Clock>, force: bool, json: bool) -> Result<()> {
    let store = app::open_store(&settings)?;
    if store.customer_count() == 0 {
        bail!("the store has no customers; import some or run `crmbot demo` first");
    }
    let outcome = training::train(&store, &settings.models, clock.now(), force)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&outcome)?);
        return Ok(());
    }
    outln!(
        "Trained on {} customers at {}.",
        outcome.customers,
        outcome.trained_at.format("%Y-%m-%d %H:%M UTC")
    );
    for (kind, version) in &outcome.versions {
        outln!("  {kind}: version {version}");
    }
    for (kind, why) in &outcome.skipped {
        outln!("  {kind}: not trained ({why})");
    }
    match (outcome.churn_auc, outcome.previous_churn_auc) {
        (Some(new), Some(old)) if !outcome.churn_replaced => outln!(
            "Churn model NOT replaced: backtest AUC {new:.3} is worse than the one in use ({old:.3}) by more than 0.02; use --force to replace it."
        ),
        (Some(new), old) => outln!(
            "Churn backtest ROC AUC {new:.3}{}.",
            old.map(|o| format!(" (previous model {o:.3})"))
                .unwrap_or_default()
        ),
        _ => {}
    }
    if let Some(b) = &outcome.backtest {
        outln!(
            "  kept {} · precision {:.2} and recall {:.2} at the alert threshold {:.2}",
            b["kept"].as_str().unwrap_or("?"),
            b["precision_at_threshold"].as_f64().unwrap_or(0.0),
            b["recall_at_threshold"].as_f64().unwrap_or(0.0),
            b["alert_threshold"].as_f64().unwrap_or(0.0)
        );
    }
    outln!(
        "Scored {} customers: {} at risk, {} changed lifecycle stage.",
        outcome.scored,
        outcome.at_risk,
        outcome.stage_changes
    );
    Ok(())
}

fn at_risk_cmd(
    settings: Settings,
    clock: Arc<dyn Clock>,
    top: usize,
    segment: Option<String>,
    json: bool,
) -> Result<()> {
    let store = app::open_store(&settings)?;
    let filter = crmbot::insights::AtRiskFilter {
        segment: segment.as_deref(),
        owner: None,
    };
    let views = crmbot::insights::Views::of(&settings);
    let report = crmbot::insights::at_risk_report(&store, clock.now(), top, filter, &views)?;
    if report.customers.is_empty() && training::stored_models(&store)?.is_none() {
        bail!("the customer models are not trained yet: run `crmbot train`");
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    outln!("{}", crmbot::insights::render_at_risk_report(&report));
    Ok(())
}

fn eval_cmd(settings: Settings, what: EvalWhat) -> Result<()> {
    use crmbot::models::eval;
    fn show<T: Serialize + std::fmt::Display>(report: T, json: bool) -> Result<()> {
        if json {
            outln!("{}", serde_json::to_string(&report)?);
        } else {
            outln!("{report}");
        }
        Ok(())
    }
    match what {
        EvalWhat::Clv {
            transactions,
            calibration_end,
            json,
        } => show(eval::eval_clv(&transactions, calibration_end)?, json),
        EvalWhat::Churn {
            data,
            label,
            positive,
            drop,
            json,
        } => show(
            eval::eval_churn(&data, &label, positive.as_deref(), &drop)?,
            json,
        ),
        EvalWhat::Rules {
            baskets,
            min_support,
            min_confidence,
            json,
        } => show(
            eval::eval_rules(&baskets, min_support, min_confidence)?,
            json,
        ),
        EvalWhat::Support {
            data,
            map,
            examples,
            json,
        } => show(
            crmbot::support_eval::run(&settings, &data, &map, examples)?,
            json,
        ),
        EvalWhat::Segments { transactions, json } => {
            show(eval::eval_segments(&transactions)?, json)
        }
        EvalWhat::Intents {
            train,
            test,
            data,
            folds,
            json,
        } => {
            use crmbot::nlu::eval as nlu_eval;
            let report = match (train.is_empty(), test.is_empty(), data) {
                (false, false, None) => nlu_eval::eval_intents_files(&train, &test)?,
                (true, true, Some(data)) => nlu_eval::cross_validate_intents(&data, folds)?,
                (true, true, None) => nlu_eval::eval_product_intents(&settings.intents_dir)?,
                _ => bail!(
                    "give --train and --test, or --data [--folds K], or nothing (the product's intents)"
                ),
            };
            show(report, json)
        }
        EvalWhat::Sentiment {
            data,
            holdout,
            folds,
            json,
        } => match (holdout, folds) {
            (Some(fraction), _) => show(
                crmbot::sentiment::eval::eval_zh_holdout(&data, fraction)?,
                json,
            ),
            (None, Some(k)) => show(crmbot::sentiment::eval::cross_validate_zh(&data, k)?, json),
            (None, None) => show(crmbot::sentiment::eval::eval_sentiment(&data)?, json),
        },
        EvalWhat::Neutral { json } => {
            let analyzer = crmbot::sentiment::SentimentAnalyzer::new()?;
            let reports = crmbot::sentiment::neutral::shipped_reports(&analyzer);
            if json {
                outln!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                for r in &reports {
                    outln!("{r}");
                }
            }
            Ok(())
        }
    }
}

fn alerts_cmd(settings: Settings, clock: Arc<dyn Clock>, what: AlertsWhat) -> Result<()> {
    use crmbot::alerts::{delivery, jobs};
    let store = app::open_store(&settings)?;
    if training::stored_models(&store)?.is_none() {
        bail!("the customer models are not trained yet: run `crmbot train`");
    }
    let now = clock.now();
    let (commit, json) = match what {
        AlertsWhat::Preview { json } => (false, json),
        AlertsWhat::RunNow { json } => (true, json),
    };
    let digest = jobs::digest(&store, &settings, now, commit)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&digest)?);
    } else if !commit {
        outln!("{}", digest.render());
    }
    if commit {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let report = runtime.block_on(delivery::drain(
            &store,
            &delivery::PrintDelivery { to_stderr: json },
            &settings.alerts,
            now,
        ))?;
        eprintln!(
            "Digest: {} newly at risk, {} movers, {} overdue escalations; {} message(s) sent here, {} waiting (quiet hours, rate limit or other channels: `crmbot run` sends them).",
            digest.new_at_risk.len(),
            digest.movers.len(),
            digest.overdue.len(),
            report.sent,
            store.pending_outbox()?.len()
        );
    }
    Ok(())
}
