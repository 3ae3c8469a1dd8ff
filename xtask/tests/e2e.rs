//! End to end: copy the workspace, feed `cargo xtask regen` a spec with one operation added
//! and one field removed, and check the report, that the generated client gains the call, and
//! that no hand-written file (anything `.fernignore` matches) changed.
//!
//! This builds `islo-generated` in the copy, into `$CARGO_TARGET_DIR/xtask-e2e` (or
//! `target/xtask-e2e`), which persists so that reruns only rebuild the workspace crates.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;
use xtask::canonical::to_canonical_string;
use xtask::fernignore::FernIgnore;
use xtask::regen::TempDir;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The files to copy: what git tracks plus untracked files it does not ignore; without git,
/// every file outside `target/` and `.git/`.
fn workspace_files(root: &Path) -> Vec<String> {
    let git = Command::new("git")
        .current_dir(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output();
    let mut files: Vec<String> = match git {
        Ok(o) if o.status.success() => String::from_utf8(o.stdout)
            .unwrap()
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        _ => walk(root),
    };
    files.retain(|f| {
        !f.split('/').any(|seg| seg == "target" || seg == ".git") && root.join(f).is_file()
    });
    files.sort();
    files.dedup();
    files
}

/// Every file under `root` (relative, `/`-separated), skipping `target` and `.git` folders.
fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![PathBuf::new()];
    while let Some(rel) = todo.pop() {
        for entry in std::fs::read_dir(root.join(&rel)).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = rel.join(&name);
            let ty = entry.file_type().unwrap();
            if ty.is_dir() {
                if name != "target" && name != ".git" {
                    todo.push(path);
                }
            } else if ty.is_file() {
                out.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// Copies `files` from `from` to `to`, keeping modification times (so cargo's fingerprints of
/// unchanged files stay fresh across runs).
fn copy_files(from: &Path, to: &Path, files: &[String]) {
    for f in files {
        let (src, dst) = (from.join(f), to.join(f));
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(&src, &dst).unwrap();
        if let Ok(mtime) = std::fs::metadata(&src).and_then(|m| m.modified()) {
            let _ = std::fs::File::options()
                .write(true)
                .open(&dst)
                .and_then(|f| f.set_modified(mtime));
        }
    }
}

/// The content of every hand-written file (matched by `.fernignore`) under `root`.
fn hand_written(root: &Path, skip: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let ignore = FernIgnore::load(root).unwrap();
    walk(root)
        .into_iter()
        .filter(|f| !skip.contains(&f.as_str()) && ignore.matching_pattern(f).is_some())
        .map(|f| {
            let bytes = std::fs::read(root.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from(env!("CARGO")), PathBuf::from)
}

fn e2e_target_dir(root: &Path) -> PathBuf {
    let base =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    root.join(base).join("xtask-e2e")
}

/// A command in the copy, building into the e2e target folder, offline.
fn command(program: &Path, ws: &Path, target: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(ws)
        .env("CARGO", cargo())
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("ISLO_OPENAPI_SPEC")
        .env_remove("CARGO_MANIFEST_DIR");
    c
}

fn show(o: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The candidate: the vendored spec plus `GET /e2e/ping` (`e2e_ping`, tag `cloud_roles`)
/// and without `CloudRoleResponse.provider`.
fn candidate(spec: &Value) -> Value {
    let mut spec = spec.clone();
    assert!(spec["paths"].get("/e2e/ping").is_none());
    spec["paths"]["/e2e/ping"] = json!({
        "get": {
            "operationId": "e2e_ping",
            "summary": "Ping (added by the e2e test)",
            "tags": ["cloud_roles"],
            "parameters": [{"name": "echo", "in": "query", "required": false, "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CloudRoleResponse"}}}},
                "401": {"description": "Unauthorized", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
            }
        }
    });
    let role = spec["components"]["schemas"]["CloudRoleResponse"]
        .as_object_mut()
        .unwrap();
    assert!(role["properties"]
        .as_object_mut()
        .unwrap()
        .remove("provider")
        .is_some());
    role["required"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r != "provider");
    spec
}

const PROBE: &str = "islo/examples/xtask_e2e_probe.rs";

#[test]
fn regen_end_to_end_in_a_copy_of_the_workspace() {
    let started = Instant::now();
    let root = workspace_root();
    let target = e2e_target_dir(&root);
    let tmp = TempDir::new("xtask-e2e").unwrap();
    let ws = tmp.path().join("ws");
    copy_files(&root, &ws, &workspace_files(&root));

    // Let cargo settle the lock file first (it is hand-written and must not move because of regen).
    // (It only syncs the workspace's own entries, offline; the lead keeps the real one current.)
    let o = command(&cargo(), &ws, &target)
        .args(["update", "--workspace"])
        .output()
        .unwrap();
    assert!(o.status.success(), "cargo update --workspace\n{}", show(&o));
    let before = hand_written(&ws, &[]);
    for f in [
        ".fernignore",
        "Cargo.toml",
        "Cargo.lock",
        "islo/Cargo.toml",
        "islo-generated/build.rs",
    ] {
        assert!(
            before.contains_key(f),
            "{f} should be hand-written; have {:?}",
            before.keys()
        );
    }

    let spec_text = std::fs::read_to_string(ws.join("openapi/islo.json")).unwrap();
    let cand = candidate(&serde_json::from_str(&spec_text).unwrap());
    let cand_path = tmp.path().join("candidate.json");
    // Deliberately not canonical: regen must canonicalize it.
    std::fs::write(&cand_path, serde_json::to_string(&cand).unwrap()).unwrap();

    let xtask = PathBuf::from(env!("CARGO_BIN_EXE_xtask"));
    let cand_arg = cand_path.to_str().unwrap();

    // Hand-written paths are refused even when asked for explicitly.
    for out in ["README.md", "islo/src/lib.rs", "Cargo.toml"] {
        let o = command(&xtask, &ws, &target)
            .args(["regen", "--from", cand_arg, "--out", out])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "--out {out}\n{}", show(&o));
        assert!(
            err.contains(&format!("refusing to write `{out}`")) && err.contains("in .fernignore"),
            "{err}"
        );
    }

    // The full regen, with its build check.
    let t = Instant::now();
    let o = command(&xtask, &ws, &target)
        .args(["regen", "--from", cand_arg])
        .output()
        .unwrap();
    let regen_time = t.elapsed();
    assert!(o.status.success(), "regen\n{}", show(&o));
    let report = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(
        report.lines().any(|l| l
            == "- operation `e2e_ping` added: GET /e2e/ping (control plane, tag `cloud_roles`)"),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l
                == "- BREAKING field `CloudRoleResponse.provider` removed (was string, required)"),
        "{report}"
    );
    assert!(report.contains("2 changes, 1 breaking."), "{report}");

    // The spec is written canonically, the table regenerated, and --check agrees.
    assert_eq!(
        std::fs::read_to_string(ws.join("openapi/islo.json")).unwrap(),
        to_canonical_string(&cand)
    );
    let table = std::fs::read_to_string(ws.join("openapi/OPERATIONS.md")).unwrap();
    assert!(table
        .contains("| `e2e_ping` | GET | `/e2e/ping` | control | Ping (added by the e2e test) |"));
    let o = command(&xtask, &ws, &target)
        .args(["regen", "--check"])
        .output()
        .unwrap();
    assert!(o.status.success(), "regen --check\n{}", show(&o));

    // Regen touched no hand-written file.
    let after = hand_written(&ws, &[]);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (f, bytes) in &before {
        assert!(after[f] == *bytes, "hand-written file {f} changed");
    }

    // The new operation is callable through the generated client.
    std::fs::create_dir_all(ws.join(PROBE).parent().unwrap()).unwrap();
    std::fs::write(
        ws.join(PROBE),
        "//! Probe written by xtask's e2e test.\n\
         #[allow(dead_code)]\n\
         async fn probe(islo: &islo::Islo) -> islo::Result<()> {\n\
         \x20   let role = islo.e2e_ping().echo(\"hi\").await?.into_inner();\n\
         \x20   let _: &str = &role.id;\n\
         \x20   Ok(())\n\
         }\n\n\
         fn main() {}\n",
    )
    .unwrap();
    let t = Instant::now();
    let o = command(&cargo(), &ws, &target)
        .args(["check", "--package", "islo", "--example", "xtask_e2e_probe"])
        .output()
        .unwrap();
    let check_time = t.elapsed();
    assert!(o.status.success(), "cargo check of the probe\n{}", show(&o));

    // And the removed field is gone from the generated type.
    std::fs::write(
        ws.join(PROBE),
        "fn main() { let r: Option<islo::types::CloudRoleResponse> = None; let _ = r.map(|r| r.provider); }\n",
    )
    .unwrap();
    let o = command(&cargo(), &ws, &target)
        .args(["check", "--package", "islo", "--example", "xtask_e2e_probe"])
        .output()
        .unwrap();
    assert!(
        !o.status.success(),
        "`provider` should be gone\n{}",
        show(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("provider"),
        "{}",
        show(&o)
    );

    let end = hand_written(&ws, &[PROBE]);
    assert!(
        end == before,
        "a hand-written file changed during the build"
    );
    eprintln!(
        "e2e timings: regen (with build check) {regen_time:.1?}, probe check {check_time:.1?}, total {:.1?}",
        started.elapsed()
    );
}
