use std::time::Duration;

use super::*;
use crate::model::{Socket, SocketState, TcpInfo};
use crate::tui::fixtures::{base, snap, tcp};

fn app_with(sockets: Vec<Socket>) -> App {
    let mut app = App::new(Duration::from_secs(1));
    app.apply_snapshot(snap(1000, sockets), Duration::from_millis(5));
    app
}

fn ports(app: &App) -> Vec<u16> {
    app.visible().map(|r| r.socket.local.port).collect()
}

#[test]
fn sorts_by_column_and_flips() {
    let mut app = app_with(base());
    assert_eq!(
        ports(&app),
        vec![80, 80, 5432, 40000, 53],
        "IPv4 before IPv6, then port"
    );
    app.handle(Action::SortBy(Column::Pid));
    let pids: Vec<u32> = app.visible().map(|r| r.owners[0].pid).collect();
    assert_eq!(pids, vec![1, 100, 100, 200, 300]);
    app.handle(Action::SortBy(Column::Pid));
    assert!(
        app.descending,
        "choosing the same column again flips the order"
    );
    let pids: Vec<u32> = app.visible().map(|r| r.owners[0].pid).collect();
    assert_eq!(pids, vec![300, 200, 100, 100, 1]);
    app.handle(Action::FlipSort);
    app.handle(Action::NextSort);
    assert_eq!(app.sort, Column::Process);
}

#[test]
fn filter_text_and_toggles_narrow_the_rows() {
    let mut app = app_with(base());
    app.handle(Action::StartFilter);
    for c in "NGINX".chars() {
        app.handle(Action::FilterChar(c));
    }
    assert_eq!(
        ports(&app),
        vec![80, 80],
        "process names match, case-insensitively"
    );
    app.handle(Action::Escape);
    assert_eq!(app.visible_len(), 5, "Esc clears the filter");
    for (text, expected) in [
        ("5432", 1),
        ("[::1]:53", 1),
        ("10.0.0.2:443", 1),
        ("www-data", 2),
        ("unconn", 1),
        ("established", 2),
        ("time-wait", 0),
    ] {
        app.filter = text.into();
        app.refilter();
        assert_eq!(app.visible_len(), expected, "filter {text:?}");
    }
    app.filter.clear();
    app.refilter();
    app.handle(Action::ToggleTcp);
    assert_eq!(ports(&app), vec![53]);
    app.handle(Action::ToggleTcp);
    app.handle(Action::ToggleListening);
    assert_eq!(ports(&app), vec![80, 5432, 53]);
    app.handle(Action::ToggleIpv6);
    assert_eq!(ports(&app), vec![80, 5432]);
}

#[test]
fn selection_stays_on_the_same_socket_across_refreshes() {
    let mut app = app_with(base());
    app.handle(Action::Down);
    app.handle(Action::Down);
    assert_eq!(app.selected_row().unwrap().socket.local.port, 5432);
    // New sockets sort in before the selected one.
    let mut more = base();
    more.push(tcp(22, None, SocketState::Listen, 1, 0));
    more.push(tcp(25, None, SocketState::Listen, 1, 0));
    app.apply_snapshot(snap(1001, more), Duration::ZERO);
    assert_eq!(app.selected_row().unwrap().socket.local.port, 5432);
    assert_eq!(app.selected(), 4);
    // A filter that hides it moves the selection; clearing the filter finds it again only if
    // it was not moved by hand, so this just checks it stays in range.
    app.filter = "curl".into();
    app.refilter();
    assert_eq!(app.selected_row().unwrap().socket.local.port, 40000);
    app.handle(Action::End);
    app.handle(Action::Down);
    assert_eq!(app.selected(), app.visible_len() - 1);
}

#[test]
fn new_closed_and_changed_sockets_are_marked() {
    let mut app = app_with(base());
    assert!(
        app.visible().all(|r| r.life == Life::Steady),
        "the first snapshot is not 'new'"
    );
    let mut next = base();
    next.remove(3); // curl's connection closes
    next[1].state = SocketState::CloseWait; // nginx's connection changes state
    next.push(tcp(8080, None, SocketState::Listen, 100, 0)); // a new listener
    app.apply_snapshot(snap(1001, next.clone()), Duration::ZERO);
    // The row of (local port, remote port).
    let row = |app: &App, local: u16, remote: Option<u16>| {
        app.visible()
            .find(|r| {
                r.socket.local.port == local && r.socket.remote.as_ref().map(|e| e.port) == remote
            })
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&app, 8080, None).life, Life::New(NEW_FOR));
    assert_eq!(row(&app, 40000, Some(443)).life, Life::Closed(CLOSED_FOR));
    assert_eq!(row(&app, 80, None).life, Life::Steady);
    let changed = row(&app, 80, Some(50000));
    assert!(changed.is_changed());
    assert_eq!(changed.previous_state, Some(SocketState::Established));
    // Closed rows stay for CLOSED_FOR refreshes, then go; marks fade.
    for i in 0..CLOSED_FOR {
        app.apply_snapshot(snap(1002 + u64::from(i), next.clone()), Duration::ZERO);
    }
    assert!(app.visible().all(|r| r.socket.local.port != 40000));
    assert_eq!(row(&app, 8080, None).life, Life::Steady);
    assert!(!row(&app, 80, Some(50000)).is_changed());
}

#[test]
fn rates_come_from_byte_counters() {
    let mut app = app_with(base());
    let mut later = base();
    later[3].tcp = Some(TcpInfo {
        bytes_acked: Some(5000 + 4096),
        bytes_received: Some(2500 + 2048),
        ..TcpInfo::default()
    });
    app.apply_snapshot(snap(1002, later), Duration::ZERO);
    let row = app
        .visible()
        .find(|r| r.socket.local.port == 40000)
        .unwrap();
    assert_eq!(row.send_rate, Some(2048.0), "4096 bytes over 2 s");
    assert_eq!(row.recv_rate, Some(1024.0));
    assert_eq!(row.history.back(), Some(&3072));
    let listener = app.visible().find(|r| r.socket.local.port == 5432).unwrap();
    assert_eq!(listener.send_rate, None, "listeners have no rate");
    assert_eq!(human_rate(Some(3072.0)), "3.0K");
    assert_eq!(human_rate(Some(12.0)), "12B");
    assert_eq!(human_rate(None), "-");
    // A counter going backwards (a new connection on the same tuple) gives no rate.
    let mut reset = base();
    reset[3].tcp = Some(TcpInfo {
        bytes_acked: Some(10),
        bytes_received: Some(10),
        ..TcpInfo::default()
    });
    app.apply_snapshot(snap(1003, reset), Duration::ZERO);
    let row = app
        .visible()
        .find(|r| r.socket.local.port == 40000)
        .unwrap();
    assert_eq!(row.send_rate, None);
}

#[test]
fn kill_plans_follow_the_rules_of_sockscope_kill() {
    let mut app = app_with(base());
    app.handle(Action::Home);
    app.handle(Action::AskKill);
    let Mode::ConfirmKill(plan) = &app.mode else {
        panic!("{:?}", app.mode)
    };
    assert_eq!(
        plan.targets.iter().map(|t| t.pid).collect::<Vec<_>>(),
        vec![100]
    );
    app.handle(Action::Escape);
    assert_eq!(app.mode, Mode::Normal);
    // UDP 53 is owned by PID 1: never signalled, and the footer says why.
    app.handle(Action::End);
    app.handle(Action::AskKill);
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.message.as_deref().unwrap().contains("PID 1"));
}

#[test]
fn hostile_names_are_escaped_in_rows() {
    let mut s = snap(1000, base());
    s.processes.get_mut(&100).unwrap().name = "\x1b[2Jevil\n".into();
    let mut app = App::new(Duration::from_secs(1));
    app.apply_snapshot(s, Duration::ZERO);
    let row = app.visible().find(|r| r.socket.local.port == 80).unwrap();
    assert_eq!(row.owners[0].name, "\\x1b[2Jevil\\n");
}

#[test]
fn scrolling_keeps_the_selection_on_screen() {
    let many: Vec<Socket> = (1000..1100)
        .map(|p| tcp(p, None, SocketState::Listen, 100, 0))
        .collect();
    let mut app = app_with(many);
    app.scroll_into_view(10);
    for _ in 0..25 {
        app.handle(Action::Down);
    }
    app.scroll_into_view(10);
    assert_eq!(app.selected(), 25);
    assert_eq!(app.offset(), 16);
    app.handle(Action::PageUp);
    app.scroll_into_view(10);
    assert_eq!((app.selected(), app.offset()), (15, 15));
    app.handle(Action::End);
    app.scroll_into_view(10);
    assert_eq!((app.selected(), app.offset()), (99, 90));
}

#[test]
fn a_merge_in_slices_ends_like_a_merge_at_once_and_keys_work_meanwhile() {
    let mut at_once = app_with(base());
    let mut sliced = app_with(base());
    let mut next = base();
    next.remove(3);
    next[1].state = SocketState::CloseWait;
    next.push(tcp(8080, None, SocketState::Listen, 100, 0));
    at_once.apply_snapshot(snap(1001, next.clone()), Duration::ZERO);

    let mut merge = sliced.begin_merge(snap(1001, next), Duration::ZERO);
    assert!(!sliced.merge_step(&mut merge, 2));
    // Mid-merge the view is still whole and keys act on it.
    assert_eq!(sliced.visible_len(), 5);
    sliced.handle(Action::End);
    sliced.handle(Action::FilterChar('x'));
    sliced.handle(Action::Escape);
    while !sliced.merge_step(&mut merge, 2) {}
    sliced.finish_merge(merge);

    let summary = |app: &App| -> Vec<(u16, SocketState, Life, bool)> {
        app.visible()
            .map(|r| (r.socket.local.port, r.socket.state, r.life, r.is_changed()))
            .collect()
    };
    assert_eq!(summary(&sliced), summary(&at_once));
}
