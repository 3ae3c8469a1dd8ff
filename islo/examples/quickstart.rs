//! The quickstart: create a sandbox, run a command, print its output, delete the sandbox.
//!
//! With no `ISLO_API_KEY` in the environment it starts the built-in fake Islo on loopback and
//! runs against that; with a key it runs against Islo (honouring `ISLO_BASE_URL` and
//! `ISLO_COMPUTE_URL`).
//!
//! ```text
//! cargo run --example quickstart
//! ```

use islo::types::SandboxCreate;
use std::time::Duration;

/// The seed flow, printing each step through `say`. Returns the command's stdout.
pub async fn run_flow(islo: &islo::Islo, say: &mut dyn FnMut(String)) -> islo::Result<String> {
    let name = format!("quickstart-{}", std::process::id());
    say(format!("1. Creating sandbox {name} ..."));
    let sandbox = islo
        .create_sandbox(SandboxCreate {
            name: Some(name.clone()),
            image: Some("python:3.12-slim".into()),
            ..Default::default()
        })
        .send()
        .await?
        .into_inner();
    say(format!(
        "   created: {} (status {})",
        sandbox.name, sandbox.status
    ));

    say("2. Waiting until it runs ...".to_string());
    islo.sandbox(&sandbox.name)
        .wait_until_running(Duration::from_secs(300))
        .await?;

    say("3. Running: echo \"Hello from sandbox\"".to_string());
    let out = islo
        .sandbox(&sandbox.name)
        .exec(["echo", "Hello from sandbox"])
        .await?;
    say(format!("   stdout: {}", out.stdout.trim_end()));
    say(format!(
        "   exit code: {}",
        out.exit_code.map_or("none".to_string(), |c| c.to_string())
    ));

    say(format!("4. Deleting sandbox {} ...", sandbox.name));
    islo.sandbox(&sandbox.name).delete().await?;
    say("Done.".to_string());
    Ok(out.stdout)
}

/// A client for the real service when `ISLO_API_KEY` is set, else for a fresh fake Islo
/// (returned too, so it lives as long as the client).
pub async fn connect(
    say: &mut dyn FnMut(String),
) -> Result<(islo::Islo, Option<islo::mock::FakeIslo>), Box<dyn std::error::Error>> {
    let has_key = std::env::var("ISLO_API_KEY").is_ok_and(|k| !k.trim().is_empty());
    if has_key {
        let islo = islo::Islo::from_env()?;
        say(format!("Using Islo at {}", islo.control_url()));
        return Ok((islo, None));
    }
    let fake = islo::mock::FakeIslo::start().await?;
    say(format!(
        "No ISLO_API_KEY set: running against the built-in fake Islo at {}",
        fake.control_url()
    ));
    let islo = islo::Islo::builder()
        .ignore_env()
        .api_key(fake.api_key())
        .control_url(fake.control_url())
        .compute_url(fake.compute_url())
        .build()?;
    Ok((islo, Some(fake)))
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut say = |line: String| println!("{line}");
    let (islo, _fake) = connect(&mut say).await?;
    run_flow(&islo, &mut say).await?;
    Ok(())
}
