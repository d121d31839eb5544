//! The dashboard's state and everything that changes it. No terminal, no I/O: snapshots and
//! actions go in, and the renderer reads the result, so all of it is tested without a screen.
//!
//! Rows are keyed by the socket's identity (protocol, both ends, and for sockets without a
//! remote end the inode, since SO_REUSEPORT listeners share an address), so the selection,
//! the new/closed/changed marks and the throughput history follow a socket across refreshes.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::filter::Filter;
use crate::kill::{self, Plan};
use crate::model::{Family, Process, Proto, Snapshot, Socket, SocketState};

pub use super::action::{Action, Column};
use super::rows::rates;
pub use super::rows::{Life, Owner, Row, SocketKey, endpoint_text, human_rate};
use crate::ports::PortClass;
use crate::sanitize;

/// How many refreshes a new socket stays highlighted.
pub const NEW_FOR: u32 = 3;
/// How many refreshes a closed socket stays visible.
pub const CLOSED_FOR: u32 = 3;
/// How many refreshes a state change stays marked.
pub const CHANGED_FOR: u32 = 3;
/// Throughput samples kept per socket (for the details sparkline).
pub const HISTORY: usize = 60;

/// What the keyboard is talking to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Moving around the table.
    Normal,
    /// Typing a `/` filter.
    Filter,
    /// The `?` help overlay.
    Help,
    /// The details pane of the selected socket.
    Details,
    /// Asking whether to signal the owners of the selected socket.
    ConfirmKill(Plan),
}

/// The `t` `u` `l` `4` `6` switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toggles {
    /// Show TCP.
    pub tcp: bool,
    /// Show UDP.
    pub udp: bool,
    /// Only listeners and unconnected UDP.
    pub listening: bool,
    /// Show IPv4.
    pub ipv4: bool,
    /// Show IPv6.
    pub ipv6: bool,
}

impl Default for Toggles {
    fn default() -> Self {
        Toggles {
            tcp: true,
            udp: true,
            listening: false,
            ipv4: true,
            ipv6: true,
        }
    }
}

/// The header's totals, over the sockets of the last snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// TCP sockets.
    pub tcp: usize,
    /// UDP sockets.
    pub udp: usize,
    /// TCP sockets per state, in state order.
    pub tcp_states: BTreeMap<SocketState, usize>,
    /// Distinct listening ports per class.
    pub listening: BTreeMap<PortClass, usize>,
}

/// A snapshot being merged into the rows, a slice at a time.
#[derive(Debug)]
pub struct Merge {
    sockets: std::vec::IntoIter<Socket>,
    views: HashMap<u32, Arc<Owner>>,
    seen: Vec<bool>,
    added: Vec<Row>,
    elapsed: Option<f64>,
    taken_at: SystemTime,
    host: String,
    processes: BTreeMap<u32, Process>,
    warnings: Vec<crate::model::Warning>,
    cost: Duration,
}

/// The whole dashboard state.
#[derive(Debug)]
pub struct App {
    rows: Vec<Row>,
    index: HashMap<SocketKey, usize>,
    /// Every row index, sorted; `view` is this, filtered.
    sorted: Vec<usize>,
    view: Vec<usize>,
    selected: usize,
    selected_key: Option<SocketKey>,
    offset: usize,
    page: usize,
    /// Sort column.
    pub sort: Column,
    /// Sort descending.
    pub descending: bool,
    /// The `/` filter text.
    pub filter: String,
    /// Keyboard mode.
    pub mode: Mode,
    /// The switches.
    pub toggles: Toggles,
    /// Refreshing paused.
    pub paused: bool,
    /// Refresh interval.
    pub interval: Duration,
    /// When the last snapshot was taken.
    pub last_taken: Option<SystemTime>,
    /// How long the last snapshot took.
    pub last_cost: Option<Duration>,
    /// Host name.
    pub host: String,
    /// Warnings of the last snapshot.
    pub warnings: Vec<String>,
    /// A message for the footer (kill results, errors).
    pub message: Option<String>,
    /// Totals for the header.
    pub totals: Totals,
    /// Process details of the last snapshot, for `kill`.
    processes: BTreeMap<u32, Process>,
    /// Set when the user asked to quit.
    pub quit: bool,
}

impl App {
    /// An empty dashboard refreshing every `interval`.
    pub fn new(interval: Duration) -> App {
        App {
            rows: Vec::new(),
            index: HashMap::new(),
            sorted: Vec::new(),
            view: Vec::new(),
            selected: 0,
            selected_key: None,
            offset: 0,
            page: 20,
            sort: Column::Local,
            descending: false,
            filter: String::new(),
            mode: Mode::Normal,
            toggles: Toggles::default(),
            paused: false,
            interval,
            last_taken: None,
            last_cost: None,
            host: String::new(),
            warnings: Vec::new(),
            message: None,
            totals: Totals::default(),
            processes: BTreeMap::new(),
            quit: false,
        }
    }

    /// The rows that pass the toggles and the filter, in display order.
    pub fn visible(&self) -> impl ExactSizeIterator<Item = &Row> + '_ {
        self.view.iter().map(|&i| &self.rows[i])
    }

    /// How many rows pass the toggles and the filter.
    pub fn visible_len(&self) -> usize {
        self.view.len()
    }

    /// How many rows there are in all (closed ones included).
    pub fn total_len(&self) -> usize {
        self.rows.len()
    }

    /// Position of the selection in the visible rows.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&Row> {
        self.view.get(self.selected).map(|&i| &self.rows[i])
    }

    /// The first visible row shown, after [`App::scroll_into_view`].
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Keeps the selection inside a window of `height` rows and remembers the page size.
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        self.page = height;
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.view.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }

    /// The owner views of every process in `snap`, built once per snapshot and shared by all of
    /// that process's sockets (a busy server has 100,000 sockets and a hundred processes).
    fn owner_views(snap: &Snapshot) -> HashMap<u32, Arc<Owner>> {
        snap.processes
            .iter()
            .map(|(&pid, p)| {
                let owner = Owner {
                    pid,
                    name: sanitize::for_terminal(&p.name).into_owned(),
                    user: match (&p.user, p.uid) {
                        (Some(u), _) => sanitize::for_terminal(u).into_owned(),
                        (None, Some(uid)) => uid.to_string(),
                        (None, None) => "-".into(),
                    },
                    uid: p.uid,
                    cmdline: sanitize::cmdline_for_terminal(&p.cmdline),
                };
                (pid, Arc::new(owner))
            })
            .collect()
    }

    fn owners_of(views: &HashMap<u32, Arc<Owner>>, s: &Socket) -> Vec<Arc<Owner>> {
        s.owners
            .iter()
            .flatten()
            .map(|&pid| {
                views.get(&pid).cloned().unwrap_or_else(|| {
                    // The process exited before its details were read.
                    Arc::new(Owner {
                        pid,
                        name: "-".into(),
                        user: "-".into(),
                        uid: None,
                        cmdline: String::new(),
                    })
                })
            })
            .collect()
    }

    /// Merges a new snapshot at once: marks new, closed and changed sockets, computes rates,
    /// keeps the selection on the same socket. `cost` is how long the snapshot took.
    pub fn apply_snapshot(&mut self, snap: Snapshot, cost: Duration) {
        let mut merge = self.begin_merge(snap, cost);
        while !self.merge_step(&mut merge, usize::MAX) {}
        self.finish_merge(merge);
    }

    /// Starts merging `snap`. The merge is done in steps ([`App::merge_step`]) so the user
    /// interface can handle keys between them; rows are only added and removed at the end
    /// ([`App::finish_merge`]), so the view stays consistent meanwhile.
    pub fn begin_merge(&mut self, snap: Snapshot, cost: Duration) -> Merge {
        let elapsed = self
            .last_taken
            .and_then(|prev| snap.taken_at.duration_since(prev).ok())
            .map(|d| d.as_secs_f64())
            .filter(|s| *s > 0.0);
        self.totals = totals(&snap.sockets);
        Merge {
            views: Self::owner_views(&snap),
            sockets: snap.sockets.into_iter(),
            seen: vec![false; self.rows.len()],
            added: Vec::new(),
            elapsed,
            taken_at: snap.taken_at,
            host: snap.host,
            processes: snap.processes,
            warnings: snap.warnings,
            cost,
        }
    }

    /// Merges up to `limit` more sockets; true when every socket is merged.
    pub fn merge_step(&mut self, m: &mut Merge, limit: usize) -> bool {
        for socket in m.sockets.by_ref().take(limit) {
            let key = SocketKey::of(&socket);
            let owners_known = socket.owners.is_some();
            match self.index.get(&key).copied() {
                Some(i) => {
                    m.seen[i] = true;
                    let row = &mut self.rows[i];
                    // Most sockets keep their owners: reuse the list rather than rebuild it.
                    let pids = socket.owners.as_deref().unwrap_or(&[]);
                    let same_owners = row.owners.len() == pids.len()
                        && row.owners.iter().zip(pids).all(|(o, p)| o.pid == *p)
                        && row.owners.iter().all(|o| {
                            m.views
                                .get(&o.pid)
                                .is_none_or(|v| Arc::ptr_eq(v, o) || **v == **o)
                        });
                    let owners = if same_owners {
                        std::mem::take(&mut row.owners)
                    } else {
                        Self::owners_of(&m.views, &socket)
                    };
                    let (send, recv) = rates(&row.socket, &socket, m.elapsed);
                    row.send_rate = send;
                    row.recv_rate = recv;
                    let total = send.unwrap_or(0.0) + recv.unwrap_or(0.0);
                    if total > 0.0 || !row.history.is_empty() {
                        if row.history.len() == HISTORY {
                            row.history.pop_front();
                        }
                        row.history.push_back(total as u64);
                    }
                    row.life = match row.life {
                        Life::New(n) if n > 1 => Life::New(n - 1),
                        Life::Closed(_) => Life::New(NEW_FOR),
                        _ => Life::Steady,
                    };
                    if row.socket.state != socket.state {
                        row.previous_state = Some(row.socket.state);
                        row.changed = CHANGED_FOR;
                    } else {
                        row.changed = row.changed.saturating_sub(1);
                    }
                    if row.socket.state != socket.state || !same_owners {
                        row.search = Row::search_text(&socket, &owners);
                    }
                    row.socket = socket;
                    row.owners = owners;
                    row.owners_known = owners_known;
                }
                None => {
                    let owners = Self::owners_of(&m.views, &socket);
                    m.added.push(Row {
                        search: Row::search_text(&socket, &owners),
                        key,
                        socket,
                        owners,
                        owners_known,
                        life: if self.last_taken.is_some() {
                            Life::New(NEW_FOR)
                        } else {
                            Life::Steady
                        },
                        changed: 0,
                        previous_state: None,
                        send_rate: None,
                        recv_rate: None,
                        history: VecDeque::new(),
                    });
                }
            }
        }
        m.sockets.len() == 0
    }

    /// Ends a merge: closes the sockets that were not seen, adds the new ones, re-sorts.
    pub fn finish_merge(&mut self, m: Merge) {
        // Sockets missing from this snapshot close, stay a while, then go. Rows are kept in
        // place, so when none goes the index stays valid and only new rows are added to it.
        let mut seen = m.seen.into_iter();
        let before = self.rows.len();
        self.rows.retain_mut(|row| {
            if seen.next().unwrap_or(true) {
                return true;
            }
            row.send_rate = None;
            row.recv_rate = None;
            match row.life {
                Life::Closed(n) if n <= 1 => false,
                Life::Closed(n) => {
                    row.life = Life::Closed(n - 1);
                    true
                }
                _ => {
                    row.life = Life::Closed(CLOSED_FOR);
                    true
                }
            }
        });
        let removed = self.rows.len() != before;
        let first_new = self.rows.len();
        self.rows.extend(m.added);
        if removed {
            self.index = self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| (r.key.clone(), i))
                .collect();
        } else {
            for (i, row) in self.rows.iter().enumerate().skip(first_new) {
                self.index.insert(row.key.clone(), i);
            }
        }
        self.warnings = m.warnings.iter().map(ToString::to_string).collect();
        self.host = m.host;
        self.processes = m.processes;
        self.last_taken = Some(m.taken_at);
        self.last_cost = Some(m.cost);
        self.resort();
    }

    fn compare(&self, a: &Row, b: &Row) -> Ordering {
        fn first(r: &Row) -> Option<&Owner> {
            r.owners.first().map(|o| &**o)
        }
        let by = match self.sort {
            Column::Proto => a.socket.proto.cmp(&b.socket.proto),
            Column::Local => (a.socket.local.addr, a.socket.local.port)
                .cmp(&(b.socket.local.addr, b.socket.local.port)),
            Column::Remote => a.key.remote.cmp(&b.key.remote),
            Column::State => a.socket.state.cmp(&b.socket.state),
            Column::Pid => first(a).map(|o| o.pid).cmp(&first(b).map(|o| o.pid)),
            Column::Process => first(a)
                .map(|o| o.name.as_str())
                .cmp(&first(b).map(|o| o.name.as_str())),
            Column::User => first(a)
                .map(|o| o.user.as_str())
                .cmp(&first(b).map(|o| o.user.as_str())),
            Column::Class => a.socket.local.class.cmp(&b.socket.local.class),
            Column::Send => cmp_rate(a.send_rate, b.send_rate),
            Column::Recv => cmp_rate(a.recv_rate, b.recv_rate),
        };
        let by = if self.descending { by.reverse() } else { by };
        by.then_with(|| {
            (a.socket.proto, a.socket.local.port, a.socket.local.addr).cmp(&(
                b.socket.proto,
                b.socket.local.port,
                b.socket.local.addr,
            ))
        })
        .then_with(|| a.key.remote.cmp(&b.key.remote))
        .then_with(|| a.key.inode.cmp(&b.key.inode))
    }

    /// Sorts every row, then filters.
    fn resort(&mut self) {
        let mut sorted: Vec<usize> = (0..self.rows.len()).collect();
        sorted.sort_by(|&a, &b| self.compare(&self.rows[a], &self.rows[b]));
        self.sorted = sorted;
        self.refilter();
    }

    /// Whether `row` passes the toggles and the filter; `needle` is the filter in lower case.
    fn passes(&self, row: &Row, needle: &str) -> bool {
        let t = self.toggles;
        let s = &row.socket;
        let proto = match s.proto {
            Proto::Tcp => t.tcp,
            Proto::Udp => t.udp,
        };
        let family = match s.family {
            Family::Ipv4 => t.ipv4,
            Family::Ipv6 => t.ipv6,
        };
        proto
            && family
            && (!t.listening || s.state.is_listening())
            && (self.filter.is_empty() || row.search.contains(needle))
    }

    /// Filters the sorted rows, keeping the selection on the same socket when it is still shown.
    fn refilter(&mut self) {
        let needle = self.filter.to_lowercase();
        let view: Vec<usize> = self
            .sorted
            .iter()
            .copied()
            .filter(|&i| self.passes(&self.rows[i], &needle))
            .collect();
        self.view = view;
        if let Some(key) = &self.selected_key
            && let Some(pos) = self.view.iter().position(|&i| &self.rows[i].key == key)
        {
            self.selected = pos;
            return;
        }
        self.selected = self.selected.min(self.view.len().saturating_sub(1));
        self.remember_selection();
    }

    fn remember_selection(&mut self) {
        self.selected_key = self
            .view
            .get(self.selected)
            .map(|&i| self.rows[i].key.clone());
    }

    fn move_to(&mut self, pos: usize) {
        self.selected = pos.min(self.view.len().saturating_sub(1));
        self.remember_selection();
    }

    /// Applies a user action.
    pub fn handle(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::Up => self.move_to(self.selected.saturating_sub(1)),
            Action::Down => self.move_to(self.selected + 1),
            Action::PageUp => self.move_to(self.selected.saturating_sub(self.page)),
            Action::PageDown => self.move_to(self.selected + self.page),
            Action::Home => self.move_to(0),
            Action::End => self.move_to(usize::MAX),
            Action::NextSort => {
                self.sort = self.sort.next();
                self.resort();
            }
            Action::FlipSort => {
                self.descending = !self.descending;
                self.resort();
            }
            Action::SortBy(column) => {
                if self.sort == column {
                    self.descending = !self.descending;
                } else {
                    self.sort = column;
                    self.descending = false;
                }
                self.resort();
            }
            Action::StartFilter => self.mode = Mode::Filter,
            Action::FilterChar(c) => {
                self.filter.push(c);
                self.refilter();
            }
            Action::FilterBackspace => {
                self.filter.pop();
                self.refilter();
            }
            Action::FilterDone => self.mode = Mode::Normal,
            Action::Escape => {
                if self.mode == Mode::Normal || self.mode == Mode::Filter {
                    self.filter.clear();
                    self.refilter();
                }
                self.mode = Mode::Normal;
            }
            Action::ToggleTcp => self.toggle(|t| t.tcp = !t.tcp),
            Action::ToggleUdp => self.toggle(|t| t.udp = !t.udp),
            Action::ToggleListening => self.toggle(|t| t.listening = !t.listening),
            Action::ToggleIpv4 => self.toggle(|t| t.ipv4 = !t.ipv4),
            Action::ToggleIpv6 => self.toggle(|t| t.ipv6 = !t.ipv6),
            Action::Details => {
                if self.selected_row().is_some() {
                    self.mode = Mode::Details;
                }
            }
            Action::AskKill => self.ask_kill(),
            Action::ConfirmKill => {} // carried out by the caller, which owns the signaller
            Action::Pause => self.paused = !self.paused,
            Action::Help => {
                self.mode = if self.mode == Mode::Help {
                    Mode::Normal
                } else {
                    Mode::Help
                }
            }
        }
    }

    fn toggle(&mut self, f: impl FnOnce(&mut Toggles)) {
        f(&mut self.toggles);
        self.refilter();
    }

    /// Plans signalling the owners of the selected socket, with the rules of `sockscope kill`.
    fn ask_kill(&mut self) {
        let Some(row) = self.selected_row() else {
            return;
        };
        let snap = Snapshot {
            taken_at: self.last_taken.unwrap_or(SystemTime::UNIX_EPOCH),
            host: self.host.clone(),
            sockets: vec![row.socket.clone()],
            processes: self.processes.clone(),
            warnings: Vec::new(),
        };
        let plan = kill::plan(
            &snap,
            &Filter::default(),
            std::process::id(),
            kill::parent_pid(),
        );
        if plan.targets.is_empty() {
            self.message = Some(match (plan.refused.first(), plan.hidden) {
                (Some((t, why)), _) => format!("not signalling PID {} ({}): {why}", t.pid, t.name),
                (None, n) if n > 0 => {
                    "the owner of this socket is hidden: run as root to signal it".to_owned()
                }
                _ => "no process owns this socket".to_owned(),
            });
            return;
        }
        self.mode = Mode::ConfirmKill(plan);
    }
}

fn cmp_rate(a: Option<f64>, b: Option<f64>) -> Ordering {
    a.unwrap_or(-1.0).total_cmp(&b.unwrap_or(-1.0))
}

fn totals(sockets: &[Socket]) -> Totals {
    let mut t = Totals::default();
    let mut listening: std::collections::HashSet<(Proto, u16)> = Default::default();
    for s in sockets {
        match s.proto {
            Proto::Tcp => {
                t.tcp += 1;
                *t.tcp_states.entry(s.state).or_default() += 1;
            }
            Proto::Udp => t.udp += 1,
        }
        if s.state.is_listening() && listening.insert((s.proto, s.local.port)) {
            *t.listening.entry(s.local.class).or_default() += 1;
        }
    }
    t
}

#[cfg(test)]
mod tests;
