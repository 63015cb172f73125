//! The markup of cue text: styling tags and SRT overrides, character references, WebVTT
//! voice tags (`<v Name>`) and dialogue dashes (`- Bonjour.`).

/// Removes markup tags (`<i>`, `</b>`, `<c.yellow>`, `<v Name>`, `<00:00:01.000>`,
/// `<font color="red">`) and SRT overrides (`{\an8}`); a `<` that opens no tag is kept.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['<', '{']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let close = if tail.starts_with('<') { '>' } else { '}' };
        if let Some(j) = tail.find(close) {
            let inner = &tail[1..j];
            let is_tag = if close == '>' {
                let name = inner.strip_prefix('/').unwrap_or(inner);
                !inner.contains('<') && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            } else {
                inner.starts_with('\\')
            };
            if is_tag {
                rest = &tail[j + 1..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// Decodes the character references of WebVTT and HTML: `&amp; &lt; &gt; &quot; &apos;
/// &nbsp; &lrm; &rlm;` and numeric `&#233;`, `&#xE9;`; others are kept as written.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let decoded = tail[1..].find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &tail[1..end + 1];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "lrm" | "rlm" => None,
                _ => {
                    let code = if let Some(hex) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
                        u32::from_str_radix(hex, 16).ok()?
                    } else {
                        name.strip_prefix('#')?.parse().ok()?
                    };
                    Some(char::from_u32(code)?)
                }
            };
            Some((c, end + 2))
        });
        match decoded {
            Some((c, len)) => {
                out.extend(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Tags removed, references decoded, whitespace collapsed.
pub(super) fn clean_cue_text(s: &str) -> String {
    collapse(&decode_entities(&strip_tags(s)))
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits a cue line at WebVTT voice tags into `(voice, raw text)` pieces, in order; text
/// before the first tag has no voice. `<v.loud Esme>` gives `Esme`.
pub(super) fn split_voices(line: &str) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let mut voice: Option<String> = None;
    let mut text = String::new();
    let mut rest = line;
    while let Some((at, after, name)) = find_voice_tag(rest) {
        text.push_str(&rest[..at]);
        if voice.is_some() || !text.trim().is_empty() {
            out.push((voice.take(), std::mem::take(&mut text)));
        }
        text.clear();
        voice = Some(name);
        rest = &rest[after..];
    }
    text.push_str(rest);
    if voice.is_some() || !text.trim().is_empty() {
        out.push((voice, text));
    }
    out
}

/// The next `<v …>` tag: its byte offset, the offset after it, and the voice name.
fn find_voice_tag(s: &str) -> Option<(usize, usize, String)> {
    let mut from = 0;
    while let Some(i) = s[from..].find("<v") {
        let at = from + i;
        let after_v = &s[at + 2..];
        if after_v.starts_with([' ', '\t', '.', '>']) {
            let close = after_v.find('>')?;
            let inner = &after_v[..close];
            let annotation = match inner.find(char::is_whitespace) {
                Some(space) => inner[space..].trim(),
                None => "",
            };
            return Some((at, at + 2 + close + 1, annotation.to_string()));
        }
        from = at + 2;
    }
    None
}

/// `(true, rest)` when a line opens with a dialogue dash (`- `, `– `, `—`, or `-Bonjour`).
pub(super) fn strip_dash(line: &str) -> (bool, &str) {
    let mut chars = line.chars();
    match chars.next() {
        Some('-' | '\u{2013}' | '\u{2014}') => {
            let rest = chars.as_str();
            match rest.chars().next() {
                Some(c) if c.is_whitespace() => (true, rest.trim_start()),
                Some(c) if c.is_alphabetic() || matches!(c, '"' | '«' | '\u{201c}' | '[') => (true, rest),
                _ => (false, line),
            }
        }
        _ => (false, line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_tags_split_a_cue_line() {
        let v = split_voices("<v.loud Esme Jones>Hi there</v> <v Bob>Yo");
        let cleaned: Vec<(Option<String>, String)> = v.into_iter().map(|(n, t)| (n, clean_cue_text(&t))).collect();
        assert_eq!(cleaned, vec![(Some("Esme Jones".into()), "Hi there".into()), (Some("Bob".into()), "Yo".into())]);
        assert_eq!(split_voices("plain text"), vec![(None, "plain text".to_string())]);
        assert_eq!(split_voices("<v>anonymous"), vec![(Some(String::new()), "anonymous".to_string())]);
        assert_eq!(split_voices("a <very> odd line"), vec![(None, "a <very> odd line".to_string())]);
    }

    #[test]
    fn styling_tags_and_references_are_removed() {
        assert_eq!(
            clean_cue_text("<i>home</i> &amp; <c.yellow.bg_blue>away</c>  <00:00:01.000>3 < 5 > 2"),
            "home & away 3 < 5 > 2"
        );
        assert_eq!(clean_cue_text("{\\an8}<font color=\"red\">Allô</font> ?"), "Allô ?");
        assert_eq!(decode_entities("caf&#233; &#xE9;t&eacute; &lt;b&gt;&nbsp;x"), "café ét&eacute; <b>\u{a0}x");
        assert_eq!(clean_cue_text("&lrm;Bonjour&nbsp;!"), "Bonjour !");
    }

    #[test]
    fn dialogue_dashes() {
        assert_eq!(strip_dash("- Bonjour."), (true, "Bonjour."));
        assert_eq!(strip_dash("-Bonjour."), (true, "Bonjour."));
        assert_eq!(strip_dash("– Oui"), (true, "Oui"));
        assert_eq!(strip_dash("-10% sur tout"), (false, "-10% sur tout"));
        assert_eq!(strip_dash("Bonjour - oui"), (false, "Bonjour - oui"));
    }
}
