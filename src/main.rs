//! The `sockscope` binary: parse, resolve, run, and map the outcome to an exit code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use sockscope::cli::Cli;
use sockscope::collect::{self, Query};
use sockscope::config::{Config, OutputMode};
use sockscope::model::Snapshot;
use sockscope::output::{json, table};

/// What a run found, as the exit code says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Something was listed.
    Found = 0,
    /// Nothing matched.
    NothingMatched = 1,
}

/// Exit code for any error.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(io::stderr(), "sockscope: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// `sockscope | head -1` closes the pipe early; that is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    let config = Config::from_list_args(&cli.list);
    let snap = collect::snapshot(&Query {
        filter: config.filter.clone(),
        owners: config.owners,
    })
    .context("cannot list sockets")?;
    print_warnings(&snap, config.color_stderr);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    match config.output {
        OutputMode::Json => json::write(&mut out, &snap),
        OutputMode::Table => table::write(
            &mut out,
            &snap,
            table::TableOptions {
                header: config.header,
                color: config.color,
            },
        ),
    }
    .and_then(|()| out.flush())
    .context("cannot write output")?;
    Ok(if snap.sockets.is_empty() {
        Outcome::NothingMatched
    } else {
        Outcome::Found
    })
}

/// Prints each warning once on stderr (JSON output also carries them in `warnings`).
fn print_warnings(snap: &Snapshot, color: bool) {
    let mut err = io::stderr().lock();
    let color = color && io::stderr().is_terminal();
    for w in &snap.warnings {
        let _ = if color {
            writeln!(err, "\x1b[33msockscope: warning:\x1b[0m {w}")
        } else {
            writeln!(err, "sockscope: warning: {w}")
        };
    }
}
