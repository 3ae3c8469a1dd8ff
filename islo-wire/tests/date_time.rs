//! `DateTime`, the type of every `format: date-time` field and parameter: what it accepts,
//! and that it encodes back to the text it decoded.

use islo_wire::DateTime;
use serde_json::json;

fn decode(text: &str) -> DateTime {
    serde_json::from_value(json!(text)).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn rfc_3339_and_offset_less_iso_8601_decode_and_keep_their_text() {
    for text in [
        "2026-04-12T14:26:35Z",
        "2026-04-12T14:26:35.005991Z",
        "2026-04-12T14:26:35.005991+00:00",
        "2026-04-12T16:26:35.1+02:00",
        "2026-04-12T09:56:35.123456789-04:30",
        "2026-04-12t14:26:35z",
        "2026-04-12 14:26:35Z",
        "2026-04-12T14:26:35.005991",
        "2026-04-12T14:26:35",
        "2026-04-12 14:26:35.5",
    ] {
        let t = decode(text);
        assert_eq!(t.as_str(), text);
        assert_eq!(t.to_string(), text);
        assert_eq!(serde_json::to_value(&t).unwrap(), json!(text), "{text}");
    }
}

#[test]
fn a_date_time_without_an_offset_is_read_as_utc() {
    let naive = decode("2026-04-12T14:26:35.005991");
    assert!(naive.is_naive());
    assert_eq!(naive.offset(), None);
    assert_eq!(
        naive.utc(),
        "2026-04-12T14:26:35.005991Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );
    assert_eq!(
        naive.fixed_offset().to_rfc3339(),
        "2026-04-12T14:26:35.005991+00:00"
    );
    let zoned = decode("2026-04-12T16:26:35.005991+02:00");
    assert!(!zoned.is_naive());
    assert_eq!(zoned.offset().map(|o| o.local_minus_utc()), Some(7200));
    assert_eq!(
        zoned.fixed_offset().to_rfc3339(),
        "2026-04-12T16:26:35.005991+02:00"
    );
}

#[test]
fn values_compare_by_instant() {
    let a = decode("2026-04-12T16:26:35+02:00");
    let b = decode("2026-04-12T14:26:35Z");
    let c = decode("2026-04-12T14:26:35");
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert!(decode("2026-04-12T14:26:36") > a);
    let set: std::collections::HashSet<DateTime> = [a, b, c].into_iter().collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn anything_else_is_refused_naming_the_text() {
    for text in [
        "",
        "yesterday",
        "2026-04-12",
        "2026-04-12T14:26",
        "2026-13-12T14:26:35Z",
        "2026-04-12T14:26:35+2",
        "1712931995",
    ] {
        let err = serde_json::from_value::<DateTime>(json!(text)).unwrap_err();
        assert!(
            err.to_string().contains(&format!("{text:?}")),
            "{text}: {err}"
        );
        assert!(text.parse::<DateTime>().is_err(), "{text}");
    }
    let err = serde_json::from_value::<DateTime>(json!(1712931995)).unwrap_err();
    assert!(err.to_string().contains("date-time"), "{err}");
}

#[test]
fn a_value_made_from_chrono_is_written_in_rfc_3339() {
    let utc: chrono::DateTime<chrono::Utc> = "2026-04-12T14:26:35Z".parse().unwrap();
    let t = DateTime::from(utc);
    assert_eq!(t.as_str(), "2026-04-12T14:26:35Z");
    assert_eq!(chrono::DateTime::<chrono::Utc>::from(t.clone()), utc);
    let fixed = chrono::DateTime::parse_from_rfc3339("2026-04-12T16:26:35.250+02:00").unwrap();
    let t2 = DateTime::from(fixed);
    assert_eq!(t2.as_str(), "2026-04-12T16:26:35.250+02:00");
    assert_eq!(t2, t.clone().max(t2.clone()));
}
