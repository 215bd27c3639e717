//! Text and JSON from outside (feeds, webhooks, services the hub asks) read as senders
//! really write them: a byte-order mark in front, UTF-16 from Windows tools, CRLF or LF,
//! and iCalendar's folded lines (RFC 5545 §3.1) split inside a multi-octet character.

use serde::de::DeserializeOwned;

/// Text the hub could not read as text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InboundError {
    #[error("the text is not UTF-8 (nor UTF-16 with a byte-order mark)")]
    NotText,
    #[error("the JSON cannot be read: {0}")]
    Json(String),
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` as text: UTF-8 with or without a byte-order mark (U+FEFF), or UTF-16 that
/// announces itself with one (FF FE little-endian, FE FF big-endian; RFC 2781 §3.2).
pub fn text(bytes: &[u8]) -> Result<String, InboundError> {
    let utf16 = |le: bool, rest: &[u8]| {
        if !rest.len().is_multiple_of(2) {
            return Err(InboundError::NotText);
        }
        let units = rest.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| InboundError::NotText)
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(true, rest),
        [0xFE, 0xFF, rest @ ..] => utf16(false, rest),
        _ => std::str::from_utf8(bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes))
            .map(str::to_owned)
            .map_err(|_| InboundError::NotText),
    }
}

/// A JSON document from outside, with whatever [`text`] accepts around it.
pub fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, InboundError> {
    let body = text(bytes)?;
    serde_json::from_str(body.trim()).map_err(|e| InboundError::Json(e.to_string()))
}

/// An iCalendar stream as text with its content lines unfolded: a line break (CRLF, or
/// the bare LF real exporters write) followed by one space or tab joins the lines, on
/// octets before decoding, since a fold may fall inside a UTF-8 sequence (RFC 5545 §3.1).
/// Lines come back ending in CRLF, without trailing blanks, with blank lines dropped.
pub fn ical_lines(bytes: &[u8]) -> Result<String, InboundError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut unfolded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let fold = match bytes[i..] {
            [b'\r', b'\n', b' ' | b'\t', ..] => 3,
            [b'\n', b' ' | b'\t', ..] => 2,
            _ => 0,
        };
        if fold > 0 {
            i += fold;
        } else {
            unfolded.push(bytes[i]);
            i += 1;
        }
    }
    let text = text(&unfolded)?;
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    for line in text.lines() {
        let line = line.trim_end();
        if !line.trim_start().is_empty() {
            out.push_str(line.trim_start_matches('\u{feff}'));
            out.push_str("\r\n");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_encodings_are_read() {
        assert_eq!(text(b"\xEF\xBB\xBFhello").unwrap(), "hello");
        assert_eq!(text(b"\xFF\xFEh\0i\0").unwrap(), "hi");
        assert_eq!(text(b"\xFE\xFF\0h\0i").unwrap(), "hi");
        assert_eq!(text(b"\xFF\xFEh"), Err(InboundError::NotText));
        assert_eq!(text(b"caf\xE9"), Err(InboundError::NotText));
        let v: serde_json::Value = json(b"\xEF\xBB\xBF {\"a\": 1}\r\n").unwrap();
        assert_eq!(v["a"], 1);
        assert!(matches!(
            json::<serde_json::Value>(b"{"),
            Err(InboundError::Json(_))
        ));
    }

    #[test]
    fn folds_join_on_octets_even_inside_a_character() {
        // "é" is C3 A9; the fold falls between its two octets.
        let folded = b"\xEF\xBB\xBFBEGIN:VCALENDAR\r\nSUMMARY:Caf\xC3\r\n \xA9 au lait\nDESCRIPTION:a\n\tb  \r\n\r\n   \nEND:VCALENDAR";
        assert_eq!(
            ical_lines(folded).unwrap(),
            "BEGIN:VCALENDAR\r\nSUMMARY:Café au lait\r\nDESCRIPTION:ab\r\nEND:VCALENDAR\r\n"
        );
    }
}
