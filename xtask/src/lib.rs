//! Project tasks for the Islo Rust SDK workspace, run as `cargo xtask <task>` (the alias is in
//! `.cargo/config.toml`).
//!
//! ```text
//! cargo xtask regen [--from <spec.json>] [--out <path>] [--report-only] [--skip-build]
//! cargo xtask regen --check
//! cargo xtask msrv
//! ```
//!
//! `regen` takes in a new upstream OpenAPI document: it validates it (see [`regen::validate`]
//! and the build check), prints a change report for SDK users ([`report`]), and writes the
//! spec in canonical form ([`canonical`]) plus the derived `openapi/OPERATIONS.md`
//! ([`operations_md`]). It never writes a path listed in `.fernignore` ([`fernignore`]);
//! every write goes through [`regen::write_guarded`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod build_cost;
pub mod canonical;
pub mod fernignore;
pub mod msrv;
pub mod operations_md;
pub mod regen;
pub mod report;

use std::process::ExitCode;

/// The usage text.
pub const USAGE: &str = "\
usage: cargo xtask regen [--from <spec.json>] [--out <path>] [--report-only] [--skip-build]
       cargo xtask regen --check
       cargo xtask msrv
       cargo xtask build-cost [--rounds N] [--only islo,base,islo-rustls,base-default]

regen                takes in an OpenAPI document (default: the vendored openapi/islo.json):
                     validates it, checks that islo-generated builds with it, prints a change
                     report against openapi/islo.json, then writes it in canonical form and
                     regenerates openapi/OPERATIONS.md next to it
  --from <path>      the candidate spec
  --out <path>       where to write the spec (default openapi/islo.json); paths matched by
                     .fernignore are refused
  --report-only      print the change report, write nothing
  --skip-build       skip the `cargo check -p islo` step
  --check            exit non-zero if openapi/islo.json is not canonical or anything derived
                     from it and checked in is stale
msrv                 exit non-zero if a locked dependency needs a newer Rust than the
                     workspace's rust-version
build-cost           clean debug builds of a fresh application on islo and on reqwest +
                     serde + tokio (TLS-matched, and reqwest's defaults), interleaved; prints
                     median wall times, crates compiled and the ratios (a benchmark: slow)
";

/// Runs `cargo xtask` with `args` (without the program name) in the current directory.
pub fn cli(args: &[String]) -> ExitCode {
    let Some((task, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    match task.as_str() {
        "regen" => {}
        "msrv" => {
            return match msrv::run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        "build-cost" => {
            let workspace = std::env::current_dir().unwrap_or_default();
            return match build_cost::run(rest, &workspace) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("error: unknown task `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = regen::Options::parse(rest).and_then(|opts| {
        let cwd = std::env::current_dir()
            .map_err(|e| regen::Error::Io(format!("current directory: {e}")))?;
        regen::run(&opts, &cwd, &mut std::io::stdout().lock())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ regen::Error::Usage(_)) => {
            eprintln!("error: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
