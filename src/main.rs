//! The `crmbot` command: parses the command line and hands over to the library.
//! Errors are printed as one line with their causes and exit non-zero.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    cli::init_logging(&args);
    if let Err(error) = cli::run(args) {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}
