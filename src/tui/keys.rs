//! Key → action, per mode. Nothing else decides what a key means.
//!
//! Two choices where the wish list collides: `k` moves up (as in vi and `j`), so killing is on
//! `K` (shifted, which suits a destructive action) and `Delete`; and `4`/`6` toggle the address
//! families, so sorting by a column's number is on `F1`…`F10`.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{Action, Column, Mode};

/// The action for `key` in `mode`, if any.
pub fn action(mode: &Mode, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c')) {
        return Some(Action::Quit);
    }
    match mode {
        Mode::Filter => match key.code {
            KeyCode::Esc => Some(Action::Escape),
            KeyCode::Enter => Some(Action::FilterDone),
            KeyCode::Backspace => Some(Action::FilterBackspace),
            KeyCode::Up => Some(Action::Up),
            KeyCode::Down => Some(Action::Down),
            KeyCode::Char(c) if !ctrl => Some(Action::FilterChar(c)),
            _ => None,
        },
        Mode::ConfirmKill(_) => match key.code {
            KeyCode::Char('y' | 'Y') => Some(Action::ConfirmKill),
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => Some(Action::Escape),
            _ => None,
        },
        Mode::Help | Mode::Details => match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?') => Some(Action::Escape),
            KeyCode::Char('q') => Some(Action::Quit),
            _ => None,
        },
        Mode::Normal => match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::Up),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::Down),
            KeyCode::PageUp => Some(Action::PageUp),
            KeyCode::PageDown => Some(Action::PageDown),
            KeyCode::Home | KeyCode::Char('g') => Some(Action::Home),
            KeyCode::End | KeyCode::Char('G') => Some(Action::End),
            KeyCode::Char('s') => Some(Action::NextSort),
            KeyCode::Char('S') => Some(Action::FlipSort),
            KeyCode::F(n @ 1..=10) => Some(Action::SortBy(Column::ALL[usize::from(n) - 1])),
            KeyCode::Char('/') => Some(Action::StartFilter),
            KeyCode::Esc => Some(Action::Escape),
            KeyCode::Char('t') => Some(Action::ToggleTcp),
            KeyCode::Char('u') => Some(Action::ToggleUdp),
            KeyCode::Char('l') => Some(Action::ToggleListening),
            KeyCode::Char('4') => Some(Action::ToggleIpv4),
            KeyCode::Char('6') => Some(Action::ToggleIpv6),
            KeyCode::Enter => Some(Action::Details),
            KeyCode::Char('K') | KeyCode::Delete => Some(Action::AskKill),
            KeyCode::Char(' ') => Some(Action::Pause),
            KeyCode::Char('?') => Some(Action::Help),
            _ => None,
        },
    }
}

/// The footer's short list of keys.
pub const FOOTER: &str = "q quit  ↑↓/jk move  / filter  s/S sort  t u l 4 6 toggle  Enter details  K kill  space pause  ? help";

/// The help overlay's lines: key, what it does.
pub const HELP: &[(&str, &str)] = &[
    ("↑ ↓  j k", "move the selection"),
    ("PgUp PgDn", "move a page"),
    ("Home End  g G", "first / last row"),
    ("s", "sort by the next column"),
    ("S", "flip the sort order"),
    ("F1 … F10", "sort by column 1 … 10 (again: flip)"),
    ("/", "filter: address, port, process, user, state"),
    ("Esc", "clear the filter, close a pane"),
    ("t u", "show / hide TCP, UDP"),
    ("l", "listening sockets only"),
    ("4 6", "show / hide IPv4, IPv6"),
    ("Enter", "details: owners, command line, TCP internals"),
    (
        "K  Delete",
        "signal the selected socket's owners (asks first)",
    ),
    ("space", "pause / resume refreshing"),
    ("?", "this help"),
    ("marks", "+ new   × closed   * state changed"),
    (
        "? owner",
        "not known yet (new, scanned within 2 s) or hidden (see warning)",
    ),
    ("q  Ctrl-C", "quit"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEvent;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn normal_mode() {
        let m = Mode::Normal;
        assert_eq!(action(&m, key(KeyCode::Char('k'))), Some(Action::Up));
        assert_eq!(action(&m, key(KeyCode::Char('K'))), Some(Action::AskKill));
        assert_eq!(
            action(&m, key(KeyCode::Char('4'))),
            Some(Action::ToggleIpv4)
        );
        assert_eq!(
            action(&m, key(KeyCode::F(9))),
            Some(Action::SortBy(Column::Send))
        );
        assert_eq!(
            action(&m, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn filter_mode_types_letters_that_are_commands_elsewhere() {
        let m = Mode::Filter;
        assert_eq!(
            action(&m, key(KeyCode::Char('q'))),
            Some(Action::FilterChar('q'))
        );
        assert_eq!(
            action(&m, key(KeyCode::Char('K'))),
            Some(Action::FilterChar('K'))
        );
        assert_eq!(action(&m, key(KeyCode::Esc)), Some(Action::Escape));
        assert_eq!(action(&m, key(KeyCode::Enter)), Some(Action::FilterDone));
    }

    #[test]
    fn kill_confirmation_needs_y() {
        let m = Mode::ConfirmKill(Default::default());
        assert_eq!(
            action(&m, key(KeyCode::Char('y'))),
            Some(Action::ConfirmKill)
        );
        assert_eq!(action(&m, key(KeyCode::Char('n'))), Some(Action::Escape));
        assert_eq!(
            action(&m, key(KeyCode::Enter)),
            None,
            "Enter does not confirm"
        );
    }
}
