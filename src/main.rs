//! The `crmbot` command: parses the command line and hands over to the library.
//! Errors are printed as one line with their causes and exit non-zero.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    cli::init_logging(&args);
    if let Err(error) = cli::run(args) {
        eprintln!("error: {}", one_line(&error));
        std::process::exit(1);
    }
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
