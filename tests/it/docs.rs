use std::process::Command;

#[test]
fn man_pages_render_without_groff_warnings() {
    if Command::new("groff").arg("--version").output().is_err() {
        eprintln!("SKIPPED: groff is not installed");
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
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
    assert_eq!(pages, 4, "sockscope.1 and the who, kill and top pages");
}

#[test]
fn generate_man_writes_the_checked_in_pages() {
    let tmp = std::env::temp_dir().join(format!("sockscope-man-{}", std::process::id()));
    let out = crate::common::bin()
        .arg("generate-man")
        .arg(&tmp)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for name in [
        "sockscope.1",
        "sockscope-who.1",
        "sockscope-kill.1",
        "sockscope-top.1",
    ] {
        assert_eq!(
            std::fs::read(tmp.join(name)).unwrap(),
            std::fs::read(dir.join(name)).unwrap(),
            "{name}"
        );
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}
