//! What the user can ask of the dashboard, and the columns it can sort by. [`super::keys`] turns
//! keys into these; [`super::app::App::handle`] carries them out.

/// The columns of the socket table, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// tcp/udp.
    Proto,
    /// Local address:port.
    Local,
    /// Remote address:port.
    Remote,
    /// State.
    State,
    /// First owner's PID.
    Pid,
    /// First owner's name.
    Process,
    /// First owner's user.
    User,
    /// Local port class.
    Class,
    /// Send rate.
    Send,
    /// Receive rate.
    Recv,
}

impl Column {
    /// Every column, in display order (F1 … F10 pick them for sorting).
    pub const ALL: [Column; 10] = [
        Column::Proto,
        Column::Local,
        Column::Remote,
        Column::State,
        Column::Pid,
        Column::Process,
        Column::User,
        Column::Class,
        Column::Send,
        Column::Recv,
    ];

    /// Header text.
    pub fn title(self) -> &'static str {
        match self {
            Column::Proto => "PROTO",
            Column::Local => "LOCAL",
            Column::Remote => "REMOTE",
            Column::State => "STATE",
            Column::Pid => "PID",
            Column::Process => "PROCESS",
            Column::User => "USER",
            Column::Class => "CLASS",
            Column::Send => "SEND/s",
            Column::Recv => "RECV/s",
        }
    }

    /// The column after this one, wrapping around.
    pub fn next(self) -> Column {
        let i = Column::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Column::ALL[(i + 1) % Column::ALL.len()]
    }
}

/// Something the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Leave.
    Quit,
    /// Move the selection up one row.
    Up,
    /// Down one row.
    Down,
    /// Up one page.
    PageUp,
    /// Down one page.
    PageDown,
    /// To the first row.
    Home,
    /// To the last row.
    End,
    /// Sort by the next column.
    NextSort,
    /// Flip the sort order.
    FlipSort,
    /// Sort by this column.
    SortBy(Column),
    /// Start typing a filter.
    StartFilter,
    /// A character of the filter.
    FilterChar(char),
    /// Delete the last filter character.
    FilterBackspace,
    /// Stop typing, keep the filter.
    FilterDone,
    /// Clear the filter (and close overlays).
    Escape,
    /// Toggle TCP.
    ToggleTcp,
    /// Toggle UDP.
    ToggleUdp,
    /// Toggle listening-only.
    ToggleListening,
    /// Toggle IPv4.
    ToggleIpv4,
    /// Toggle IPv6.
    ToggleIpv6,
    /// Open the details pane.
    Details,
    /// Ask to signal the selected socket's owners.
    AskKill,
    /// Yes, signal them.
    ConfirmKill,
    /// Pause or resume refreshing.
    Pause,
    /// Show or hide the help overlay.
    Help,
}
