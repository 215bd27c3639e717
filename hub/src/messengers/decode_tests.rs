//! The platforms' webhook readers against what real senders send and against garbage: a
//! clear error or nothing to do, never a panic, and one unreadable message never sinks the
//! batch around it.

use super::platform::{hmac_sha256_matches, FileRef};
use super::{meta, telegram, viber};

#[test]
fn telegram_reads_a_deep_link_a_photo_and_ignores_groups_and_edits() {
    let start = br#"{"update_id":1,"message":{"message_id":5,"from":{"id":7,"first_name":"Anna","language_code":"ru"},"chat":{"id":7,"type":"private"},"date":1,"text":"/start r-room-102-ab12cd"}}"#;
    let m = &telegram::read(start).unwrap()[0];
    assert_eq!(m.start.as_deref(), Some("r-room-102-ab12cd"));
    assert_eq!((m.address.as_str(), m.language.as_str()), ("7", "ru"));
    let photo = br#"{"update_id":2,"message":{"message_id":6,"chat":{"id":7,"type":"private"},"date":1,"caption":"here","photo":[{"file_id":"small","width":90},{"file_id":"big","width":800}]}}"#;
    let m = &telegram::read(photo).unwrap()[0];
    assert_eq!(m.file, Some(FileRef::Telegram("big".into())));
    assert_eq!(m.text, "here");
    let group = br#"{"update_id":3,"message":{"message_id":7,"chat":{"id":-100,"type":"group"},"date":1,"text":"hi"}}"#;
    assert!(telegram::read(group).unwrap().is_empty());
    let edit = br#"{"update_id":4,"edited_message":{"message_id":7,"chat":{"id":7,"type":"private"},"date":1,"text":"x"}}"#;
    assert!(telegram::read(edit).unwrap().is_empty());
    assert!(telegram::read(b"{\"update_id\":").is_err());
}

#[test]
fn viber_reads_a_message_and_a_started_conversation_and_refuses_half_ones() {
    let started = br#"{"event":"conversation_started","timestamp":1,"message_token":4912661846655238145,"type":"open","context":"s-abc","user":{"id":"u1=","name":"Hans","language":"de"},"subscribed":false}"#;
    let m = &viber::read(started).unwrap()[0];
    assert_eq!(
        (m.start.as_deref(), m.message_id.as_str()),
        (Some("s-abc"), "4912661846655238145")
    );
    let picture = br#"{"event":"message","timestamp":1,"message_token":"9","sender":{"id":"u1="},"message":{"type":"picture","text":"","media":"https://dl-media.viber.com/x.jpg"}}"#;
    assert!(matches!(
        viber::read(picture).unwrap()[0].file,
        Some(FileRef::Url(_))
    ));
    assert!(
        viber::read(br#"{"event":"delivered","timestamp":1,"user_id":"u1="}"#)
            .unwrap()
            .is_empty()
    );
    assert!(viber::read(br#"{"event":"message","timestamp":1}"#).is_err());
}

#[test]
fn whatsapp_skips_what_it_cannot_read_and_keeps_the_rest() {
    let batch = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
        "messages":[{"id":"no-sender","type":"text","text":{"body":"lost"}},
                    {"from":"351961234567","id":"wamid.1","type":"reaction","reaction":{"emoji":"x"}},
                    {"from":"351961234567","id":"wamid.2","type":"text","text":{"body":"kept"}}]}},
        {"field":"messages","value":{"statuses":[{"id":"wamid.0","status":"read"}]}}]}]}"#;
    let read = meta::read_whatsapp(batch).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].text, "kept");
    assert!(meta::read_whatsapp(b"<html>502 Bad Gateway</html>").is_err());
}

#[test]
fn messenger_leaves_out_echoes_and_reads_a_referral() {
    let body = br#"{"object":"page","entry":[{"id":"1","time":1,"messaging":[
        {"sender":{"id":"p1"},"recipient":{"id":"1"},"timestamp":5,"message":{"mid":"m1","text":"ours","is_echo":true}},
        {"sender":{"id":"p2"},"recipient":{"id":"1"},"timestamp":6,"postback":{"payload":"GET_STARTED","referral":{"ref":"r-x","source":"SHORTLINK","type":"OPEN_THREAD"}}}]}]}"#;
    let read = meta::read_messenger(body).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(
        (read[0].address.as_str(), read[0].start.as_deref()),
        ("p2", Some("r-x"))
    );
}

#[test]
fn signatures_are_checked_over_the_raw_bytes() {
    // Meta signs the bytes it sent: re-serialised JSON (an escaped "@", say) would differ.
    let body = "{\"text\":\"caf\\u00e9 @ 8\"}".as_bytes();
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"secret").unwrap();
    mac.update(body);
    let right = hex::encode(mac.finalize().into_bytes());
    assert!(hmac_sha256_matches(b"secret", body, &right));
    assert!(hmac_sha256_matches(b"secret", body, &right.to_uppercase()));
    assert!(!hmac_sha256_matches(
        b"secret",
        b"{\"text\":\"caf\xc3\xa9 @ 8\"}",
        &right
    ));
    assert!(!hmac_sha256_matches(b"secret", body, "not hex"));
}

#[test]
fn garbage_never_panics_a_reader() {
    // A fixed pseudo-random sequence: the same bytes every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let seeds: [&[u8]; 4] = [
        br#"{"update_id":1,"message":{"message_id":5,"chat":{"id":7,"type":"private"},"date":1,"text":"/start"}}"#,
        br#"{"event":"message","timestamp":1,"message_token":1,"sender":{"id":"u"},"message":{"type":"text","text":"x"}}"#,
        br#"{"entry":[{"changes":[{"value":{"messages":[{"from":"1","id":"2","type":"image","image":{"id":"3"}}]}}]}]}"#,
        br#"{"entry":[{"messaging":[{"sender":{"id":"1"},"message":{"mid":"m","attachments":[{"payload":{"url":"u"}}]}}]}]}"#,
    ];
    for _ in 0..2000 {
        let seed = seeds[(next() % 4) as usize];
        let mut bytes = seed.to_vec();
        for _ in 0..(next() % 6) {
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[at] = next() as u8,
                1 => bytes.truncate(at),
                _ => bytes.insert(at, b"{}[]\":,0\\"[(next() % 9) as usize]),
            }
            if bytes.is_empty() {
                break;
            }
        }
        let _ = telegram::read(&bytes);
        let _ = viber::read(&bytes);
        let _ = meta::read_whatsapp(&bytes);
        let _ = meta::read_messenger(&bytes);
    }
}
