//! `cargo xtask msrv`: the workspace's `rust-version` is true for the locked dependency set —
//! no locked dependency declares a newer one. Reads `cargo metadata --locked`, so it needs no
//! second toolchain.

use serde_json::Value;
use std::process::Command;

/// A Rust version as `(major, minor, patch)`; a missing part counts as 0.
fn parse(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.trim().split('.').map(|p| p.parse::<u64>());
    let major = it.next()?.ok()?;
    let minor = it.next().unwrap_or(Ok(0)).ok()?;
    let patch = it.next().unwrap_or(Ok(0)).ok()?;
    Some((major, minor, patch))
}

/// The workspace's declared `rust-version` and every locked dependency that needs a newer
/// Rust (`name version needs rust-version`), from `cargo metadata` JSON.
pub fn check_metadata(metadata: &Value) -> Result<(String, Vec<String>), String> {
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .ok_or("no workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages = metadata["packages"].as_array().ok_or("no packages")?;
    let ours = packages
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(&id)))
        .filter_map(|p| p["rust_version"].as_str())
        .filter_map(|v| parse(v).map(|p| (p, v)))
        .min()
        .ok_or("no workspace member declares a rust-version")?;
    let newer = packages
        .iter()
        .filter(|p| !p["id"].as_str().is_some_and(|id| members.contains(&id)))
        .filter_map(|p| {
            let v = p["rust_version"].as_str()?;
            (parse(v)? > ours.0).then(|| {
                format!(
                    "{} {} needs Rust {v}",
                    p["name"].as_str().unwrap_or("?"),
                    p["version"].as_str().unwrap_or("?")
                )
            })
        })
        .collect();
    Ok((ours.1.to_string(), newer))
}

/// Runs the check for the workspace in the current directory.
pub fn run() -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .map_err(|e| format!("running cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata --locked failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let metadata: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cargo metadata is not JSON: {e}"))?;
    let (ours, newer) = check_metadata(&metadata)?;
    if newer.is_empty() {
        eprintln!(
            "msrv: every locked dependency builds with Rust {ours}, the declared rust-version"
        );
        Ok(())
    } else {
        Err(format!(
            "rust-version {ours} is not true for the locked dependencies:\n  {}",
            newer.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata(deps: &[(&str, Option<&str>)]) -> Value {
        let mut packages =
            vec![json!({"id": "ws 0.1", "name": "ws", "version": "0.1.0", "rust_version": "1.88"})];
        for (name, rv) in deps {
            packages.push(json!({"id": format!("{name} 1"), "name": name, "version": "1.0.0", "rust_version": rv}));
        }
        json!({"workspace_members": ["ws 0.1"], "packages": packages})
    }

    #[test]
    fn a_dependency_needing_a_newer_rust_is_reported() {
        let (ours, newer) = check_metadata(&metadata(&[
            ("old", Some("1.70")),
            ("new", Some("1.89.0")),
            ("none", None),
        ]))
        .unwrap();
        assert_eq!(ours, "1.88");
        assert_eq!(newer, ["new 1.0.0 needs Rust 1.89.0"]);
    }

    #[test]
    fn equal_or_older_versions_pass() {
        let (_, newer) = check_metadata(&metadata(&[
            ("same", Some("1.88.0")),
            ("older", Some("1.56")),
        ]))
        .unwrap();
        assert!(newer.is_empty());
    }
}
