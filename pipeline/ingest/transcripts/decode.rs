//! Decoding a whole transcript file: UTF-16 announced by a byte-order mark, else UTF-8
//! with [`decode_bytes`] for the bytes that are not; empty and binary files recognised.

use crate::normalise::mojibake::decode_bytes;

/// What a whole file holds once decoded.
pub(super) enum Decoded {
    Text { text: String, invalid_utf8: bool },
    Empty,
    Binary(String),
}

/// Decodes a whole file: UTF-16 with a byte-order mark, else UTF-8 (BOM removed) with
/// [`decode_bytes`] for invalid bytes; binary content and empty files are recognised.
pub(super) fn decode_file(bytes: &[u8]) -> Decoded {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Decoded::Empty;
    }
    let (text, invalid_utf8) = if let Some(text) = decode_utf16(bytes) {
        text
    } else {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if body.contains(&0) {
            return Decoded::Binary("binary file: it contains NUL bytes".into());
        }
        let controls =
            body.iter().filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f).count();
        if controls * 20 > body.len() {
            return Decoded::Binary(format!(
                "binary file: {}% of its bytes are control characters",
                controls * 100 / body.len().max(1)
            ));
        }
        decode_bytes(body)
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => text,
    };
    if text.trim().is_empty() {
        Decoded::Empty
    } else {
        Decoded::Text { text, invalid_utf8 }
    }
}

/// UTF-16 announced by a byte-order mark; the flag is set when it was not valid UTF-16.
pub(super) fn decode_utf16(bytes: &[u8]) -> Option<(String, bool)> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let body = &bytes[2..];
    let units: Vec<u16> = body
        .chunks_exact(2)
        .map(|p| if little { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) })
        .collect();
    let odd = body.len() % 2 == 1;
    Some(match String::from_utf16(&units) {
        Ok(text) => (text, odd),
        Err(_) => (String::from_utf16_lossy(&units), true),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::ingest::transcripts::tests::{map, one, rejected, roles_of};
    use crate::ingest::transcripts::{read_bytes, read_file, RoleMap, TranscriptFormat, TranscriptRecord};

    #[test]
    fn text_in_windows_1252_is_decoded_and_flagged() {
        let t = one("latin1_call_fr.txt");
        assert!(t.invalid_utf8);
        assert_eq!(t.visit_id, "V00070");
        assert_eq!(roles_of(&t), ["shopper", "staff"]);
        assert!(t.turns[0].text.contains("carte de fidélité était acceptée"));
        assert!(t.turns[1].text.contains("dématérialisée"));
    }

    #[test]
    fn empty_and_binary_files_are_rejected() {
        assert_eq!(rejected("empty.txt", &map()), (None, "empty file".to_string()));
        let (line, reason) = rejected("binary.vtt", &map());
        assert_eq!(line, None);
        assert!(reason.starts_with("binary file"), "{reason}");
    }

    #[test]
    fn utf16_and_unreadable_files() {
        let text = "Agent : Bonjour, je vous écoute.\nClient : Bonjour.\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let records =
            read_bytes(&bytes, Path::new("V9.txt"), TranscriptFormat::Text, &HashMap::new(), &RoleMap::default());
        match &records[0] {
            TranscriptRecord::Transcript(t) => {
                assert!(!t.invalid_utf8, "UTF-16 with a BOM is a known encoding");
                assert_eq!(t.visit_id, "V9");
                assert_eq!(t.turns[0].text, "Bonjour, je vous écoute.");
            }
            other => panic!("{other:?}"),
        }
        let err = read_file(
            Path::new("/nonexistent/x.txt"),
            TranscriptFormat::Text,
            &HashMap::new(),
            &RoleMap::default(),
            &super::super::Limits::default(),
        );
        assert!(err.unwrap_err().reason.starts_with("cannot open"));
        assert!(matches!(decode_file(b"\x01\x02\x03abc\x04\x05"), Decoded::Binary(_)));
    }
}
