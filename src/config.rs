//! Turns raw command-line flags into resolved settings, once, before anything runs.
//!
//! Every "it depends" (colour only on a terminal, NO_COLOR, which protocols when none was named,
//! what a port argument means for `who` versus the listing) is decided here, so the rest of the
//! program reads plain values.

use std::io::IsTerminal;
use std::time::Duration;

use crate::cli::{
    Cli, ColorChoice, Command, FilterArgs, KillArgs, ListArgs, SelectArgs, TopArgs, WhoArgs,
};
use crate::filter::{Filter, StateSet, UserSpec};
use crate::kill::Signal;
use crate::model::SocketState;

/// How to print the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// An aligned table for people.
    Table,
    /// The JSON document for scripts.
    Json,
}

/// What to do with the sockets found.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Print them (table or JSON).
    List,
    /// Print their owners, one line per (owner, socket), or only the PIDs.
    Who {
        /// Only the distinct PIDs, one per line.
        terse: bool,
    },
    /// Signal their owners.
    Kill(KillSettings),
    /// Show them live.
    Top {
        /// Time between refreshes.
        interval: Duration,
    },
}

/// Resolved settings of `kill`.
#[derive(Debug, Clone, PartialEq)]
pub struct KillSettings {
    /// The signal to send.
    pub signal: Signal,
    /// How long to wait for the processes to exit.
    pub wait: Option<Duration>,
    /// Send KILL to the survivors of the wait.
    pub force: bool,
    /// Do not ask.
    pub yes: bool,
    /// Only show what would be done.
    pub dry_run: bool,
}

/// Resolved settings of a run.
#[derive(Debug, Clone)]
pub struct Config {
    /// What to do.
    pub action: Action,
    /// Which sockets.
    pub filter: Filter,
    /// Whether to look up owning processes.
    pub owners: bool,
    /// Whether to report TCP internals.
    pub info: bool,
    /// Table or JSON.
    pub output: OutputMode,
    /// Whether to print a header line.
    pub header: bool,
    /// Whether to colour standard output.
    pub color: bool,
    /// Whether to colour warnings on standard error.
    pub color_stderr: bool,
}

/// Whether colour is wanted, given the choice, whether the stream is a terminal and `NO_COLOR`.
pub fn resolve_color(choice: ColorChoice, is_terminal: bool, no_color: Option<&str>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // https://no-color.org: set and not empty disables colour.
        ColorChoice::Auto => is_terminal && no_color.is_none_or(str::is_empty),
    }
}

/// Applies `-t -u -4 -6 -l`.
fn apply_select(filter: &mut Filter, args: SelectArgs) {
    select(filter, args.tcp, args.udp, args.ipv4, args.ipv6);
    if args.listening {
        filter.states = filter.states.and(StateSet::of(&[
            SocketState::Listen,
            SocketState::Unconnected,
        ]));
    }
}

/// Narrows `filter` to the protocols and families named; naming none keeps them all.
fn select(filter: &mut Filter, tcp: bool, udp: bool, ipv4: bool, ipv6: bool) {
    if tcp || udp {
        filter.tcp = tcp;
        filter.udp = udp;
    }
    if ipv4 || ipv6 {
        filter.ipv4 = ipv4;
        filter.ipv6 = ipv6;
    }
}

/// Adds the shared filter flags to `filter`.
fn apply_filters(filter: &mut Filter, args: &FilterArgs) -> Result<(), String> {
    filter.ports.extend(&args.port);
    filter.sports.extend(&args.sport);
    filter.dports.extend(&args.dport);
    if !args.state.is_empty() {
        let wanted = args.state.iter().fold(StateSet::EMPTY, |a, s| a.or(*s));
        filter.states = filter.states.and(wanted);
    }
    filter.pids.extend(&args.pid);
    for p in &args.process {
        if p.is_empty() {
            return Err("--process: the name is empty".to_owned());
        }
        filter.processes.push(p.to_lowercase());
    }
    for u in &args.user {
        filter.users.push(resolve_user(u)?);
    }
    filter.classes.extend(&args.class);
    filter.addrs.extend(&args.addr);
    Ok(())
}

/// A user name becomes its UID when the system knows it, so sockets whose owners are hidden can
/// still be matched by the UID the kernel records.
fn resolve_user(spec: &UserSpec) -> Result<UserSpec, String> {
    match spec {
        UserSpec::Uid(_) => Ok(spec.clone()),
        UserSpec::Name(name) => match crate::collect::uid_of_user(name) {
            Some(uid) => Ok(UserSpec::Uid(uid)),
            None if crate::collect::CAN_RESOLVE_USERS => {
                Err(format!("--user: no such user '{name}'"))
            }
            None => Ok(spec.clone()),
        },
    }
}

impl Config {
    /// Resolves the whole command line against the environment of this process.
    pub fn from_cli(cli: &Cli) -> Result<Config, String> {
        match &cli.command {
            None => Config::list(&cli.list),
            Some(Command::Who(args)) => Config::who(args),
            Some(Command::Kill(args)) => Config::kill(args),
            Some(Command::Top(args)) => Config::top(args),
            Some(Command::Completions { .. }) => {
                Err("this command is handled before configuration".to_owned())
            }
        }
    }

    fn base(action: Action, filter: Filter, color: ColorChoice) -> Config {
        let no_color = std::env::var("NO_COLOR").ok();
        Config {
            action,
            filter,
            owners: true,
            info: false,
            output: OutputMode::Table,
            header: true,
            color: resolve_color(color, std::io::stdout().is_terminal(), no_color.as_deref()),
            color_stderr: resolve_color(
                color,
                std::io::stderr().is_terminal(),
                no_color.as_deref(),
            ),
        }
    }

    /// Resolves the listing's flags.
    pub fn list(args: &ListArgs) -> Result<Config, String> {
        let mut filter = Filter::default();
        apply_select(&mut filter, args.select);
        filter.ports.extend(args.port_arg);
        apply_filters(&mut filter, &args.filters)?;
        let mut config = Config::base(Action::List, filter, args.color);
        config.owners = !args.no_owners;
        config.info = args.info;
        config.header = !args.no_header;
        if args.json {
            config.output = OutputMode::Json;
        }
        Ok(config)
    }

    fn port_filter(
        target: &crate::cli::PortTarget,
        remote: bool,
        filters: &FilterArgs,
    ) -> Result<Filter, String> {
        let mut filter = Filter::default();
        if remote {
            filter.ports.push(target.port);
            filter.addrs.extend(target.addr);
        } else {
            filter.sports.push(target.port);
            filter.local_addrs.extend(target.addr);
        }
        apply_filters(&mut filter, filters)?;
        Ok(filter)
    }

    /// Resolves `who`'s flags.
    pub fn who(args: &WhoArgs) -> Result<Config, String> {
        let mut filter = Config::port_filter(&args.target, args.remote, &args.filters)?;
        select(&mut filter, args.tcp, args.udp, args.ipv4, args.ipv6);
        let mut config = Config::base(Action::Who { terse: args.terse }, filter, args.color);
        config.header = !args.no_header;
        if args.json {
            config.output = OutputMode::Json;
        }
        Ok(config)
    }

    /// Resolves `top`'s flags. The dashboard always looks up owners and TCP internals (for the
    /// rates).
    pub fn top(args: &TopArgs) -> Result<Config, String> {
        let mut filter = Filter::default();
        apply_select(&mut filter, args.select);
        apply_filters(&mut filter, &args.filters)?;
        let interval = Duration::from_secs_f64(args.interval);
        let mut config = Config::base(Action::Top { interval }, filter, ColorChoice::Auto);
        config.info = true;
        Ok(config)
    }

    /// Resolves `kill`'s flags.
    pub fn kill(args: &KillArgs) -> Result<Config, String> {
        let mut filter = Config::port_filter(&args.target, false, &args.filters)?;
        select(&mut filter, args.tcp, args.udp, false, false);
        let signal: Signal = args.signal.parse()?;
        let wait = match (args.wait, args.force) {
            (Some(secs), _) => Some(Duration::from_secs_f64(secs)),
            (None, true) => Some(Duration::from_secs(5)),
            (None, false) => None,
        };
        let settings = KillSettings {
            signal,
            wait,
            force: args.force,
            yes: args.yes,
            dry_run: args.dry_run,
        };
        Ok(Config::base(Action::Kill(settings), filter, args.color))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(args: &[&str]) -> Result<Config, String> {
        Config::from_cli(&Cli::try_parse_from(args).map_err(|e| e.to_string())?)
    }

    #[test]
    fn colour_rules() {
        assert!(resolve_color(ColorChoice::Auto, true, None));
        assert!(!resolve_color(ColorChoice::Auto, false, None));
        assert!(!resolve_color(ColorChoice::Auto, true, Some("1")));
        assert!(resolve_color(ColorChoice::Auto, true, Some("")));
        assert!(resolve_color(ColorChoice::Always, false, Some("1")));
        assert!(!resolve_color(ColorChoice::Never, true, None));
    }

    #[test]
    fn naming_a_protocol_selects_only_it() {
        let c = config(&["sockscope", "-u6l"]).unwrap();
        assert!(!c.filter.tcp && c.filter.udp);
        assert!(!c.filter.ipv4 && c.filter.ipv6);
        assert!(c.filter.states.contains(SocketState::Unconnected));
        assert!(!c.filter.states.contains(SocketState::Connected));
    }

    #[test]
    fn states_or_within_and_across_flags() {
        let c = config(&[
            "sockscope",
            "--state",
            "listen",
            "--state",
            "time-wait",
            "-l",
        ])
        .unwrap();
        assert!(c.filter.states.contains(SocketState::Listen));
        assert!(
            !c.filter.states.contains(SocketState::TimeWait),
            "-l ANDs with --state"
        );
    }

    #[test]
    fn who_and_kill_targets() {
        let c = config(&["sockscope", "who", "127.0.0.1:80"]).unwrap();
        assert_eq!(c.filter.sports.len(), 1);
        assert_eq!(
            c.filter.local_addrs,
            vec!["127.0.0.1".parse::<std::net::IpAddr>().unwrap()]
        );
        let c = config(&["sockscope", "who", "--remote", "80"]).unwrap();
        assert!(c.filter.sports.is_empty() && c.filter.ports.len() == 1);
        let c = config(&["sockscope", "kill", "--force", "80"]).unwrap();
        let Action::Kill(k) = c.action else { panic!() };
        assert_eq!(k.wait, Some(Duration::from_secs(5)));
        assert!(config(&["sockscope", "kill", "--signal", "BOGUS", "80"]).is_err());
    }

    // Windows has no UIDs: a user name stays a name there, matched against owners' names.
    #[cfg(unix)]
    #[test]
    fn users_resolve_to_uids() {
        let c = config(&["sockscope", "--user", "root"]).unwrap();
        assert_eq!(c.filter.users, vec![UserSpec::Uid(0)]);
        let err = config(&["sockscope", "--user", "no-such-user-hopefully"]).unwrap_err();
        assert!(err.contains("no-such-user-hopefully"));
    }
}
