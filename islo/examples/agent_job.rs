//! The job an agent hands to a sandbox: send a project in, run its tests with the output
//! streamed to this terminal, bring the artifacts back, and never leave the sandbox behind.
//!
//! ```text
//! cargo run --example agent_job [PROJECT_DIR [COMMAND…]]
//! ```
//!
//! Without arguments it makes a small sample project and runs a shell script that "tests"
//! it and writes a report into `artifacts/`. With `ISLO_API_KEY` set the same job runs on
//! Islo, e.g. `cargo run --example agent_job ./my-crate cargo test`.
//!
//! The sandbox is held by a [`SandboxGuard`](islo::sandbox::SandboxGuard), and the job's
//! steps run in an inner block whose result is kept while the sandbox is deleted: the
//! delete runs and is confirmed however the job ended (a failed step included) before the
//! error is reported. (A guard's drop only hands the delete to the runtime, which a
//! returning `main` shuts down at once; `Islo::with_sandbox` also covers a panic.)

mod support;

use islo::archive::ArchiveOptions;
use islo::exec::ExecOptions;
use islo::sandbox::SandboxSpec;
use islo::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the project goes in the sandbox, and where its artifacts are looked for.
const REMOTE_PROJECT: &str = "/workspace/project";
const REMOTE_ARTIFACTS: &str = "/workspace/project/artifacts";

/// The sample's "test suite": real `sh`, so it runs the same on Islo and on the fake.
const SAMPLE_TESTS: &str = "ls && test -f src/lib.rs && echo 'running 2 tests' \
    && mkdir -p artifacts && echo '2 passed; 0 failed' > artifacts/report.txt \
    && cat artifacts/report.txt";

fn io(context: &str) -> impl FnOnce(std::io::Error) -> islo::Error + '_ {
    move |source| islo::Error::Io {
        context: context.to_owned(),
        source,
    }
}

/// A tiny project to send when none is given (with a `target/` that must not be sent).
fn sample_project(root: &Path) -> islo::Result<()> {
    std::fs::create_dir_all(root.join("src")).map_err(io("making the sample project"))?;
    std::fs::create_dir_all(root.join("target/debug")).map_err(io("making the sample project"))?;
    for (path, text) in [
        (
            "Cargo.toml",
            "[package]\nname = \"sample\"\nversion = \"0.1.0\"\n",
        ),
        ("src/lib.rs", "pub fn two() -> u32 { 2 }\n"),
        (
            "target/debug/huge.bin",
            "build output the sandbox does not need\n",
        ),
    ] {
        std::fs::write(root.join(path), text).map_err(io("writing the sample project"))?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> islo::Result<()> {
    let mut args = std::env::args().skip(1);
    let scratch = std::env::temp_dir().join(format!("islo-agent-job-{}", std::process::id()));
    let project = match args.next() {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dir = scratch.join("sample");
            sample_project(&dir)?;
            dir
        }
    };
    let given: Vec<String> = args.collect();
    let command = if given.is_empty() {
        vec!["sh".to_owned(), "-c".to_owned(), SAMPLE_TESTS.to_owned()]
    } else {
        given
    };

    let (islo, fake) = support::connect().await?;
    // Deleted below on every way out; the server deletes it after an hour even if this
    // process dies first.
    let sandbox = islo
        .new_sandbox_guarded(SandboxSpec::new().delete_after(Duration::from_secs(3600)))
        .await?;
    eprintln!("sandbox {} is running", sandbox.name());
    let local_artifacts = scratch.join("artifacts");
    let job = async {
        // 1. The project in, without build output or version control.
        let skip = ArchiveOptions::new().exclude("target").exclude(".git");
        sandbox.upload_dir(&project, REMOTE_PROJECT, skip).await?;
        if let Some(fake) = &fake {
            let sent = |path: &str| fake.read_file(sandbox.name(), path).is_some();
            assert!(sent("/workspace/project/src/lib.rs"));
            assert!(!sent("/workspace/project/target/debug/huge.bin"));
        }

        // 2. The tests, their output arriving here as it is produced.
        // The server stops the command after 30 minutes; the stream is bounded here too (a
        // stream does not take `ExecOptions::timeout`).
        let options = ExecOptions::new()
            .workdir(REMOTE_PROJECT)
            .server_timeout(Duration::from_secs(30 * 60));
        let (mut stdout, mut stderr) = (tokio::io::stdout(), tokio::io::stderr());
        let run = tokio::time::timeout(
            Duration::from_secs(31 * 60),
            sandbox.exec_to_writers(command, options, &mut stdout, &mut stderr),
        )
        .await
        .map_err(|_| islo::Error::Deadline("the tests"))??;
        for message in &run.errors {
            eprintln!("the sandbox reported: {message}");
        }

        // 3. The artifacts back, whether the tests passed or not (there may be none).
        let fetched = match sandbox
            .download_dir(REMOTE_ARTIFACTS, &local_artifacts)
            .await
        {
            Ok(summary) => Some(summary),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        match &fetched {
            Some(s) => eprintln!(
                "{} artifact file(s), {} bytes, in {}",
                s.files,
                s.bytes,
                local_artifacts.display()
            ),
            None => eprintln!("the job left no {REMOTE_ARTIFACTS}"),
        }
        Ok::<_, islo::Error>(run)
    }
    .await;

    // 4. The sandbox gone, confirmed, however the job ended, before the job reports.
    let name = sandbox.name().to_owned();
    let deleted = sandbox.delete().await;
    let run = job?;
    deleted?;
    eprintln!(
        "sandbox {name} deleted; tests exited with {}",
        run.exit_code
    );

    if let Some(fake) = fake {
        // Offline, the example checks what it did.
        assert_eq!(run.exit_code, 0);
        let report = std::fs::read_to_string(local_artifacts.join("report.txt"))
            .map_err(io("reading the report"))?;
        assert_eq!(report, "2 passed; 0 failed\n");
        assert!(fake.sandbox_names().is_empty());
        let _ = std::fs::remove_dir_all(&scratch);
    }
    if run.exit_code != 0 {
        // A process's own exit status is 0..=255 on Unix: report any failure as 1..=255.
        std::process::exit(i32::try_from(run.exit_code.clamp(1, 255)).unwrap_or(1));
    }
    Ok(())
}
