use std::process::Command;

use crate::common::run;

fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok();
    if !found {
        eprintln!("SKIPPED: {tool} is not installed");
    }
    found
}

#[test]
fn man_pages_render_without_groff_warnings() {
    if !have("groff") {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let expected = sockscope::manpage::pages().unwrap().len();
    let mut pages = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let out = Command::new("groff")
            .args(["-ww", "-z", "-man"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", path.display());
        assert!(
            out.stderr.is_empty(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        pages += 1;
    }
    assert_eq!(pages, expected, "man/ holds exactly the generated pages");
}

#[test]
fn write_assets_writes_the_checked_in_files() {
    let tmp = std::env::temp_dir().join(format!("sockscope-assets-{}", std::process::id()));
    let written = sockscope::manpage::write_assets(&tmp).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        written.len(),
        sockscope::manpage::pages().unwrap().len() + sockscope::completions::SHELLS.len()
    );
    for path in written {
        let relative = path.strip_prefix(&tmp).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(root.join(relative)).unwrap(),
            "{} differs from the checked-in file",
            relative.display()
        );
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn completions_generate_for_every_shell_and_parse() {
    for (shell, checker) in [
        ("bash", Some(("bash", "-n"))),
        ("zsh", Some(("zsh", "-n"))),
        ("fish", Some(("fish", "--no-execute"))),
        ("powershell", None),
        ("elvish", None),
    ] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("sockscope") && script.contains("who"),
            "{shell}"
        );
        let Some((tool, flag)) = checker else {
            continue;
        };
        if !have(tool) {
            assert_ne!(tool, "bash", "bash is always here");
            continue;
        }
        let file = std::env::temp_dir().join(format!(
            "sockscope-completion-{}.{shell}",
            std::process::id()
        ));
        std::fs::write(&file, &script).unwrap();
        let check = Command::new(tool).arg(flag).arg(&file).output().unwrap();
        std::fs::remove_file(&file).unwrap();
        assert!(
            check.status.success(),
            "{tool} {flag}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn short_and_long_help() {
    let short = run(&["-h"]);
    assert_eq!(short.status.code(), Some(0));
    let text = String::from_utf8(short.stdout).unwrap();
    assert!(text.lines().count() <= 24, "one screen");
    assert!(text.contains("sockscope who PORT") && text.contains("sockscope top"));
    let long = String::from_utf8(run(&["--help"]).stdout).unwrap();
    assert!(long.contains("Examples:") && long.contains("time-wait") && long.contains("--dport"));
    for sub in ["who", "kill", "top", "completions"] {
        let out = run(&[sub, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{sub}");
        assert_eq!(run(&[sub, "-h"]).status.code(), Some(0), "{sub} -h");
    }
    let version = String::from_utf8(run(&["--version"]).stdout).unwrap();
    assert_eq!(
        version.trim(),
        format!("sockscope {}", env!("CARGO_PKG_VERSION"))
    );
}
