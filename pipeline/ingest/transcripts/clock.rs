//! Times of transcripts: clock times (`HH:MM:SS.mmm`, `MM:SS,mmm`), cue timing lines
//! (`start --> end`), the leading timestamps of text lines (`[00:01:23]`) and the
//! longest time a transcript may give.

/// Parses a clock time into milliseconds: `HH:MM:SS`, `MM:SS`, each optionally followed by
/// a fraction after `.` or `,` (`00:01:02.5` is 62,500 ms; digits past the millisecond are
/// dropped). Hours may have any number of digits; minutes and seconds are below 60 when
/// hours are given. `None` for anything else.
pub fn parse_clock(s: &str) -> Option<u64> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [m, sec] => ("0", *m, *sec),
        [h, m, sec] => (*h, *m, *sec),
        _ => return None,
    };
    let number = |p: &str, max_len: usize| -> Option<u64> {
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let h = number(hours, 6)?;
    let m = number(minutes, if parts.len() == 3 { 2 } else { 4 })?;
    let (whole, fraction) = match seconds.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (seconds, None),
    };
    let sec = number(whole, 2)?;
    if sec >= 60 || (parts.len() == 3 && m >= 60) {
        return None;
    }
    let ms = match fraction {
        None => 0,
        Some(f) => {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let padded = format!("{f:0<3}");
            padded[..3].parse::<u64>().ok()?
        }
    };
    h.checked_mul(60)?.checked_add(m)?.checked_mul(60)?.checked_add(sec)?.checked_mul(1000)?.checked_add(ms)
}

/// Formats milliseconds as `HH:MM:SS.mmm`, for messages.
pub(super) fn format_clock(ms: u64) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    format!("{h:02}:{:02}:{:02}.{:03}", rest / 60_000, rest % 60_000 / 1000, rest % 1000)
}

/// Parses a cue timing line, `start --> end [cue settings]`, into milliseconds.
pub(super) fn parse_timing(line: &str) -> Result<(u64, u64), String> {
    let (a, b) = line.split_once("-->").ok_or("no `-->` between the two times")?;
    let a = a.trim();
    let start = parse_clock(a).ok_or_else(|| format!("start {a:?} is not a time"))?;
    let b = b.split_whitespace().next().ok_or("no end time")?;
    let end = parse_clock(b).ok_or_else(|| format!("end {b:?} is not a time"))?;
    Ok((check_time(start, "start")?, check_time(end, "end")?))
}

/// Whether a line is meant as a timing line, broken or not: it has an arrow, or it starts
/// like a clock (`00:`).
pub(super) fn looks_like_timing(line: &str) -> bool {
    let b = line.trim().as_bytes();
    line.contains("->")
        || line.contains('\u{2192}')
        || (b.len() >= 3 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b':')
}

/// The latest time a transcript may give (48 hours): a later one is a broken value,
/// which would overflow the sums of durations.
pub const MAX_TIME_MS: u64 = 48 * 3_600_000;

/// `Err` naming the limit when a time is after [`MAX_TIME_MS`].
fn check_time(ms: u64, what: &str) -> Result<u64, String> {
    if ms > MAX_TIME_MS {
        return Err(format!(
            "{what} {} is over {} hours, the longest a transcript may run",
            format_clock(ms),
            MAX_TIME_MS / 3_600_000
        ));
    }
    Ok(ms)
}

/// Splits a leading `[00:01:23]`, `[01:23]` or `(00:01:23)` timestamp off a line.
pub(super) fn strip_timestamp(line: &str) -> (Option<u64>, &str) {
    let close = match line.as_bytes().first() {
        Some(b'[') => ']',
        Some(b'(') => ')',
        _ => return (None, line),
    };
    let Some(end) = line.find(close) else {
        return (None, line);
    };
    match parse_clock(&line[1..end]) {
        Some(ms) if ms <= MAX_TIME_MS => (Some(ms), line[end + 1..].trim_start()),
        _ => (None, line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_in_milliseconds() {
        assert_eq!(parse_clock("01:02:03.456"), Some(3_723_456));
        assert_eq!(parse_clock("00:00:01,250"), Some(1_250));
        assert_eq!(parse_clock("02:03.5"), Some(123_500));
        assert_eq!(parse_clock("1:02:03"), Some(3_723_000));
        assert_eq!(parse_clock("100:00:00.000"), Some(360_000_000));
        assert_eq!(parse_clock("75:30"), Some(4_530_000), "minutes past the hour without hours");
        assert_eq!(parse_clock("00:00:01.123456"), Some(1_123), "digits past the ms are dropped");
        for bad in ["", "12", "aa:bb", "00:61:00", "00:00:60", "00:00:01.", "00:1O:00", "1:2:3:4", "-1:00"] {
            assert_eq!(parse_clock(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn timing_lines() {
        assert_eq!(parse_timing("00:00:01.000 --> 00:00:04.500 align:start position:10%"), Ok((1_000, 4_500)));
        assert_eq!(parse_timing("00:01,000-->00:02,000"), Ok((1_000, 2_000)));
        assert!(parse_timing("00:00:01,000 -> 00:00:02,000").unwrap_err().contains("-->"));
        assert!(parse_timing("00:00:01,000 --> 00:00:0x,000").unwrap_err().contains("end"));
        assert!(parse_timing("00:00:01,000 --> ").unwrap_err().contains("no end"));
        assert!(looks_like_timing("00:00:08,500 -> 00:00:1O,000"));
        assert!(looks_like_timing("00:00:08 00:00:09"));
        assert!(!looks_like_timing("Bonjour à tous"));
    }

    #[test]
    fn leading_timestamps_of_text_lines() {
        assert_eq!(strip_timestamp("[00:01:23] Client : oui"), (Some(83_000), "Client : oui"));
        assert_eq!(strip_timestamp("[01:23] Client : oui"), (Some(83_000), "Client : oui"));
        assert_eq!(strip_timestamp("(00:01:23) Agent: yes"), (Some(83_000), "Agent: yes"));
        assert_eq!(strip_timestamp("[00:00:02.500]Agent: yes"), (Some(2_500), "Agent: yes"));
        assert_eq!(strip_timestamp("[Agent] yes"), (None, "[Agent] yes"));
        assert_eq!(strip_timestamp("(rires) oui"), (None, "(rires) oui"));
    }
}
