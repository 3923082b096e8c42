//! The `crmbot` command: parses the command line and hands over to the library.
//! Errors are printed as one line with their causes and exit non-zero.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    cli::init_logging(&args);
    if let Err(error) = cli::run(args) {
        if stdout_closed(&error) {
            // The reader of our output went away (`crmbot … | head`): nothing to report.
            return;
        }
        eprintln!("error: {}", one_line(&error));
        std::process::exit(1);
    }
}

/// Whether the error is a write to a closed pipe on stdout.
fn stdout_closed(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// The error and its causes on one line. Many of our errors already quote their cause in
/// their own message; a cause is added only when the line does not say it yet.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
