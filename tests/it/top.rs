use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux session running `sockscope top`, killed on drop.
struct Tmux {
    name: String,
    exit_file: PathBuf,
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn have_tmux() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok() {
        return true;
    }
    eprintln!("SKIPPED: tmux is not installed (the dashboard's end-to-end test needs it)");
    false
}

impl Tmux {
    fn start(tag: &str, args: &str) -> Tmux {
        let name = format!("sockscope-test-{tag}-{}", std::process::id());
        let exit_file = std::env::temp_dir().join(format!("{name}.exit"));
        let _ = std::fs::remove_file(&exit_file);
        let bin = env!("CARGO_BIN_EXE_sockscope");
        // The shell records the exit code and stays a little, so the pane can be inspected.
        let command = format!(
            "{bin} top {args}; echo $? > {}; sleep 30",
            exit_file.display()
        );
        tmux(&[
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            "160",
            "-y",
            "40",
            &command,
        ]);
        Tmux { name, exit_file }
    }

    fn screen(&self) -> String {
        tmux(&["capture-pane", "-p", "-t", &self.name])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend(keys);
        tmux(&args);
    }

    /// Waits (up to 15 s) until the screen satisfies `ok`.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn exit_code(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.exit_file)
                && !text.trim().is_empty()
            {
                return text.trim().parse().unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "sockscope top did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alternate_screen(&self) -> bool {
        tmux(&["display", "-p", "-t", &self.name, "#{alternate_on}"]).trim() == "1"
    }

    /// PID of `sockscope top`: the child of the pane's shell.
    fn sockscope_pid(&self) -> u32 {
        let shell = tmux(&["display", "-p", "-t", &self.name, "#{pane_pid}"]);
        let shell = shell.trim();
        let children =
            std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
        children.split_whitespace().next().unwrap().parse().unwrap()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.name]);
        let _ = std::fs::remove_file(&self.exit_file);
    }
}

#[test]
fn dashboard_shows_a_new_listener_filters_to_it_and_quits_cleanly() {
    if !have_tmux() {
        return;
    }
    // Only 127.0.0.11 (which no other test uses), so the test's sockets are on screen even on a
    // machine with thousands of others.
    let t = Tmux::start("main", "--interval 0.2 --addr 127.0.0.11");
    t.wait_for("the first snapshot", |s| {
        s.contains("sockscope top") && s.contains("refreshed")
    });
    assert!(t.alternate_screen());

    let first = TcpListener::bind("127.0.0.11:0").unwrap();
    let second = TcpListener::bind("127.0.0.11:0").unwrap();
    let addr = |l: &TcpListener| format!("127.0.0.11:{}", l.local_addr().unwrap().port());
    let (a, b) = (addr(&first), addr(&second));
    let screen = t.wait_for("the new listeners", |s| s.contains(&a) && s.contains(&b));
    let row = screen.lines().find(|l| l.contains(&a)).unwrap();
    assert!(row.contains("LISTEN"), "{row}");

    t.keys(&["/"]);
    t.keys(&["-l", &a]);
    let screen = t.wait_for("the table to narrow", |s| s.contains("showing 1 of"));
    // Table rows: a marker column of two characters, then the protocol.
    let table_rows: Vec<&str> = screen
        .lines()
        .filter(|l| {
            l.get(2..)
                .is_some_and(|r| r.starts_with("tcp ") || r.starts_with("udp "))
        })
        .collect();
    assert_eq!(table_rows.len(), 1, "{screen}");
    assert!(table_rows[0].contains(&a) && !screen.contains(&b));

    t.keys(&["Enter", "q"]);
    assert_eq!(t.exit_code(), 0);
    assert!(
        !t.alternate_screen(),
        "the terminal left the alternate screen"
    );
    drop((first, second));
}

#[test]
fn sigterm_sigint_and_ctrl_c_restore_the_terminal() {
    if !have_tmux() {
        return;
    }
    let term = Tmux::start("term", "");
    term.wait_for("the first snapshot", |s| s.contains("refreshed"));
    let pid = term.sockscope_pid();
    // SAFETY: kill with a PID of a process this test started (through tmux) has no memory effects.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGTERM) }, 0);
    assert_eq!(term.exit_code(), 0);
    assert!(!term.alternate_screen());

    // SIGINT from outside (not the Ctrl-C key, which raw mode turns into a key press).
    let int = Tmux::start("int", "");
    int.wait_for("the first snapshot", |s| s.contains("refreshed"));
    let pid = int.sockscope_pid();
    // SAFETY: kill with a PID of a process this test started (through tmux) has no memory effects.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGINT) }, 0);
    assert_eq!(int.exit_code(), 0);
    assert!(!int.alternate_screen());

    let ctrl_c = Tmux::start("ctrlc", "");
    ctrl_c.wait_for("the first snapshot", |s| s.contains("refreshed"));
    ctrl_c.keys(&["C-c"]);
    assert_eq!(ctrl_c.exit_code(), 0);
    assert!(!ctrl_c.alternate_screen());
}
