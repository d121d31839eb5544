use super::*;
use crate::model::{Endpoint, Family, Process, Proto, Socket, SocketState};
use crate::ports::PortClass;
use std::time::UNIX_EPOCH;

fn snap(owners: Option<Vec<u32>>) -> Snapshot {
    let mut processes = BTreeMap::new();
    for pid in [1, 50, 60, 70] {
        processes.insert(
            pid,
            Process {
                pid,
                name: format!("p{pid}\x1b"),
                cmdline: vec![],
                uid: Some(0),
                user: Some("root".into()),
            },
        );
    }
    Snapshot {
        taken_at: UNIX_EPOCH,
        host: "h".into(),
        sockets: vec![Socket {
            proto: Proto::Tcp,
            family: Family::Ipv4,
            local: Endpoint {
                addr: "127.0.0.1".parse().unwrap(),
                port: 8080,
                class: PortClass::Registered,
                ephemeral: false,
                service: None,
            },
            remote: None,
            state: SocketState::Listen,
            inode: Some(1),
            uid: Some(0),
            owners,
            tcp: None,
        }],
        processes,
        warnings: vec![],
    }
}

#[derive(Default)]
struct Fake {
    sent: Vec<(u32, Signal)>,
    deny: Vec<u32>,
    stubborn: Vec<u32>,
}

impl Signaller for Fake {
    fn send(&mut self, pid: u32, signal: Signal) -> Result<(), SendError> {
        if self.deny.contains(&pid) {
            return Err(SendError::Denied);
        }
        self.sent.push((pid, signal));
        Ok(())
    }
    fn alive(&mut self, pid: u32) -> bool {
        self.stubborn.contains(&pid) && !self.sent.contains(&(pid, Signal::Kill))
    }
}

fn settings() -> RunSettings {
    RunSettings {
        signal: Signal::Term,
        wait: None,
        force: false,
        dry_run: false,
    }
}

fn run(
    plan: &Plan,
    s: RunSettings,
    fake: &mut Fake,
    answer: bool,
) -> (KillOutcome, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let outcome = execute(plan, s, fake, &mut |_| Ok(answer), &mut out, &mut err).unwrap();
    (
        outcome,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn signal_names() {
    assert_eq!("term".parse(), Ok(Signal::Term));
    assert_eq!("SIGKILL".parse(), Ok(Signal::Kill));
    assert_eq!("9".parse(), Ok(Signal::Kill));
    assert_eq!("usr1".parse(), Ok(Signal::Usr1));
    assert!("SIGFOO".parse::<Signal>().unwrap_err().contains("SIGFOO"));
    assert!(
        "10".parse::<Signal>().is_err(),
        "numbers that differ between systems"
    );
    assert_eq!(Signal::Term.to_string(), "SIGTERM");
}

#[test]
fn never_init_self_or_parent() {
    let p = plan(&snap(Some(vec![1, 50, 60, 70])), &Filter::default(), 60, 70);
    assert_eq!(
        p.targets.iter().map(|t| t.pid).collect::<Vec<_>>(),
        vec![50]
    );
    let refused: Vec<_> = p.refused.iter().map(|(t, r)| (t.pid, *r)).collect();
    assert_eq!(
        refused,
        vec![
            (1, Refusal::Init),
            (60, Refusal::Myself),
            (70, Refusal::Parent)
        ]
    );
    // Names are escaped before they can reach a terminal.
    assert_eq!(p.targets[0].name, "p50\\x1b");
    let mut fake = Fake::default();
    let (outcome, _, err) = run(&p, settings(), &mut fake, true);
    assert_eq!(fake.sent, vec![(50, Signal::Term)]);
    assert_eq!(outcome, KillOutcome::Incomplete);
    assert!(err.contains("PID 1") && err.contains("init"));
}

#[test]
fn owner_filter_chooses_targets() {
    let f = Filter {
        processes: vec!["p60".into()],
        ..Filter::default()
    };
    let p = plan(&snap(Some(vec![50, 60])), &f, 999, 998);
    assert_eq!(
        p.targets.iter().map(|t| t.pid).collect::<Vec<_>>(),
        vec![60]
    );
}

#[test]
fn dry_run_and_refused_confirmation_send_nothing() {
    let p = plan(&snap(Some(vec![50])), &Filter::default(), 999, 998);
    let mut fake = Fake::default();
    let (outcome, out, _) = run(
        &p,
        RunSettings {
            dry_run: true,
            ..settings()
        },
        &mut fake,
        true,
    );
    assert_eq!(outcome, KillOutcome::AllDone);
    assert!(out.contains("would send SIGTERM") && out.contains("50"));
    let (outcome, _, err) = run(&p, settings(), &mut fake, false);
    assert_eq!(outcome, KillOutcome::Incomplete);
    assert!(err.contains("nothing signalled"));
    assert!(fake.sent.is_empty());
}

#[test]
fn denied_is_reported_per_pid() {
    let p = plan(&snap(Some(vec![50, 60])), &Filter::default(), 999, 998);
    let mut fake = Fake {
        deny: vec![60],
        ..Fake::default()
    };
    let (outcome, out, err) = run(&p, settings(), &mut fake, true);
    assert_eq!(outcome, KillOutcome::Incomplete);
    assert!(out.contains("sent SIGTERM to 50"));
    assert!(err.contains("PID 60") && err.contains("permission denied") && err.contains(ELEVATE));
}

#[test]
fn wait_then_force() {
    let p = plan(&snap(Some(vec![50, 60])), &Filter::default(), 999, 998);
    let mut fake = Fake {
        stubborn: vec![60],
        ..Fake::default()
    };
    let s = RunSettings {
        wait: Some(Duration::from_millis(50)),
        ..settings()
    };
    let (outcome, out, err) = run(&p, s, &mut fake, true);
    assert_eq!(outcome, KillOutcome::Incomplete);
    assert!(out.contains("50 (p50\\x1b) exited"));
    assert!(err.contains("60") && err.contains("still running"));

    let mut fake = Fake {
        stubborn: vec![60],
        ..Fake::default()
    };
    let (outcome, out, _) = run(&p, RunSettings { force: true, ..s }, &mut fake, true);
    assert_eq!(outcome, KillOutcome::AllDone);
    assert!(out.contains("sent SIGKILL to 60"));
}

#[test]
fn nothing_and_hidden() {
    let p = plan(&snap(Some(vec![])), &Filter::default(), 999, 998);
    let (outcome, _, _) = run(&p, settings(), &mut Fake::default(), true);
    assert_eq!(outcome, KillOutcome::NothingFound);
    let p = plan(&snap(None), &Filter::default(), 999, 998);
    assert_eq!(p.hidden, 1);
    let (outcome, _, err) = run(&p, settings(), &mut Fake::default(), true);
    assert_eq!(outcome, KillOutcome::Incomplete);
    assert!(err.contains("cannot see"));
}
