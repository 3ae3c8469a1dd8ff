//! The quickstart: a sandbox, a command in it, its output, and the sandbox deleted however
//! the work ends.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Without `ISLO_API_KEY` it runs against the built-in fake Islo; with it, against Islo.

mod support;

use islo::sandbox::SandboxSpec;

#[tokio::main]
async fn main() -> islo::Result<()> {
    let (islo, fake) = support::connect().await?;
    let out = islo
        .with_sandbox(
            SandboxSpec::new().image("python:3.12-slim"),
            |sb| async move {
                println!("sandbox {} is running", sb.name());
                sb.exec(["echo", "Hello from sandbox"]).await
            },
        )
        .await?;
    print!("{}", out.stdout);
    println!("exit code {:?}; the sandbox is deleted", out.exit_code);
    if let Some(fake) = fake {
        // Offline, check what happened (CI runs this).
        assert_eq!(out.stdout, "Hello from sandbox\n");
        assert!(fake.sandbox_names().is_empty());
    }
    Ok(())
}
