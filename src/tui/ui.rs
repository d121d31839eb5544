//! Drawing the dashboard. Reads the state, never changes it (`impl Widget for &App`), and draws
//! only the rows that fit on the screen, so 100,000 sockets cost no more to draw than 40.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, Paragraph, Row as TableRow, Sparkline, StatefulWidget, Table,
    TableState, Widget, Wrap,
};

use super::app::{App, Column, Life, Mode, Row, endpoint_text, human_rate};
use super::keys;
use crate::model::SocketState;
use crate::output::table::class_label;

/// Rows the header and footer take.
const HEADER_LINES: u16 = 3;
const FOOTER_LINES: u16 = 2;

/// Height of the table body (without its header line) for a screen of `height` lines.
pub fn table_height(height: u16) -> usize {
    usize::from(height.saturating_sub(HEADER_LINES + FOOTER_LINES + 1))
}

/// Columns in the order they give way on a narrow screen: the last ones here go first.
const KEEP_ORDER: [Column; 10] = [
    Column::Local,
    Column::State,
    Column::Process,
    Column::Pid,
    Column::Remote,
    Column::Send,
    Column::Recv,
    Column::Proto,
    Column::User,
    Column::Class,
];

fn base_width(c: Column) -> u16 {
    match c {
        Column::Proto => 5,
        Column::Local | Column::Remote => 21,
        Column::State => 12,
        Column::Pid => 8,
        Column::Process => 15,
        Column::User => 10,
        Column::Class => 14,
        Column::Send | Column::Recv => 7,
    }
}

/// The columns that fit in `width`, with their widths, in display order. Address columns are
/// as wide as the widest address on screen (up to a full IPv6 address).
fn plan_columns(width: u16, rows: &[&Row]) -> Vec<(Column, u16)> {
    let widest = |f: &dyn Fn(&Row) -> usize| rows.iter().map(|r| f(r)).max().unwrap_or(0);
    let local = widest(&|r| endpoint_text(r.socket.local.addr, r.socket.local.port).len());
    let remote = widest(&|r| {
        r.socket
            .remote
            .as_ref()
            .map_or(3, |e| endpoint_text(e.addr, e.port).len())
    });
    let width_of = |c: Column| -> u16 {
        match c {
            Column::Local => (local as u16).clamp(12, 47),
            Column::Remote => (remote as u16).clamp(12, 47),
            c => base_width(c),
        }
    };
    let mut kept: Vec<Column> = KEEP_ORDER.to_vec();
    loop {
        let total: u16 = kept.iter().map(|&c| width_of(c) + 1).sum();
        if total <= width || kept.len() == 1 {
            break;
        }
        kept.pop();
    }
    Column::ALL
        .iter()
        .filter(|c| kept.contains(c))
        .map(|&c| (c, width_of(c)))
        .collect()
}

fn state_style(state: SocketState) -> Style {
    match state {
        SocketState::Listen | SocketState::Unconnected => Style::new().fg(Color::Green),
        SocketState::Established | SocketState::Connected => Style::new().fg(Color::Cyan),
        SocketState::CloseWait | SocketState::SynSent | SocketState::SynRecv => {
            Style::new().fg(Color::Yellow)
        }
        _ => Style::new().add_modifier(Modifier::DIM),
    }
}

fn cell_text(row: &Row, column: Column) -> String {
    let first = row.owners.first();
    let unknown = if row.owners_known { "-" } else { "?" };
    match column {
        Column::Proto => row.socket.proto.as_str().to_owned(),
        Column::Local => endpoint_text(row.socket.local.addr, row.socket.local.port),
        Column::Remote => row
            .socket
            .remote
            .as_ref()
            .map_or("*:*".to_owned(), |e| endpoint_text(e.addr, e.port)),
        Column::State => row.socket.state.label().to_owned(),
        Column::Pid => match (first, row.owners.len()) {
            (Some(o), 1) => o.pid.to_string(),
            (Some(o), n) => format!("{}+{}", o.pid, n - 1),
            (None, _) => unknown.to_owned(),
        },
        Column::Process => first.map_or(unknown.to_owned(), |o| o.name.clone()),
        Column::User => first.map_or(unknown.to_owned(), |o| o.user.clone()),
        Column::Class => class_label(&row.socket.local).to_owned(),
        Column::Send => human_rate(row.send_rate),
        Column::Recv => human_rate(row.recv_rate),
    }
}

fn header(app: &App, area: Rect, buf: &mut Buffer) {
    let refreshed = app.last_taken.map_or("never".to_owned(), |t| {
        let stamp = crate::output::rfc3339(t);
        format!("{} UTC", stamp.get(11..19).unwrap_or(&stamp))
    });
    let cost = app
        .last_cost
        .map_or(String::new(), |c| format!(" in {} ms", c.as_millis()));
    let mut first = vec![
        Span::from("sockscope top").bold(),
        Span::from(format!(
            " · {} · refreshed {refreshed}{cost} · every {:.1} s",
            crate::sanitize::for_terminal(&app.host),
            app.interval.as_secs_f64()
        )),
    ];
    if app.paused {
        first.push(Span::from(" · PAUSED (space resumes)").yellow().bold());
    }
    let t = &app.totals;
    let mut second = vec![Span::from(format!(
        "sockets {}: tcp {} udp {} │ ",
        t.tcp + t.udp,
        t.tcp,
        t.udp
    ))];
    for (state, n) in &t.tcp_states {
        second.push(Span::styled(state.label(), state_style(*state)));
        second.push(Span::from(format!(" {n}  ")));
    }
    let listening = |c| t.listening.get(&c).copied().unwrap_or(0);
    let on = |b: bool, s: &'static str| {
        if b {
            Span::from(s).bold()
        } else {
            Span::from(s).dim().crossed_out()
        }
    };
    let tg = app.toggles;
    let third = vec![
        Span::from(format!(
            "listening ports: well-known {} registered {} dynamic {} │ showing {} of {} │ sort {} {} │ ",
            listening(crate::ports::PortClass::WellKnown),
            listening(crate::ports::PortClass::Registered),
            listening(crate::ports::PortClass::Dynamic),
            app.visible_len(),
            app.total_len(),
            app.sort.title(),
            if app.descending { "▼" } else { "▲" },
        )),
        on(tg.tcp, "tcp"),
        Span::from(" "),
        on(tg.udp, "udp"),
        Span::from(" "),
        if tg.listening {
            Span::from("listening").bold()
        } else {
            Span::from("all-states")
        },
        Span::from(" "),
        on(tg.ipv4, "v4"),
        Span::from(" "),
        on(tg.ipv6, "v6"),
    ];
    Paragraph::new(vec![
        Line::from(first),
        Line::from(second),
        Line::from(third),
    ])
    .render(area, buf);
}

fn table(app: &App, area: Rect, buf: &mut Buffer) {
    let height = usize::from(area.height.saturating_sub(1));
    let rows: Vec<&Row> = app.visible().skip(app.offset()).take(height).collect();
    // One character of marker, then the columns that fit in the rest.
    let columns = plan_columns(area.width.saturating_sub(2), &rows);
    let head = TableRow::new(std::iter::once(Cell::from(" ")).chain(columns.iter().map(
        |(c, _)| {
            let title = if *c == app.sort {
                format!("{}{}", c.title(), if app.descending { "▼" } else { "▲" })
            } else {
                c.title().to_owned()
            };
            Cell::from(title)
        },
    )))
    .style(Style::new().bold().add_modifier(Modifier::UNDERLINED));
    let body = rows.iter().map(|row| {
        let style = match row.life {
            Life::New(_) => Style::new().fg(Color::Green).bold(),
            Life::Closed(_) => Style::new().fg(Color::Red),
            Life::Steady => Style::new(),
        };
        // The marker says in text what the colour says: new, closed, state changed.
        let marker = match row.life {
            Life::New(_) => "+",
            Life::Closed(_) => "×",
            Life::Steady if row.is_changed() => "*",
            Life::Steady => " ",
        };
        TableRow::new(
            std::iter::once(Cell::from(marker)).chain(columns.iter().map(|(c, _)| {
                let text = cell_text(row, *c);
                let cell = Cell::from(text);
                if *c == Column::State && !matches!(row.life, Life::New(_) | Life::Closed(_)) {
                    let st = if row.is_changed() {
                        Style::new().fg(Color::Yellow).bold()
                    } else {
                        state_style(row.socket.state)
                    };
                    cell.style(st)
                } else {
                    cell
                }
            })),
        )
        .style(style)
    });
    let widths = std::iter::once(Constraint::Length(1))
        .chain(columns.iter().map(|(_, w)| Constraint::Length(*w)));
    let mut state = TableState::default();
    if !rows.is_empty() {
        state.select(Some(app.selected().saturating_sub(app.offset())));
    }
    let table = Table::new(body, widths)
        .header(head)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    StatefulWidget::render(table, area, buf, &mut state);
    if app.visible_len() == 0 {
        let text = if app.total_len() == 0 {
            "waiting for the first snapshot…"
        } else {
            "no socket matches the filter and toggles (Esc clears the filter)"
        };
        let y = area.y + 1;
        if y < area.bottom() {
            Paragraph::new(text)
                .dim()
                .render(Rect::new(area.x, y, area.width, 1), buf);
        }
    }
}

fn footer(app: &App, area: Rect, buf: &mut Buffer) {
    let status: Line = if app.mode == Mode::Filter {
        Line::from(vec![
            Span::from("/").bold(),
            Span::from(crate::sanitize::for_terminal(&app.filter).into_owned()),
            Span::from("▏").slow_blink(),
            Span::from("  (Enter keeps, Esc clears)").dim(),
        ])
    } else if let Some(msg) = &app.message {
        Line::from(Span::from(msg.clone()).yellow())
    } else if let Some(w) = app.warnings.first() {
        Line::from(Span::from(format!("warning: {w}")).yellow())
    } else if !app.filter.is_empty() {
        Line::from(format!(
            "filter: /{}",
            crate::sanitize::for_terminal(&app.filter)
        ))
    } else {
        Line::from("")
    };
    Paragraph::new(vec![status, Line::from(Span::from(keys::FOOTER).dim())]).render(area, buf);
}

/// A rectangle of at most `w` × `h` in the middle of `area`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn help(area: Rect, buf: &mut Buffer) {
    let lines: Vec<Line> = keys::HELP
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::from(format!("{k:>15}  ")).bold(),
                Span::from(*what),
            ])
        })
        .collect();
    let rect = centered(area, 72, lines.len() as u16 + 2);
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" keys (Esc closes) "),
        )
        .render(rect, buf);
}

fn details(row: &Row, area: Rect, buf: &mut Buffer) {
    let s = &row.socket;
    let mut lines = vec![
        Line::from(format!(
            "{} {} {}{}",
            s.proto.as_str(),
            match s.family {
                crate::model::Family::Ipv4 => "IPv4",
                crate::model::Family::Ipv6 => "IPv6",
            },
            s.state.label(),
            row.previous_state
                .filter(|_| row.is_changed())
                .map_or(String::new(), |p| format!(" (was {})", p.label()))
        )),
        Line::from(format!(
            "local  {}  {}{}  service {}",
            endpoint_text(s.local.addr, s.local.port),
            s.local.class.name(),
            if s.local.ephemeral { " ephemeral" } else { "" },
            s.local.service.as_deref().unwrap_or("-")
        )),
        Line::from(format!(
            "remote {}",
            s.remote
                .as_ref()
                .map_or("*:*".to_owned(), |e| endpoint_text(e.addr, e.port))
        )),
        Line::from(format!(
            "inode {}  socket uid {}",
            s.inode.map_or("-".into(), |i| i.to_string()),
            s.uid.map_or("-".into(), |u| u.to_string())
        )),
    ];
    if row.owners.is_empty() {
        lines.push(Line::from(if row.owners_known {
            "owners: none (no process holds this socket)"
        } else {
            "owners: unknown (hidden by permissions, or not scanned yet)"
        }));
    }
    for o in &row.owners {
        lines.push(Line::from(vec![
            Span::from(format!("owner {} ", o.pid)).bold(),
            Span::from(format!(
                "{}  user {} (uid {})",
                o.name,
                o.user,
                o.uid.map_or("-".into(), |u| u.to_string())
            )),
        ]));
        lines.push(Line::from(format!("  {}", o.cmdline)));
    }
    if let Some(t) = &s.tcp {
        let n = |v: Option<u32>| v.map_or("-".into(), |v| v.to_string());
        let b = |v: Option<u64>| v.map_or("-".into(), |v| v.to_string());
        let rtt = match (t.rtt_us, t.rttvar_us) {
            (Some(r), Some(v)) => format!("{r} µs ±{v}"),
            (Some(r), None) => format!("{r} µs"),
            _ => "-".to_owned(),
        };
        lines.push(Line::from(format!(
            "rtt {rtt}  cwnd {}  retransmits {} (total {})  cc {}",
            n(t.cwnd),
            n(t.retransmits),
            n(t.total_retransmits),
            t.congestion
                .as_deref()
                .map_or("-".into(), |c| crate::sanitize::for_terminal(c)
                    .into_owned())
        )));
        lines.push(Line::from(format!(
            "bytes sent {}  acked {}  received {}  queues recv {} send {}",
            b(t.bytes_sent),
            b(t.bytes_acked),
            b(t.bytes_received),
            n(t.recv_queue),
            n(t.send_queue)
        )));
        lines.push(Line::from(format!(
            "rate send {}/s  recv {}/s",
            human_rate(row.send_rate),
            human_rate(row.recv_rate)
        )));
    }
    let height = lines.len() as u16 + 2 + 4;
    let rect = centered(area, area.width.saturating_sub(4).max(20), height);
    Clear.render(rect, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" socket details (Esc closes) ");
    let inner = block.inner(rect);
    block.render(rect, buf);
    let [text, spark] = Layout::vertical([Constraint::Min(1), Constraint::Length(4)]).areas(inner);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(text, buf);
    let data: Vec<u64> = row.history.iter().copied().collect();
    Sparkline::default()
        .block(Block::default().title("throughput, last minute"))
        .data(&data)
        .style(Style::new().fg(Color::Cyan))
        .render(spark, buf);
}

fn confirm_kill(plan: &crate::kill::Plan, area: Rect, buf: &mut Buffer) {
    let mut lines = vec![Line::from("Send SIGTERM to:").bold()];
    for t in &plan.targets {
        lines.push(Line::from(format!(
            "  {}  {}  (user {})  {}",
            t.pid,
            t.name,
            t.user,
            t.sockets.join(", ")
        )));
    }
    for (t, why) in &plan.refused {
        lines.push(Line::from(format!("  not {} ({}): {why}", t.pid, t.name)).dim());
    }
    lines.push(Line::from(""));
    lines.push(Line::from("y: send   n / Esc: cancel").bold());
    let rect = centered(
        area,
        area.width.saturating_sub(4).max(20),
        lines.len() as u16 + 2,
    );
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" kill ")
                .border_style(Style::new().fg(Color::Red)),
        )
        .render(rect, buf);
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Length(HEADER_LINES),
            Constraint::Min(1),
            Constraint::Length(FOOTER_LINES),
        ])
        .areas(area);
        header(self, top, buf);
        table(self, middle, buf);
        footer(self, bottom, buf);
        match &self.mode {
            Mode::Help => help(area, buf),
            Mode::Details => {
                if let Some(row) = self.selected_row() {
                    details(row, area, buf);
                }
            }
            Mode::ConfirmKill(plan) => confirm_kill(plan, area, buf),
            Mode::Normal | Mode::Filter => {}
        }
    }
}

#[cfg(test)]
mod tests;
