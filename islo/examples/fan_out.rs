//! Many sandboxes at once: 5 sandboxes, 50 commands spread over them with at most 10 in
//! flight, every sandbox deleted at the end (also when a command fails).
//!
//! ```text
//! cargo run --example fan_out
//! ```

mod support;

use futures_util::{stream, StreamExt};
use islo::sandbox::SandboxSpec;

const SANDBOXES: usize = 5;
const COMMANDS: usize = 50;
const IN_FLIGHT: usize = 10;

#[tokio::main]
async fn main() -> islo::Result<()> {
    let (islo, fake) = support::connect().await?;
    // Every creation is awaited, and each sandbox that came up is kept, so that all of them
    // are deleted below even when one creation failed.
    let created = stream::iter(0..SANDBOXES)
        .map(|_| islo.new_sandbox_guarded(SandboxSpec::new()))
        .buffer_unordered(SANDBOXES)
        .collect::<Vec<_>>()
        .await;
    let (guards, failed): (Vec<_>, Vec<_>) = created.into_iter().partition(Result::is_ok);
    let guards: Vec<_> = guards.into_iter().filter_map(Result::ok).collect();
    if let Some(Err(e)) = failed.into_iter().next() {
        delete_all(guards).await?;
        return Err(e);
    }
    let results = stream::iter(0..COMMANDS)
        .map(|i| {
            let sb = guards[i % SANDBOXES].sandbox().clone();
            async move {
                let out = sb.exec(["echo", &format!("job {i}")]).await?;
                Ok::<_, islo::Error>((i, sb.name().to_string(), out))
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    let mut ok = 0;
    for result in &results {
        match result {
            Ok((_, _, out)) if out.success() => ok += 1,
            Ok((i, name, out)) => eprintln!("job {i} on {name}: exit {:?}", out.exit_code),
            Err(e) => eprintln!("{e}"),
        }
    }
    delete_all(guards).await?;
    println!("{ok} of {COMMANDS} commands succeeded on {SANDBOXES} sandboxes; all deleted");
    if let Some(fake) = fake {
        assert_eq!(ok, COMMANDS);
        assert!(fake.sandbox_names().is_empty());
    }
    Ok(())
}

/// Deletes every sandbox (all of them, also after one delete failed), waiting for each; the
/// first failure is returned.
async fn delete_all(guards: Vec<islo::sandbox::SandboxGuard>) -> islo::Result<()> {
    let results = stream::iter(guards)
        .map(|guard| guard.delete())
        .buffer_unordered(SANDBOXES)
        .collect::<Vec<_>>()
        .await;
    results.into_iter().collect()
}
