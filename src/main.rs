//! The `sockscope` binary: parse, resolve, run, and map the outcome to an exit code.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use clap::error::ErrorKind;

use sockscope::cli::{Cli, Command};
use sockscope::collect::{self, Query};
use sockscope::config::{Action, Config, KillSettings, OutputMode};
use sockscope::kill::{self, KillOutcome, OsSignaller, RunSettings};
use sockscope::model::Snapshot;
use sockscope::output::{json, table, who};

/// The exit codes, as documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// Something was found (and, for `kill`, every target signalled).
    Found = 0,
    /// Nothing matched.
    NothingMatched = 1,
    /// An error, bad input, or an incomplete `kill`.
    Error = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    if cli.short_help {
        let _ = writeln!(io::stdout(), "{}", sockscope::cli::SHORT_HELP);
        return ExitCode::SUCCESS;
    }
    if let Some(Command::Completions { shell, .. }) = &cli.command {
        let mut out = io::stdout().lock();
        return match out
            .write_all(&sockscope::completions::script(*shell))
            .and_then(|()| out.flush())
        {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                let _ = writeln!(io::stderr(), "sockscope: cannot write output: {e}");
                Exit::Error.into()
            }
            _ => ExitCode::SUCCESS,
        };
    }
    let config = match Config::from_cli(&cli) {
        Ok(c) => c,
        Err(msg) => {
            let _ = writeln!(io::stderr(), "sockscope: {msg}");
            return Exit::Error.into();
        }
    };
    match run(&config) {
        Ok(exit) => exit.into(),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(io::stderr(), "sockscope: {err:#}");
            Exit::Error.into()
        }
    }
}

/// Help and version go to stdout with exit 0; every usage error is one line on stderr, exit 2.
fn usage_error(err: &clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let text = err.to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:"))
        .filter(|l| {
            !l.is_empty() && !l.starts_with("tip:") && !l.starts_with("For more information")
        })
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    let _ = writeln!(
        io::stderr(),
        "sockscope: {message} (see 'sockscope --help')"
    );
    Exit::Error.into()
}

/// `sockscope | head -1` closes the pipe early; that is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(config: &Config) -> anyhow::Result<Exit> {
    if let Action::Top { interval } = config.action {
        let query = Query {
            filter: config.filter.clone(),
            owners: config.owners,
            info: config.info,
        };
        sockscope::tui::run(query, interval).context("dashboard")?;
        return Ok(Exit::Found);
    }
    let snap = collect::snapshot(&Query {
        filter: config.filter.clone(),
        owners: config.owners,
        info: config.info,
    })
    .context("cannot list sockets")?;
    print_warnings(&snap, config.color_stderr);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let found = |n: usize| {
        if n > 0 {
            Exit::Found
        } else {
            Exit::NothingMatched
        }
    };
    let exit = match (&config.action, config.output) {
        (Action::List | Action::Who { .. }, OutputMode::Json) => {
            json::write(&mut out, &snap).context("cannot write output")?;
            found(snap.sockets.len())
        }
        (Action::List, OutputMode::Table) => {
            let opts = table::TableOptions {
                header: config.header,
                color: config.color,
                info: config.info,
            };
            table::write(&mut out, &snap, opts).context("cannot write output")?;
            found(snap.sockets.len())
        }
        (Action::Who { terse: true }, _) => {
            found(who::write_terse(&mut out, &snap, &config.filter).context("cannot write output")?)
        }
        (Action::Who { terse: false }, _) => {
            let rows = who::write(&mut out, &snap, &config.filter, config.header, config.color)
                .context("cannot write output")?;
            if rows == 0 {
                // Say it, on stderr: a first try that prints nothing looks broken.
                let _ = writeln!(io::stderr(), "sockscope: nothing is on that port");
            }
            found(rows)
        }
        (Action::Kill(settings), _) => run_kill(&snap, config, settings, &mut out)?,
        (Action::Top { .. }, _) => Exit::Found,
    };
    out.flush().context("cannot write output")?;
    Ok(exit)
}

fn run_kill<W: Write>(
    snap: &Snapshot,
    config: &Config,
    settings: &KillSettings,
    out: &mut W,
) -> anyhow::Result<Exit> {
    let parent = kill::parent_pid();
    let plan = kill::plan(snap, &config.filter, std::process::id(), parent);
    let yes = settings.yes;
    let mut confirm = |question: &str| -> io::Result<bool> {
        if yes {
            return Ok(true);
        }
        let mut err = io::stderr().lock();
        if !io::stdin().is_terminal() {
            writeln!(
                err,
                "sockscope: kill: refusing to signal without confirmation: standard input is \
                 not a terminal (pass --yes to skip the question)"
            )?;
            return Ok(false);
        }
        write!(err, "{question}")?;
        err.flush()?;
        let mut answer = String::new();
        io::stdin().lock().read_line(&mut answer)?;
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    };
    let run = RunSettings {
        signal: settings.signal,
        wait: settings.wait,
        force: settings.force,
        dry_run: settings.dry_run,
    };
    let outcome = kill::execute(
        &plan,
        run,
        &mut OsSignaller,
        &mut confirm,
        out,
        &mut io::stderr().lock(),
    )
    .context("kill")?;
    Ok(match outcome {
        KillOutcome::AllDone => Exit::Found,
        KillOutcome::NothingFound => Exit::NothingMatched,
        KillOutcome::Incomplete => Exit::Error,
    })
}

/// Prints each warning once on stderr (JSON output also carries them in `warnings`).
fn print_warnings(snap: &Snapshot, color: bool) {
    let mut err = io::stderr().lock();
    for w in &snap.warnings {
        let _ = if color {
            writeln!(err, "\x1b[33msockscope: warning:\x1b[0m {w}")
        } else {
            writeln!(err, "sockscope: warning: {w}")
        };
    }
}
