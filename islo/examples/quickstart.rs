//! The quickstart: create a sandbox, run a command, print its output, delete the sandbox.
//!
//! With no `ISLO_API_KEY` in the environment it starts the built-in fake Islo on loopback and
//! runs against that; with a key it runs against Islo (honouring `ISLO_BASE_URL` and
//! `ISLO_COMPUTE_URL`).
//!
//! ```text
//! cargo run --example quickstart --features mock
//! ```

use islo::prelude::*;
use islo::types::SandboxCreate;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let has_key = std::env::var("ISLO_API_KEY").is_ok_and(|k| !k.trim().is_empty());
    // Keep the fake alive for the whole run.
    let (islo, _fake) = if has_key {
        println!(
            "Using Islo at {}",
            std::env::var("ISLO_BASE_URL").unwrap_or_else(|_| islo::PRODUCTION_CONTROL_URL.into())
        );
        (islo::Islo::from_env()?, None)
    } else {
        let fake = islo::mock::FakeIslo::start().await?;
        println!(
            "No ISLO_API_KEY set: running against the built-in fake Islo at {}",
            fake.control_url()
        );
        let islo = islo::Islo::builder()
            .ignore_env()
            .api_key(fake.api_key())
            .base_url(fake.control_url())
            .compute_url(fake.compute_url())
            .build()?;
        (islo, Some(fake))
    };

    let name = format!("quickstart-{}", std::process::id());
    println!("1. Creating sandbox {name} ...");
    let sandbox = islo
        .create_sandbox()
        .body(SandboxCreate {
            name: Some(name.clone()),
            image: Some("python:3.12-slim".into()),
            ..Default::default()
        })
        .send()
        .await?
        .into_inner();
    println!("   created: {} (status {})", sandbox.name, sandbox.status);

    println!("2. Waiting until it runs ...");
    islo.wait_until_running(&sandbox.name, Duration::from_secs(300))
        .await?;

    println!("3. Running: echo \"Hello from sandbox\"");
    let out = islo
        .exec(&sandbox.name, ["echo", "Hello from sandbox"])
        .await?;
    println!("   stdout: {}", out.stdout.trim_end());
    println!(
        "   exit code: {}",
        out.exit_code.map_or("none".to_string(), |c| c.to_string())
    );

    println!("4. Deleting sandbox {} ...", sandbox.name);
    islo.delete_sandbox_if_exists(&sandbox.name).await?;
    println!("Done.");
    Ok(())
}
