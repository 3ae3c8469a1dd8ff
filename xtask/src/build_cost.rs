//! `cargo xtask build-cost`: what a fresh application pays to build on `islo`, against the
//! same kind of application on reqwest + serde + tokio alone, measured in one run.
//!
//! Each variant is a small binary crate written into a scratch folder; all start from this
//! workspace's `Cargo.lock`, so every variant gets the same versions. The islo variants
//! depend on this checkout's `HEAD` as a git dependency: cargo builds a git dependency as it
//! builds one from crates.io (not incrementally, lints capped), which is how a user who ran
//! `cargo add islo` pays for it. `islo-path` depends on the checkout by path instead, which
//! cargo compiles like a workspace member (incrementally), for comparison. Each round builds every variant in debug from an empty
//! target folder, in an order that alternates between rounds; the table gives the median
//! wall time, the crates compiled, and each variant's ratio to the TLS-matched baseline
//! taken round by round. `--timings` reports are kept for the last round.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// One application to build.
struct Variant {
    name: &'static str,
    what: &'static str,
    dependencies: String,
    main: &'static str,
}

const ISLO_MAIN: &str = r#"#[tokio::main]
async fn main() -> islo::Result<()> {
    let islo = islo::Islo::from_env()?;
    let page = islo.list_sandboxes().await?.into_inner();
    println!("{} sandboxes", page.items.len());
    Ok(())
}
"#;

const BASE_MAIN: &str = r#"#[derive(serde::Deserialize, serde::Serialize, Debug)]
struct Sandbox {
    name: String,
    status: String,
    #[serde(default)]
    image: Option<String>,
}

#[derive(serde::Deserialize, Debug)]
struct Page {
    items: Vec<Sandbox>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = std::env::var("ISLO_API_KEY")?;
    let page: Page = reqwest::Client::new()
        .get("https://api.islo.dev/sandboxes/")
        .bearer_auth(key)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("{} sandboxes: {:?}", page.items.len(), serde_json::to_string(&page.items)?);
    Ok(())
}
"#;

/// `git` is the source of the islo variants: `git = "file://…", rev = "…"`.
fn variants(workspace: &Path, git: &str) -> Vec<Variant> {
    let islo = workspace.join("islo");
    let islo = islo.display();
    let tokio = r#"tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#;
    let serde = "serde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"";
    vec![
        Variant {
            name: "islo",
            what: "islo, default features (native-tls), as a git dependency (built like one from crates.io)",
            dependencies: format!("islo = {{ {git} }}\n{tokio}"),
            main: ISLO_MAIN,
        },
        Variant {
            name: "islo-path",
            what: "islo, default features, as a path dependency (compiled incrementally, like a workspace member)",
            dependencies: format!("islo = {{ path = \"{islo}\" }}\n{tokio}"),
            main: ISLO_MAIN,
        },
        Variant {
            name: "base",
            what: "reqwest (native-tls, json, stream) + serde + tokio: the TLS-matched baseline",
            dependencies: format!(
                "reqwest = {{ version = \"0.13\", default-features = false, features = [\"native-tls\", \"json\", \"stream\"] }}\n{serde}\n{tokio}"
            ),
            main: BASE_MAIN,
        },
        Variant {
            name: "islo-rustls",
            what: "islo with rustls instead (default-features = false, features = [\"rustls\"])",
            dependencies: format!(
                "islo = {{ {git}, default-features = false, features = [\"rustls\"] }}\n{tokio}"
            ),
            main: ISLO_MAIN,
        },
        Variant {
            name: "base-default",
            what: "reqwest with its default features (rustls on aws-lc-rs, http2) + serde + tokio",
            dependencies: format!("reqwest = {{ version = \"0.13\", features = [\"json\", \"stream\"] }}\n{serde}\n{tokio}"),
            main: BASE_MAIN,
        },
    ]
}

/// The options: rounds, which variants, where to work.
struct Options {
    rounds: usize,
    only: Option<Vec<String>>,
    scratch: PathBuf,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        rounds: 3,
        only: None,
        scratch: std::env::temp_dir().join("islo-build-cost"),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--rounds" => {
                o.rounds = value()?
                    .parse()
                    .map_err(|_| "--rounds takes a number".to_string())?;
            }
            "--only" => o.only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--scratch" => o.scratch = PathBuf::from(value()?),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if o.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok(o)
}

fn write_app(dir: &Path, v: &Variant, lock: &Path) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    let manifest = format!(
        "[package]\nname = \"app-{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{}\n\n[workspace]\n",
        v.name, v.dependencies
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(io)?;
    std::fs::write(dir.join("src/main.rs"), v.main).map_err(io)?;
    std::fs::copy(lock, dir.join("Cargo.lock")).map_err(io)?;
    Ok(())
}

/// One clean debug build: wall seconds and the number of crates compiled.
fn build(dir: &Path, timings: bool) -> Result<(f64, usize), String> {
    let target = dir.join("target");
    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target);
    // The application's own settings only: nothing from this workspace's environment.
    for var in ["RUSTFLAGS", "CARGO_INCREMENTAL", "CARGO_BUILD_JOBS"] {
        cmd.env_remove(var);
    }
    if timings {
        cmd.arg("--timings");
    }
    let start = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("running cargo build: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    let log = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("cargo build in {} failed:\n{log}", dir.display()));
    }
    let crates = log
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    Ok((secs, crates))
}

/// The islo variants' dependency source: this checkout's `HEAD`, as a git dependency. Says
/// so when the work tree has changes, which the git variants do not see.
fn git_source(workspace: &Path) -> Result<String, String> {
    let git = |args: &[&str]| -> Result<String, String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(workspace)
            .output()
            .map_err(|e| format!("running git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "HEAD"])?;
    if !git(&["status", "--porcelain", "--untracked-files=no"])?.is_empty() {
        eprintln!(
            "note: the work tree has uncommitted changes; the git variants build HEAD ({head}), only islo-path sees them"
        );
    }
    Ok(format!(
        "git = \"file://{}\", rev = \"{head}\"",
        workspace.display()
    ))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the measurement and prints the table.
pub fn run(args: &[String], workspace: &Path) -> Result<(), String> {
    let o = parse(args)?;
    let lock = workspace.join("Cargo.lock");
    let all = variants(workspace, &git_source(workspace)?);
    let chosen: Vec<&Variant> = all
        .iter()
        .filter(|v| {
            o.only
                .as_ref()
                .is_none_or(|only| only.iter().any(|n| n == v.name))
        })
        .collect();
    if chosen.is_empty() {
        return Err(
            "--only names no variant (islo, islo-path, base, islo-rustls, base-default)".into(),
        );
    }
    for v in &chosen {
        write_app(&o.scratch.join(v.name), v, &lock)?;
    }
    // Fetch once, so that no build below waits on the network.
    for v in &chosen {
        let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .arg("fetch")
            .current_dir(o.scratch.join(v.name))
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cargo fetch: {e}"))?;
        if !status.success() {
            return Err(format!("cargo fetch failed for {}", v.name));
        }
    }
    let mut results: Vec<Vec<(f64, usize)>> = vec![Vec::new(); chosen.len()];
    for round in 0..o.rounds {
        let last = round + 1 == o.rounds;
        let mut order: Vec<usize> = (0..chosen.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (secs, crates) = build(&o.scratch.join(chosen[i].name), last)?;
            eprintln!(
                "round {}: {} {secs:.1} s ({crates} crates)",
                round + 1,
                chosen[i].name
            );
            results[i].push((secs, crates));
        }
    }
    let base = chosen.iter().position(|v| v.name == "base");
    println!(
        "\nClean debug build of a fresh application ({} rounds, median wall time):",
        o.rounds
    );
    for (i, v) in chosen.iter().enumerate() {
        let wall = median(results[i].iter().map(|r| r.0).collect());
        let crates = results[i].last().map_or(0, |r| r.1);
        let ratio = base.filter(|&b| b != i).map(|b| {
            median(
                results[i]
                    .iter()
                    .zip(&results[b])
                    .map(|(a, b)| a.0 / b.0)
                    .collect(),
            )
        });
        let ratio = ratio.map_or(String::new(), |r| format!("  {r:.2}x base"));
        println!(
            "  {:<13} {wall:>6.1} s  {crates:>3} crates{ratio}   {}",
            v.name, v.what
        );
    }
    println!(
        "Timings of the last round: {}/<variant>/target/cargo-timings/",
        o.scratch.display()
    );
    Ok(())
}
