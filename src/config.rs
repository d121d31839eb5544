//! Turns raw command-line flags into resolved settings, once, before anything runs.
//!
//! Every "it depends" (colour only on a terminal, NO_COLOR, which protocols when none was named)
//! is decided here, so the rest of the program reads plain booleans.

use std::io::IsTerminal;

use crate::cli::{ColorChoice, ListArgs};
use crate::filter::{Filter, StateSet};
use crate::model::SocketState;

/// How to print the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// An aligned table for people.
    Table,
    /// The JSON document for scripts.
    Json,
}

/// Resolved settings of a listing.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which sockets to show.
    pub filter: Filter,
    /// Whether to look up owning processes.
    pub owners: bool,
    /// Table or JSON.
    pub output: OutputMode,
    /// Whether to print the table header.
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

impl Config {
    /// Resolves the listing flags against the environment of this process.
    pub fn from_list_args(args: &ListArgs) -> Config {
        let no_color = std::env::var("NO_COLOR").ok();
        let mut filter = Filter::default();
        // Naming one protocol or family selects only what was named.
        if args.tcp || args.udp {
            filter.tcp = args.tcp;
            filter.udp = args.udp;
        }
        if args.ipv4 || args.ipv6 {
            filter.ipv4 = args.ipv4;
            filter.ipv6 = args.ipv6;
        }
        if args.listening {
            filter.states = filter.states.and(StateSet::of(&[
                SocketState::Listen,
                SocketState::Unconnected,
            ]));
        }
        Config {
            filter,
            owners: !args.no_owners,
            output: if args.json {
                OutputMode::Json
            } else {
                OutputMode::Table
            },
            header: !args.no_header,
            color: resolve_color(
                args.color,
                std::io::stdout().is_terminal(),
                no_color.as_deref(),
            ),
            color_stderr: resolve_color(
                args.color,
                std::io::stderr().is_terminal(),
                no_color.as_deref(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let c = Config::from_list_args(&ListArgs {
            udp: true,
            ipv6: true,
            listening: true,
            ..ListArgs::default()
        });
        assert!(!c.filter.tcp && c.filter.udp);
        assert!(!c.filter.ipv4 && c.filter.ipv6);
        assert!(c.filter.states.contains(SocketState::Unconnected));
        assert!(!c.filter.states.contains(SocketState::Connected));
    }
}
