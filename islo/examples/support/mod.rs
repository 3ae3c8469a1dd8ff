//! What every example shares: a client for Islo itself when `ISLO_API_KEY` is set, else for
//! the built-in fake Islo on loopback (returned too, so that it lives as long as the client).

/// The client, and the fake when the example runs offline.
pub async fn connect() -> islo::Result<(islo::Islo, Option<islo::mock::FakeIslo>)> {
    if std::env::var("ISLO_API_KEY").is_ok_and(|k| !k.trim().is_empty()) {
        let islo = islo::Islo::from_env()?;
        eprintln!("Using Islo at {}", islo.control_url());
        return Ok((islo, None));
    }
    let fake = islo::mock::FakeIslo::start().await?;
    eprintln!(
        "No ISLO_API_KEY set: running against the built-in fake Islo at {}",
        fake.control_url()
    );
    Ok((fake.client()?, Some(fake)))
}
