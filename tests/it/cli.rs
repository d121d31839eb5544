use std::io::Read;
use std::net::TcpListener;
use std::process::Stdio;

use crate::common::{bin, run};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// stderr without the warnings: what is left would be an error. (A machine may legitimately
/// warn, e.g. about a socket held in another PID namespace.)
fn errors(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("sockscope: warning:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn netstat_and_ss_flag_habits_run() {
    let _l = TcpListener::bind("127.0.0.1:0").unwrap();
    for args in [
        &["-ano"][..],
        &["-tulpn"],
        &["-tanp"],
        &["-ltn"],
        &["-a", "-n", "-o", "-p"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(
            errors(&stderr(&out)).is_empty(),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn table_has_header_and_rows() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let out = run(&["-tl"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let header = text.lines().next().unwrap();
    for col in [
        "PROTO", "LOCAL", "REMOTE", "STATE", "CLASS", "SERVICE", "USER", "PID", "PROCESS",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let row = text
        .lines()
        .find(|l| l.contains(&format!("127.0.0.1:{port} ")))
        .unwrap_or_else(|| panic!("no row for {port}:\n{text}"));
    assert!(row.contains("LISTEN") && row.contains(&std::process::id().to_string()));
    // Other tests open listeners meanwhile, so compare content, not line counts.
    let no_header = String::from_utf8(run(&["-tl", "-H"]).stdout).unwrap();
    assert!(!no_header.contains("PROTO"));
    assert!(
        no_header
            .lines()
            .any(|l| l.contains(&format!("127.0.0.1:{port} ")))
    );
}

#[test]
fn bad_invocations_exit_2_with_a_message() {
    for (args, needle) in [
        (&["--bogus"][..], "--bogus"),
        (&["--color", "sometimes"], "sometimes"),
        (&["-p", "--no-owners"], "--no-owners"),
        (&["-z"], "-z"),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}

#[test]
fn help_and_version() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("--no-owners") && help.contains("Examples"));
    let out = run(&["--version"]);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("sockscope ")
    );
}

/// A pipe whose buffer holds only 4 KiB, so a writer of more than that must block or fail.
fn small_pipe() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fds[1] is the pipe's write end, just created and open.
    assert!(unsafe { libc::fcntl(fds[1], libc::F_SETPIPE_SZ, 4096) } >= 4096);
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    }
}

#[test]
fn closed_pipe_exits_quietly() {
    // More output than the pipe holds, so the writer is still writing when the reader leaves.
    let listeners: Vec<TcpListener> = (0..100)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    for args in [&[][..], &["--json"]] {
        let (mut reader, writer) = small_pipe();
        let mut child = bin()
            .args(args)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 10];
        reader.read_exact(&mut first).unwrap();
        drop(reader);
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {status:?} {err}");
        assert!(errors(&err).is_empty(), "{args:?}: {err}");
    }
    drop(listeners);
}

#[test]
fn colour_follows_the_flag() {
    let _l = TcpListener::bind("127.0.0.1:0").unwrap();
    // Not a terminal: auto means no colour.
    let plain = run(&["-tl"]);
    assert!(!plain.stdout.contains(&0x1b));
    let always = bin()
        .args(["-tl", "--color", "always"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        always.stdout.contains(&0x1b),
        "an explicit --color always wins over NO_COLOR"
    );
    let never = run(&["-tl", "--color", "never"]);
    assert!(!never.stdout.contains(&0x1b));
}
