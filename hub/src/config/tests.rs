//! The config file's rules: the printed example is the default, environment overrides,
//! unknown keys and invalid values named, secrets never printed.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_printed_example_is_the_default() {
    let table: toml::Table = toml::from_str(EXAMPLE).unwrap();
    let parsed = Config::deserialize(toml::Value::Table(table)).unwrap();
    assert_eq!(parsed, Config::default());
}

#[test]
fn env_overrides_keep_types_and_nest() {
    let c = Config::load(
        None,
        env(&[
            ("HUB_WEB__HTTP_LISTEN", "127.0.0.1:9000"),
            ("HUB_BROKER__MAX_CONNECTIONS", "12"),
            ("HUB_MDNS__INTERFACES", "[\"lo\"]"),
            ("HUB_CONFIG", "/ignored.toml"),
            ("PATH", "/bin"),
        ]),
    )
    .unwrap();
    assert_eq!(
        c.web.http_listen,
        "127.0.0.1:9000".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(c.broker.max_connections, 12);
    assert_eq!(c.mdns.interfaces, vec!["lo".to_string()]);
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.toml");
    std::fs::write(&path, "[web]\nhttp_lisen = \"0.0.0.0:80\"\n").unwrap();
    let err = Config::load(Some(&path), env(&[])).unwrap_err().to_string();
    assert!(err.contains("http_lisen"), "{err}");
    let err = Config::load(None, env(&[("HUB_WEB__NOPE", "1")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn invalid_values_name_their_key() {
    let err = Config::load(None, env(&[("HUB_WEB__HOST_NAME", "my hub!")])).unwrap_err();
    assert!(err.to_string().contains("web.host_name"));
    let err = Config::load(None, env(&[("HUB_WEB__TLS_CERT", "/x.pem")])).unwrap_err();
    assert!(err.to_string().contains("tls_key"));
}

#[test]
fn the_smtp_password_is_never_printed() {
    let mut c = Config::default();
    c.smtp.password = "hunter2".into();
    assert!(!format!("{c:?}").contains("hunter2"));
}
