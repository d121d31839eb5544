use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::model::TcpInfo;
use crate::tui::app::{Action, App};
use crate::tui::fixtures::{base, snap};

/// A dashboard after two refreshes: one socket new, one closed, one changed, one with traffic.
fn app() -> App {
    let mut app = App::new(Duration::from_secs(1));
    app.apply_snapshot(snap(1000, base()), Duration::from_millis(4));
    let mut next = base();
    next.remove(3);
    next[1].state = crate::model::SocketState::CloseWait;
    next[1].tcp = Some(TcpInfo {
        bytes_acked: Some(1000 + 300_000),
        bytes_received: Some(500 + 2048),
        ..TcpInfo::default()
    });
    next.push(crate::tui::fixtures::tcp(
        8080,
        None,
        crate::model::SocketState::Listen,
        200,
        0,
    ));
    app.apply_snapshot(snap(1001, next), Duration::from_millis(7));
    app
}

fn render(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    app.scroll_into_view(table_height(height));
    terminal
        .draw(|frame| frame.render_widget(&*app, frame.area()))
        .unwrap();
    terminal
}

#[test]
fn wide_screen() {
    let mut app = app();
    insta::assert_snapshot!(render(&mut app, 130, 14).backend());
}

#[test]
fn narrow_screen_drops_columns_by_priority() {
    let mut app = app();
    let terminal = render(&mut app, 60, 14);
    insta::assert_snapshot!(terminal.backend());
    let text = terminal.backend().to_string();
    assert!(text.contains("LOCAL") && text.contains("STATE") && text.contains("PROCESS"));
    assert!(
        !text.contains("CLASS"),
        "the least needed column gives way first"
    );
}

#[test]
fn details_help_and_kill_panes() {
    let mut app = app();
    app.handle(Action::Down);
    app.handle(Action::Details);
    insta::assert_snapshot!("details", render(&mut app, 100, 24).backend());
    app.handle(Action::Escape);
    app.handle(Action::Help);
    insta::assert_snapshot!("help", render(&mut app, 100, 24).backend());
    app.handle(Action::Escape);
    app.handle(Action::AskKill);
    insta::assert_snapshot!("kill", render(&mut app, 100, 16).backend());
}

#[test]
fn filter_prompt_and_empty_result() {
    let mut app = app();
    app.handle(Action::StartFilter);
    for c in "nothing-matches".chars() {
        app.handle(Action::FilterChar(c));
    }
    let text = render(&mut app, 100, 12).backend().to_string();
    assert!(text.contains("/nothing-matches"));
    assert!(text.contains("no socket matches"));
}

#[test]
fn only_the_visible_rows_are_drawn() {
    let many: Vec<_> = (1000..60000)
        .map(|p| crate::tui::fixtures::tcp(p, None, crate::model::SocketState::Listen, 100, 0))
        .collect();
    let mut app = App::new(Duration::from_secs(1));
    app.apply_snapshot(snap(1000, many), Duration::ZERO);
    app.handle(Action::End);
    let text = render(&mut app, 120, 20).backend().to_string();
    assert!(text.contains(":59999") && !text.contains(":1000 "));
    assert!(text.contains("showing 59000 of 59000"));
}

#[test]
fn hostile_names_never_reach_the_screen_raw() {
    let mut s = snap(1000, base());
    s.processes.get_mut(&100).unwrap().name = "\x1b]52;c;aGk=\x07\u{202e}x".into();
    let mut app = App::new(Duration::from_secs(1));
    app.apply_snapshot(s, Duration::ZERO);
    let text = render(&mut app, 130, 12).backend().to_string();
    assert!(!text.contains('\x1b') && !text.contains('\u{202e}') && !text.contains('\x07'));
    assert!(text.contains("\\x1b]52;c;aGk="));
}
