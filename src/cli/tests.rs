use super::*;
use clap::CommandFactory;

#[test]
fn cli_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn short_help_fits_a_screen_and_names_only_real_flags() {
    assert!(
        SHORT_HELP.lines().count() <= 23,
        "one 80x24 screen, with the prompt"
    );
    assert!(SHORT_HELP.lines().all(|l| l.chars().count() <= 80));
    let cmd = Cli::command();
    let known: Vec<String> = cmd
        .get_arguments()
        .flat_map(|a| {
            let mut names = Vec::new();
            names.extend(a.get_short().map(|c| format!("-{c}")));
            names.extend(a.get_long().map(|l| format!("--{l}")));
            names
        })
        .collect();
    let mut checked = 0;
    for word in SHORT_HELP.split(|c: char| c.is_whitespace() || c == ',') {
        let word = word.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        if let Some(long) = word.strip_prefix("--") {
            assert!(
                known.contains(&format!("--{long}")),
                "--{long} is not a flag"
            );
            checked += 1;
        } else if let Some(shorts) = word.strip_prefix('-')
            && !shorts.is_empty()
        {
            // -ano, -tuanp: each letter is a flag.
            for c in shorts.chars() {
                assert!(
                    known.contains(&format!("-{c}")),
                    "-{c} (in {word}) is not a flag"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "the summary names the flags");
    for sub in ["who", "kill", "top", "completions"] {
        assert!(cmd.find_subcommand(sub).is_some(), "{sub}");
    }
}

#[test]
fn long_help_describes_every_state() {
    let help = Cli::command().render_long_help().to_string();
    for state in crate::model::SocketState::ALL {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", state.name())))
            .unwrap_or_else(|| panic!("no line for {}", state.name()));
        assert!(line.split_whitespace().count() > 2, "{line}");
    }
}

#[test]
fn netstat_and_ss_habits_parse() {
    for args in [
        &["sockscope", "-ano"][..],
        &["sockscope", "-tulpn"],
        &["sockscope", "-tanp"],
        &["sockscope", "-ltn"],
        &["sockscope", "-46", "-H"],
        &["sockscope", ":8080"],
        &[
            "sockscope",
            "-t",
            ":8000-8100",
            "--state",
            "listen,established",
        ],
    ] {
        Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    }
    let cli = Cli::try_parse_from(["sockscope", "-tulpn"]).unwrap();
    let sel = cli.list.select;
    assert!(sel.tcp && sel.udp && sel.listening);
    assert!(cli.list.processes && cli.list.numeric);
}

#[test]
fn subcommands_parse() {
    let cli = Cli::try_parse_from(["sockscope", "who", "-t", "[::1]:8080"]).unwrap();
    let Some(Command::Who(w)) = cli.command else {
        panic!()
    };
    assert!(w.terse);
    assert_eq!(w.target.addr, Some("::1".parse().unwrap()));
    let cli =
        Cli::try_parse_from(["sockscope", "kill", "-yn", "--signal", "KILL", ":3000"]).unwrap();
    let Some(Command::Kill(k)) = cli.command else {
        panic!()
    };
    assert!(k.yes && k.dry_run && k.signal == "KILL");
    assert_eq!(
        k.target.port,
        PortRange {
            first: 3000,
            last: 3000
        }
    );
}

#[test]
fn port_targets() {
    let t: PortTarget = "127.0.0.1:80".parse().unwrap();
    assert_eq!(
        (t.addr, t.port.first),
        (Some("127.0.0.1".parse().unwrap()), 80)
    );
    assert_eq!("8080".parse::<PortTarget>().unwrap().addr, None);
    assert_eq!(":8080".parse::<PortTarget>().unwrap().port.first, 8080);
    assert!(
        "::1:80"
            .parse::<PortTarget>()
            .unwrap_err()
            .contains("[ADDRESS]:PORT")
    );
    assert!(
        "localhost:80"
            .parse::<PortTarget>()
            .unwrap_err()
            .contains("DNS")
    );
    assert!("[::1]".parse::<PortTarget>().is_err());
    assert!(
        "1.2.3.4:99999"
            .parse::<PortTarget>()
            .unwrap_err()
            .contains("99999")
    );
}

#[test]
fn conflicting_flags_are_refused() {
    assert!(Cli::try_parse_from(["sockscope", "-p", "--no-owners"]).is_err());
    assert!(Cli::try_parse_from(["sockscope", "--no-owners", "--pid", "1"]).is_err());
    assert!(Cli::try_parse_from(["sockscope", "--json", "who", "80"]).is_err());
    assert!(Cli::try_parse_from(["sockscope", "who", "-t", "--json", "80"]).is_err());
}
