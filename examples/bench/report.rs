//! Turning samples into the printed report: medians, ratios against the targets, PASS/FAIL.
//!
//! The report is rendered to a String (plain aligned text, or Markdown tables with `--markdown`)
//! and written to stdout in one go by the caller.

use crate::measure::{self, Outcome, Sample};

/// Appends one formatted line to a String.
macro_rules! out {
    ($o:expr, $($arg:tt)*) => {{
        $o.push_str(&format!($($arg)*));
        $o.push('\n');
    }};
}

/// All runs of one command.
pub struct Measured {
    /// Stable name the ratios refer to (`full`, `ss_tanp`, …).
    pub key: &'static str,
    pub label: String,
    pub samples: Vec<Sample>,
    /// Size of the output of the last run (a sanity check that the work was really done).
    pub output_lines: u64,
    pub output_bytes: u64,
    /// The floor's own output (its counts and phase times), for the floor row.
    pub floor_line: Option<String>,
}

impl Measured {
    fn wall(&self) -> Option<f64> {
        measure::median(self.samples.iter().map(|s| s.wall.as_secs_f64()).collect())
    }
    fn cpu(&self) -> Option<f64> {
        measure::median(
            self.samples
                .iter()
                .map(|s| (s.user + s.sys).as_secs_f64())
                .collect(),
        )
    }
    fn sys_share(&self) -> Option<f64> {
        let cpu: f64 = self
            .samples
            .iter()
            .map(|s| (s.user + s.sys).as_secs_f64())
            .sum();
        let sys: f64 = self.samples.iter().map(|s| s.sys.as_secs_f64()).sum();
        (cpu > 0.0).then(|| 100.0 * sys / cpu)
    }
    fn rss_mib(&self) -> Option<f64> {
        measure::median(
            self.samples
                .iter()
                .map(|s| s.maxrss_kib as f64 / 1024.0)
                .collect(),
        )
    }
    fn range(&self) -> Option<(f64, f64)> {
        let walls = self.samples.iter().map(|s| s.wall.as_secs_f64());
        let lo = walls.clone().reduce(f64::min)?;
        let hi = walls.reduce(f64::max)?;
        Some((lo, hi))
    }
    /// "ok" when every run exited 0, else how the runs ended.
    fn status(&self) -> String {
        if self.all_ok() {
            return "ok".into();
        }
        let mut kinds: Vec<(Outcome, usize)> = Vec::new();
        for s in &self.samples {
            match kinds.iter_mut().find(|(o, _)| *o == s.outcome) {
                Some((_, n)) => *n += 1,
                None => kinds.push((s.outcome, 1)),
            }
        }
        kinds
            .iter()
            .map(|(o, n)| format!("{o} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn all_ok(&self) -> bool {
        self.samples.iter().all(|s| s.outcome == Outcome::Exited(0))
    }
}

/// The whole report.
pub struct Report {
    pub markdown: bool,
    pub machine: String,
    pub binary: String,
    pub farm: String,
    pub sockets: u64,
    pub port: String,
    pub runs: usize,
    pub notes: Vec<String>,
    pub measured: Vec<Measured>,
    /// `--scaling`: established sockets counted on the small farm, and the full listing's samples.
    pub scaling_small: Option<(u64, Vec<Sample>)>,
}

/// A ratio of two medians (sockscope / peer) and its target.
struct Ratio {
    what: &'static str,
    num: &'static str,
    den: &'static str,
    max: f64,
}

/// The targets: sockscope median wall / peer median wall must not exceed `max`.
const RATIOS: &[Ratio] = &[
    Ratio {
        what: "full listing / floor",
        num: "full",
        den: "floor",
        max: 1.5,
    },
    Ratio {
        what: "full listing / ss -tanp",
        num: "full",
        den: "ss_tanp",
        max: 0.12,
    },
    Ratio {
        what: "full listing / netstat -tanp",
        num: "full",
        den: "netstat_tanp",
        max: f64::NAN,
    },
    Ratio {
        what: "full listing / lsof -nP -iTCP",
        num: "full",
        den: "lsof_tcp",
        max: 0.25,
    },
    Ratio {
        what: "--no-owners / ss -tan",
        num: "no_owners",
        den: "ss_tan",
        max: 1.0,
    },
    Ratio {
        what: "port owners / ss -tlnp sport",
        num: "port",
        den: "ss_sport",
        max: 0.4,
    },
    Ratio {
        what: "port owners / lsof -iTCP:PORT",
        num: "port",
        den: "lsof_port",
        max: 0.15,
    },
];

/// Peak RSS target of the full listing, MiB.
const FULL_RSS_MAX_MIB: f64 = 64.0;
/// `--scaling` target: 10× the sockets may cost at most this many times the time.
const SCALING_MAX: f64 = 12.0;

impl Report {
    pub fn new(markdown: bool) -> Report {
        Report {
            markdown,
            machine: String::new(),
            binary: String::new(),
            farm: String::new(),
            sockets: 0,
            port: String::new(),
            runs: 0,
            notes: Vec::new(),
            measured: Vec::new(),
            scaling_small: None,
        }
    }

    fn get(&self, key: &str) -> Option<&Measured> {
        self.measured
            .iter()
            .find(|m| m.key == key && !m.samples.is_empty())
    }

    /// Adds a note when sockscope printed a clearly different number of lines than its peer
    /// (each pair is sockscope key, peer key): a fast run that skipped sockets proves nothing.
    pub fn check_outputs(&mut self, pairs: &[(&str, &str)]) {
        for (ours, theirs) in pairs {
            let (Some(a), Some(b)) = (self.get(ours), self.get(theirs)) else {
                continue;
            };
            let (x, y) = (a.output_lines, b.output_lines);
            if x.abs_diff(y) > y / 20 + 20 {
                let note = format!(
                    "output check: `{}` printed {x} lines but `{}` printed {y}",
                    a.label, b.label
                );
                self.notes.push(note);
            }
        }
    }

    /// The whole report as text (plain or Markdown), ready to be written to stdout.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let md = self.markdown;
        if md {
            out!(o, "## sockscope benchmark\n");
            out!(o, "- machine: {}", self.machine);
            out!(o, "- sockscope: {}", self.binary);
            out!(o, "- farm: {}", self.farm);
            out!(o, "- port-owner port: {}", self.port);
            out!(o, "- round-robin rounds: {}; medians shown\n", self.runs);
        } else {
            out!(o, "== sockscope benchmark ==");
            out!(o, "machine:   {}", self.machine);
            out!(o, "sockscope: {}", self.binary);
            out!(o, "farm:      {}", self.farm);
            out!(o, "port:      {}", self.port);
            out!(o, "rounds:    {} (round-robin; medians shown)\n", self.runs);
        }

        let header = [
            "command",
            "wall s",
            "wall min–max",
            "CPU s",
            "sys %",
            "peak RSS MiB",
            "out lines",
            "out MiB",
            "status",
        ];
        let rows: Vec<Vec<String>> = self
            .measured
            .iter()
            .map(|m| {
                vec![
                    m.label.clone(),
                    fmt(m.wall(), 3),
                    m.range()
                        .map_or("-".into(), |(lo, hi)| format!("{lo:.3}–{hi:.3}")),
                    fmt(m.cpu(), 3),
                    fmt(m.sys_share(), 0),
                    fmt(m.rss_mib(), 1),
                    m.output_lines.to_string(),
                    format!("{:.2}", m.output_bytes as f64 / (1024.0 * 1024.0)),
                    m.status(),
                ]
            })
            .collect();
        table(&mut o, md, &header, &rows);
        o.push('\n');

        let mut rows = Vec::new();
        for r in RATIOS {
            let (value, verdict) = match (self.get(r.num), self.get(r.den)) {
                (Some(n), Some(d)) => match (n.wall(), d.wall()) {
                    (Some(a), Some(b)) if b > 0.0 => {
                        let ratio = a / b;
                        let mut verdict = if r.max.is_nan() {
                            "(no target)".to_owned()
                        } else if ratio <= r.max {
                            "PASS".to_owned()
                        } else {
                            "FAIL".to_owned()
                        };
                        if !n.all_ok() || !d.all_ok() {
                            verdict.push_str(" (a run did not exit 0)");
                        }
                        (format!("{ratio:.3}"), verdict)
                    }
                    _ => ("-".into(), "n/a".into()),
                },
                _ => ("-".into(), "n/a (not measured)".into()),
            };
            let target = if r.max.is_nan() {
                "-".into()
            } else {
                format!("≤ {}", r.max)
            };
            rows.push(vec![r.what.to_owned(), value, target, verdict]);
        }
        if let Some(full) = self.get("full")
            && let Some(rss) = full.rss_mib()
        {
            let verdict = if rss <= FULL_RSS_MAX_MIB {
                "PASS"
            } else {
                "FAIL"
            };
            rows.push(vec![
                "full listing peak RSS (MiB)".into(),
                format!("{rss:.1}"),
                format!("≤ {FULL_RSS_MAX_MIB}"),
                verdict.into(),
            ]);
        }
        if let Some((small_count, small)) = &self.scaling_small {
            let small_wall = measure::median(small.iter().map(|s| s.wall.as_secs_f64()).collect());
            let big_wall = self.get("full").and_then(Measured::wall);
            let (value, verdict) = match (small_wall, big_wall) {
                (Some(a), Some(b)) if a > 0.0 => {
                    let ratio = b / a;
                    let v = if ratio <= SCALING_MAX { "PASS" } else { "FAIL" };
                    (format!("{ratio:.2}× ({a:.3} s → {b:.3} s)"), v.to_owned())
                }
                _ => ("-".into(), "n/a".into()),
            };
            rows.push(vec![
                format!(
                    "scaling: full listing, {} → {} sockets",
                    small_count, self.sockets
                ),
                value,
                format!("≤ {SCALING_MAX}×"),
                verdict,
            ]);
        }
        table(
            &mut o,
            md,
            &["ratio (median wall)", "value", "target", "result"],
            &rows,
        );

        if let Some(line) = self.get("floor").and_then(|m| m.floor_line.as_deref()) {
            o.push('\n');
            if md {
                out!(o, "floor breakdown (last run): `{line}`");
            } else {
                out!(o, "floor breakdown (last run): {line}");
            }
        }
        if !self.notes.is_empty() {
            o.push('\n');
            for n in &self.notes {
                out!(o, "{}note: {n}", if md { "- " } else { "" });
            }
        }
        o
    }
}

fn fmt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.decimals$}"))
}

/// Appends a table to `o`: aligned plain text (first column left, others right), or Markdown.
fn table(o: &mut String, markdown: bool, header: &[&str], rows: &[Vec<String>]) {
    if markdown {
        out!(o, "| {} |", header.join(" | "));
        let align: Vec<&str> = (0..header.len())
            .map(|i| if i == 0 { ":---" } else { "---:" })
            .collect();
        out!(o, "| {} |", align.join(" | "));
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
            out!(o, "| {} |", cells.join(" | "));
        }
        return;
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(w.saturating_sub(cell.chars().count()));
            if i == 0 {
                text.push_str(cell);
                text.push_str(&pad);
            } else {
                text.push_str("  ");
                text.push_str(&pad);
                text.push_str(cell);
            }
        }
        out!(o, "{}", text.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}
