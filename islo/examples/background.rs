//! A command started in the background, its id kept, and the command picked up again from
//! another client (as another task or process would) to wait for its result.
//!
//! ```text
//! cargo run --example background
//! ```

mod support;

use islo::sandbox::SandboxSpec;

#[tokio::main]
async fn main() -> islo::Result<()> {
    let (islo, fake) = support::connect().await?;
    let guard = islo.new_sandbox_guarded(SandboxSpec::new()).await?;
    // The work in a block whose result waits for the delete: the sandbox goes however it
    // ended (a guard's drop alone would hand the delete to a runtime about to shut down).
    let work = async {
        let job = guard
            .spawn(islo::exec::sh("sleep 2; echo finished"))
            .await?;
        // Anything that can hold two strings can hold the command: a database row, a file, ...
        let (sandbox, id) = (guard.name().to_string(), job.id().to_string());
        println!("started {id} in {sandbox}");
        drop(job);

        // Later, from a client built anew.
        let other = match &fake {
            Some(fake) => fake.client()?,
            None => islo::Islo::from_env()?,
        };
        let again = other.sandbox(&sandbox).exec_handle(&id);
        println!("status now: {:?}", again.poll().await?.status);
        let out = again.wait().await?;
        print!("{}", out.stdout);
        println!("{id} ended with {:?} ({:?})", out.exit_code, out.status);
        Ok::<_, islo::Error>(out)
    }
    .await;
    let deleted = guard.delete().await;
    let out = work?;
    deleted?;
    if let Some(fake) = fake {
        assert_eq!(out.stdout, "finished\n");
        assert!(fake.sandbox_names().is_empty());
    }
    Ok(())
}
