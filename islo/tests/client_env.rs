//! URL and key precedence: explicit URL > `environment(..)` > environment variable >
//! production (as in the Go SDK, where `WithEnvironment` is an explicit option).
//! Environment variables are process-wide, so everything lives in one test function.

use islo::{Environment, Islo};

#[test]
fn url_precedence_is_explicit_then_environment_then_env_var_then_production() {
    let env = Environment::new("http://staging-control.test", "http://staging-compute.test");
    for v in [islo::ENV_BASE_URL, islo::ENV_COMPUTE_URL, islo::ENV_API_KEY] {
        std::env::remove_var(v);
    }

    // Nothing set: production.
    let c = Islo::builder().api_key("ak_env_test_key").build().unwrap();
    assert_eq!(c.control_url(), islo::PRODUCTION_CONTROL_URL);
    assert_eq!(c.compute_url(), islo::PRODUCTION_COMPUTE_URL);

    // environment(..) beats production.
    let c = Islo::builder()
        .api_key("ak_env_test_key")
        .environment(env.clone())
        .build()
        .unwrap();
    assert_eq!(c.control_url(), "http://staging-control.test");
    assert_eq!(c.compute_url(), "http://staging-compute.test");

    // Environment variables beat production, each plane on its own.
    std::env::set_var(islo::ENV_BASE_URL, "http://env-control.test/");
    let c = Islo::builder().api_key("ak_env_test_key").build().unwrap();
    assert_eq!(c.control_url(), "http://env-control.test");
    assert_eq!(c.compute_url(), islo::PRODUCTION_COMPUTE_URL);
    std::env::set_var(islo::ENV_COMPUTE_URL, "http://env-compute.test");
    let c = Islo::builder().api_key("ak_env_test_key").build().unwrap();
    assert_eq!(c.control_url(), "http://env-control.test");
    assert_eq!(c.compute_url(), "http://env-compute.test");

    // environment(..), set in code, beats the variables: both planes stay in the one
    // deployment it names, even when only one variable is set.
    let c = Islo::builder()
        .api_key("ak_env_test_key")
        .environment(env.clone())
        .build()
        .unwrap();
    assert_eq!(c.control_url(), "http://staging-control.test");
    assert_eq!(c.compute_url(), "http://staging-compute.test");
    std::env::remove_var(islo::ENV_COMPUTE_URL);
    let c = Islo::builder()
        .api_key("ak_env_test_key")
        .environment(env.clone())
        .build()
        .unwrap();
    assert_eq!(c.control_url(), "http://staging-control.test");
    assert_eq!(c.compute_url(), "http://staging-compute.test");
    std::env::set_var(islo::ENV_COMPUTE_URL, "http://env-compute.test");

    // Explicit URLs beat everything (each plane independently).
    let c = Islo::builder()
        .api_key("ak_env_test_key")
        .environment(env.clone())
        .control_url("http://explicit-control.test")
        .build()
        .unwrap();
    assert_eq!(c.control_url(), "http://explicit-control.test");
    assert_eq!(c.compute_url(), "http://staging-compute.test");
    let c = Islo::builder()
        .api_key("ak_env_test_key")
        .compute_url("http://explicit-compute.test")
        .build()
        .unwrap();
    assert_eq!(c.control_url(), "http://env-control.test");
    assert_eq!(c.compute_url(), "http://explicit-compute.test");

    // ignore_env() skips the variables.
    let c = Islo::builder()
        .ignore_env()
        .api_key("ak_env_test_key")
        .environment(env.clone())
        .build()
        .unwrap();
    assert_eq!(c.control_url(), "http://staging-control.test");

    // Blank variables count as unset.
    std::env::set_var(islo::ENV_BASE_URL, "  ");
    let c = Islo::builder().api_key("ak_env_test_key").build().unwrap();
    assert_eq!(c.control_url(), islo::PRODUCTION_CONTROL_URL);

    // An invalid URL in a variable is a configuration error.
    std::env::set_var(islo::ENV_BASE_URL, "ftp://nope");
    let e = Islo::builder()
        .api_key("ak_env_test_key")
        .build()
        .unwrap_err();
    assert!(matches!(e, islo::Error::Config(_)), "{e}");
    std::env::remove_var(islo::ENV_BASE_URL);

    // The key: explicit beats ISLO_API_KEY; from_env() reads it; missing is an error.
    let e = Islo::from_env().unwrap_err();
    assert!(e.to_string().contains(islo::ENV_API_KEY), "{e}");
    std::env::set_var(islo::ENV_API_KEY, "ak_from_env_variable");
    let c = Islo::from_env().unwrap();
    assert!(!format!("{c:?}").contains("ak_from_env_variable"));
    let e = Islo::builder().ignore_env().build().unwrap_err();
    assert!(matches!(e, islo::Error::Config(_)), "{e}");
    // ... and the message does not send the caller to a variable that is ignored.
    assert!(!e.to_string().contains(islo::ENV_API_KEY), "{e}");
    // `IsloBuilder::default()` is `Islo::builder()`: it reads the environment too.
    let c = islo::IsloBuilder::default().build().unwrap();
    assert_eq!(c.control_url(), islo::PRODUCTION_CONTROL_URL);
    std::env::set_var(islo::ENV_BASE_URL, "http://env-control.test");
    let c = islo::IsloBuilder::default().build().unwrap();
    assert_eq!(c.control_url(), "http://env-control.test");

    for v in [islo::ENV_BASE_URL, islo::ENV_COMPUTE_URL, islo::ENV_API_KEY] {
        std::env::remove_var(v);
    }
}
