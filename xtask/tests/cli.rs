//! The `xtask` binary on a tiny workspace: hand-written paths are refused even when asked for,
//! with an error naming the `.fernignore` pattern, and nothing is written.

use std::path::Path;
use std::process::Command;
use xtask::regen::TempDir;

fn tiny_workspace() -> TempDir {
    let dir = TempDir::new("xtask-cli").unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("openapi")).unwrap();
    std::fs::create_dir_all(root.join("islo/src")).unwrap();
    std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
    std::fs::write(
        root.join(".fernignore"),
        "# hand-written\nREADME.md\nislo/\n",
    )
    .unwrap();
    std::fs::write(root.join("README.md"), "hand-written readme\n").unwrap();
    std::fs::write(root.join("islo/src/lib.rs"), "// hand-written lib\n").unwrap();
    let spec = r#"{"openapi":"3.1.0","servers":[{"url":"https://api"}],
        "paths":{"/a":{"get":{"operationId":"get_a","tags":["t"],"responses":{"200":{"description":"ok"}}}}},
        "components":{"schemas":{}}}"#;
    std::fs::write(root.join("openapi/islo.json"), spec).unwrap();
    std::fs::write(root.join("cand.json"), spec).unwrap();
    dir
}

fn xtask(root: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(root)
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn hand_written_paths_are_refused() {
    let ws = tiny_workspace();
    let root = ws.path();
    for (out, pattern) in [
        ("README.md", "README.md"),
        ("islo/src/lib.rs", "islo/"),
        ("islo/src/new.rs", "islo/"),
    ] {
        let (code, _, err) = xtask(
            root,
            &["regen", "--from", "cand.json", "--out", out, "--skip-build"],
        );
        assert_eq!(code, Some(1), "{out}: {err}");
        assert!(
            err.contains(&format!("refusing to write `{out}`: it is hand-written (matched by `{pattern}` in .fernignore)")),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(root.join("README.md")).unwrap(),
        "hand-written readme\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("islo/src/lib.rs")).unwrap(),
        "// hand-written lib\n"
    );
    assert!(!root.join("islo/src/new.rs").exists());
    assert!(!root.join("islo/src/OPERATIONS.md").exists());
    assert!(!root.join("OPERATIONS.md").exists());
}

#[test]
fn check_fails_until_regen_then_passes() {
    let ws = tiny_workspace();
    let root = ws.path();
    let (code, _, err) = xtask(root, &["regen", "--check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("openapi/islo.json is not in canonical form"),
        "{err}"
    );
    let (code, out, err) = xtask(root, &["regen", "--skip-build"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("No changes to operations or schemas."),
        "{out}"
    );
    let (code, _, err) = xtask(root, &["regen", "--check"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let ws = tiny_workspace();
    assert_eq!(xtask(ws.path(), &["regen", "--nope"]).0, Some(2));
    assert_eq!(xtask(ws.path(), &["frobnicate"]).0, Some(2));
    assert_eq!(xtask(ws.path(), &[]).0, Some(2));
    let (code, out, _) = xtask(ws.path(), &["help"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("cargo xtask regen --check"));
}
