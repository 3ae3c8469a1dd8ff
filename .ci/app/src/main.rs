//! A fresh application that depends on the packaged crates only (see `.ci/package-check`):
//! the quickstart flow against the fake Islo.

use islo::sandbox::SandboxSpec;

#[tokio::main]
async fn main() -> islo::Result<()> {
    let fake = islo::mock::FakeIslo::start().await?;
    let islo = fake.client()?;
    let out = islo
        .with_sandbox(SandboxSpec::new(), |sb| async move {
            sb.exec(["echo", "Hello from the packaged crates"]).await
        })
        .await?;
    assert_eq!(out.stdout, "Hello from the packaged crates\n");
    assert!(fake.sandbox_names().is_empty(), "the sandbox was deleted");
    println!(
        "the packaged islo (API {}): {}",
        islo::API_VERSION,
        out.stdout.trim_end()
    );
    Ok(())
}
