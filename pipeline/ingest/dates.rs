//! Dates and times as exports write them, read into typed values: days since 1970-01-01
//! for dates, microseconds since the Unix epoch (UTC) for timestamps.
//!
//! A [`DateParser`] tries, in order:
//!
//! 1. the custom format given with `--date-format`, in chrono's strftime syntax (e.g.
//!    `%d %m %Y`, `%Y%m%d %H%M`, `%d/%m/%Y %H:%M %z`), when there is one;
//! 2. **ISO 8601** dates and date-times: `2026-01-05`, `2026-01-05T14:03:00`, `T` or a
//!    space between date and time, seconds optional, fractional seconds optional (`.123`,
//!    up to nanoseconds, truncated to microseconds), an optional offset `Z`, `UTC`, `GMT`,
//!    `+01:00`, `+0100` or `+01`;
//! 3. **day first with digits**: `dd/mm/yyyy`, `dd-mm-yyyy` or `dd.mm.yyyy` (one or two
//!    digits for day and month, the same separator twice), optionally followed by a time
//!    ` HH:MM[:SS]` (and an offset, as above). Day first always: `05/01/2026` is the 5th
//!    of January;
//! 4. **month names** in French or English, any case, with or without accents and
//!    abbreviation dot: a day, a month and a year (`7 janv. 2026`, `7 janvier 2026`,
//!    `1er février 2026`, `7 Jan 2026`, `7th January 2026`) or a month, a day and a year
//!    (`January 7, 2026`, `Jan 7th 2026`), optionally after a weekday (`lundi 5 janvier
//!    2026`, `Mon, 5 Jan 2026`) and before a time (`7 janvier 2026 à 14:03`,
//!    `Mon, 05 Jan 2026 14:03:00 +0100`). Months: `janvier`/`janv`/`jan`, `février`/
//!    `févr`/`fev`, `mars`, `avril`/`avr`, `mai`, `juin`, `juillet`/`juil`, `août`,
//!    `septembre`/`sept`, `octobre`/`oct`, `novembre`/`nov`, `décembre`/`déc`, and the
//!    English names with their three-letter (and `sept`) abbreviations.
//!
//! **Time zones.** A time with an offset is converted to UTC. A time without an offset is
//! read as UTC (exports rarely say which zone they mean, and guessing the machine's zone
//! would make a run depend on where it runs). A date without a time is midnight UTC when
//! a timestamp is wanted. [`DateParser::parse_date`] keeps the date part of a date-time
//! as written (`2026-01-05T23:30:00-02:00` is the 5th), without converting it to UTC.
//!
//! A well-formed value that names no real day or time (`2026-13-45`, `31/02/2026`,
//! `25:00`) is an error, as is any other text; the message names the value and what was
//! expected.

use std::sync::LazyLock;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use regex::{Captures, Regex};

use crate::normalise::fold::fold;

/// What the built-in formats accept, for error messages.
const EXPECTED: &str = "ISO 8601 (2026-01-07), dd/mm/yyyy, or a day, month name and year";

/// Reads dates and timestamps in the formats of the module docs.
#[derive(Debug, Clone, Default)]
pub struct DateParser {
    custom: Option<String>,
}

/// A date read from text, with its time and offset when it had them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Parsed {
    date: NaiveDate,
    time: Option<NaiveTime>,
    offset: Option<FixedOffset>,
}

/// Why a value was not read.
#[derive(Debug, PartialEq)]
enum Failure {
    /// No format matches.
    NoMatch,
    /// A format matches but the value names no real day, time or offset.
    Invalid(String),
}

/// The optional time (and offset) after a date, shared by every built-in format: `T` or
/// a space (or `, `, ` à `, ` at `), `HH:MM`, `:SS`, fractional seconds, an offset.
const TIME: &str = r"(?:(?:[T ]|,?\s+(?:à\s+|a\s+|at\s+)?)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?";

static ISO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){TIME}$")).expect("valid regex"));
static DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^(\d{{1,2}})([/.\-])(\d{{1,2}})([/.\-])(\d{{4}}){TIME}$")).expect("valid regex")
});
static NAMED_DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^(?:([\p{{L}}\p{{M}}]+)\.?,?\s+)?(\d{{1,2}})(?:er|re|st|nd|rd|th)?\.?\s+([\p{{L}}\p{{M}}]+)\.?,?\s+(\d{{4}}){TIME}$"
    ))
    .expect("valid regex")
});
static NAMED_MONTH_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^(?:([\p{{L}}\p{{M}}]+)\.?,?\s+)?([\p{{L}}\p{{M}}]+)\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}}){TIME}$"
    ))
    .expect("valid regex")
});

/// The month a French or English name or abbreviation stands for.
fn month_number(word: &str) -> Option<u32> {
    Some(match fold(word).as_str() {
        "janvier" | "janv" | "january" | "jan" => 1,
        "fevrier" | "fevr" | "fev" | "february" | "feb" => 2,
        "mars" | "march" | "mar" => 3,
        "avril" | "avr" | "april" | "apr" => 4,
        "mai" | "may" => 5,
        "juin" | "june" | "jun" => 6,
        "juillet" | "juil" | "july" | "jul" => 7,
        "aout" | "august" | "aug" => 8,
        "septembre" | "september" | "sept" | "sep" => 9,
        "octobre" | "october" | "oct" => 10,
        "novembre" | "november" | "nov" => 11,
        "decembre" | "december" | "dec" => 12,
        _ => return None,
    })
}

/// True for French and English weekday names and abbreviations.
fn is_weekday(word: &str) -> bool {
    matches!(
        fold(word).as_str(),
        "lundi"
            | "mardi"
            | "mercredi"
            | "jeudi"
            | "vendredi"
            | "samedi"
            | "dimanche"
            | "lun"
            | "mar"
            | "mer"
            | "jeu"
            | "ven"
            | "sam"
            | "dim"
            | "monday"
            | "tuesday"
            | "wednesday"
            | "thursday"
            | "friday"
            | "saturday"
            | "sunday"
            | "mon"
            | "tue"
            | "tues"
            | "wed"
            | "thu"
            | "thur"
            | "thurs"
            | "fri"
            | "sat"
            | "sun"
    )
}

fn number(c: &Captures, i: usize) -> u32 {
    c.get(i).map_or(0, |m| m.as_str().parse().unwrap_or(u32::MAX))
}

/// A calendar date, or why it does not exist.
fn calendar_date(year: i32, month: u32, day: u32) -> Result<NaiveDate, Failure> {
    if !(1..=12).contains(&month) {
        return Err(Failure::Invalid(format!("there is no month {month}")));
    }
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| Failure::Invalid(format!("{year:04}-{month:02} has no day {day}")))
}

/// The time and offset captured by [`TIME`] from group `first` on.
fn time_and_offset(c: &Captures, first: usize) -> Result<(Option<NaiveTime>, Option<FixedOffset>), Failure> {
    if c.get(first).is_none() {
        return Ok((None, None));
    }
    let (h, m, s) = (number(c, first), number(c, first + 1), number(c, first + 2));
    let nanos = match c.get(first + 3) {
        Some(f) => format!("{:0<9}", f.as_str()).parse::<u32>().unwrap_or(0),
        None => 0,
    };
    let time = NaiveTime::from_hms_nano_opt(h, m, s, nanos)
        .filter(|_| s < 60)
        .ok_or_else(|| Failure::Invalid(format!("{h:02}:{m:02}:{s:02} is not a time of day")))?;
    let offset = match c.get(first + 4).map(|o| o.as_str()) {
        None => None,
        Some(o) if ["z", "utc", "gmt"].contains(&o.to_ascii_lowercase().as_str()) => Some(FixedOffset::east_opt(0)),
        Some(o) => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let digits: String = o[1..].chars().filter(char::is_ascii_digit).collect();
            let hours: i32 = digits[..2].parse().unwrap_or(99);
            let minutes: i32 = digits.get(2..).filter(|d| !d.is_empty()).map_or(0, |d| d.parse().unwrap_or(99));
            if hours > 23 || minutes > 59 {
                return Err(Failure::Invalid(format!("{o} is not a UTC offset")));
            }
            Some(FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)))
        }
    };
    Ok((Some(time), offset.flatten()))
}

/// The built-in formats of the module docs.
fn parse_builtin(s: &str) -> Result<Parsed, Failure> {
    if let Some(c) = ISO.captures(s) {
        let date = calendar_date(number(&c, 1) as i32, number(&c, 2), number(&c, 3))?;
        let (time, offset) = time_and_offset(&c, 4)?;
        return Ok(Parsed { date, time, offset });
    }
    if let Some(c) = DAY_FIRST.captures(s) {
        if c[2] == c[4] {
            let (day, month) = (number(&c, 1), number(&c, 3));
            let date = calendar_date(number(&c, 5) as i32, month, day).map_err(|e| match e {
                Failure::Invalid(why) if month > 12 && (1..=12).contains(&day) => Failure::Invalid(format!(
                    "{why} (dates with digits are read day first, dd/mm/yyyy; for another order see --date-format)"
                )),
                other => other,
            })?;
            let (time, offset) = time_and_offset(&c, 6)?;
            return Ok(Parsed { date, time, offset });
        }
    }
    if let Some(c) = NAMED_DAY_FIRST.captures(s) {
        if c.get(1).is_none_or(|w| is_weekday(w.as_str())) {
            if let Some(month) = month_number(&c[3]) {
                let date = calendar_date(number(&c, 4) as i32, month, number(&c, 2))?;
                let (time, offset) = time_and_offset(&c, 5)?;
                return Ok(Parsed { date, time, offset });
            }
        }
    }
    if let Some(c) = NAMED_MONTH_FIRST.captures(s) {
        if c.get(1).is_none_or(|w| is_weekday(w.as_str())) {
            if let Some(month) = month_number(&c[2]) {
                let date = calendar_date(number(&c, 4) as i32, month, number(&c, 3))?;
                let (time, offset) = time_and_offset(&c, 5)?;
                return Ok(Parsed { date, time, offset });
            }
        }
    }
    Err(Failure::NoMatch)
}

impl DateParser {
    /// A parser trying `custom` (chrono strftime syntax) before the built-in formats; an
    /// error when `custom` is not a valid format string.
    pub fn new(custom: Option<&str>) -> Result<DateParser, String> {
        if let Some(f) = custom {
            if f.trim().is_empty() {
                return Err("--date-format: the format is empty".into());
            }
            let items = StrftimeItems::new(f).parse().map_err(|_| {
                format!("--date-format {f:?}: not a valid format (chrono strftime syntax, e.g. \"%d %m %Y %H:%M\")")
            })?;
            if items.iter().any(|i| matches!(i, Item::Error)) {
                return Err(format!("--date-format {f:?}: not a valid format"));
            }
        }
        Ok(DateParser { custom: custom.map(str::to_string) })
    }

    /// The custom format, if any.
    pub fn custom_format(&self) -> Option<&str> {
        self.custom.as_deref()
    }

    fn parse_custom(&self, s: &str) -> Option<Parsed> {
        let f = self.custom.as_deref()?;
        if let Ok(dt) = DateTime::parse_from_str(s, f) {
            let local = dt.naive_local();
            return Some(Parsed { date: local.date(), time: Some(local.time()), offset: Some(*dt.offset()) });
        }
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Parsed { date: dt.date(), time: Some(dt.time()), offset: None });
        }
        NaiveDate::parse_from_str(s, f).ok().map(|date| Parsed { date, time: None, offset: None })
    }

    fn parse(&self, value: &str, expected: &str) -> Result<Parsed, String> {
        let s = value.trim();
        if let Some(p) = self.parse_custom(s) {
            return Ok(p);
        }
        match parse_builtin(s) {
            Ok(p) => Ok(p),
            Err(Failure::Invalid(why)) => Err(format!("invalid date {value:?}: {why}")),
            Err(Failure::NoMatch) => Err(match &self.custom {
                Some(f) => format!("unparsable date {value:?}: expected the --date-format {f:?}, {expected}"),
                None => format!("unparsable date {value:?}: expected {expected}; see --date-format"),
            }),
        }
    }

    /// Days since 1970-01-01 of the date written in `value` (the date part as written
    /// when it holds a time, whatever its offset).
    pub fn parse_date(&self, value: &str) -> Result<i32, String> {
        let p = self.parse(value, EXPECTED)?;
        Ok(days_since_epoch(p.date))
    }

    /// Microseconds since the Unix epoch, UTC: a time without offset is read as UTC, a
    /// date without time as midnight UTC.
    pub fn parse_timestamp(&self, value: &str) -> Result<i64, String> {
        let p = self.parse(
            value,
            "ISO 8601 (2026-01-07 or 2026-01-07T14:03:00+01:00), dd/mm/yyyy [HH:MM[:SS]], or a day, month name and year",
        )?;
        let local = p.date.and_time(p.time.unwrap_or(NaiveTime::MIN));
        let offset = p.offset.unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
        let at = offset.from_local_datetime(&local).single().expect("a fixed offset maps every local time once");
        Ok(at.timestamp_micros())
    }
}

/// Days from 1970-01-01 to `date`.
pub fn days_since_epoch(date: NaiveDate) -> i32 {
    date.signed_duration_since(DateTime::UNIX_EPOCH.date_naive()).num_days() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(y: i32, m: u32, d: u32) -> i32 {
        days_since_epoch(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    /// Microseconds of a UTC date-time.
    fn micros(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, mi, s).unwrap().and_utc().timestamp_micros()
    }

    fn date(s: &str) -> i32 {
        DateParser::default().parse_date(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ts(s: &str) -> i64 {
        DateParser::default().parse_timestamp(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(date("1970-01-01"), 0);
        assert_eq!(date("1969-12-31"), -1);
        assert_eq!(date("2026-01-05"), 20458);
        assert_eq!(ts("1970-01-01T00:00:01Z"), 1_000_000);
    }

    #[test]
    fn iso_dates_and_date_times() {
        assert_eq!(date("2026-01-05"), days(2026, 1, 5));
        assert_eq!(ts("2026-01-05"), micros(2026, 1, 5, 0, 0, 0), "a date is midnight UTC");
        assert_eq!(ts("2026-01-05T14:03:00"), micros(2026, 1, 5, 14, 3, 0), "no offset: UTC");
        assert_eq!(ts("2026-01-05T14:03"), micros(2026, 1, 5, 14, 3, 0), "seconds optional");
        assert_eq!(ts("2026-01-05 14:03:00"), micros(2026, 1, 5, 14, 3, 0), "space instead of T");
        assert_eq!(ts("2026-01-05t14:03:00z"), micros(2026, 1, 5, 14, 3, 0), "any case");
        assert_eq!(ts("2026-01-05T14:03:00Z"), micros(2026, 1, 5, 14, 3, 0));
        assert_eq!(ts("2026-01-05T14:03:00+01:00"), micros(2026, 1, 5, 13, 3, 0));
        assert_eq!(ts("2026-01-05T14:03:00+0100"), micros(2026, 1, 5, 13, 3, 0));
        assert_eq!(ts("2026-01-05T14:03:00+01"), micros(2026, 1, 5, 13, 3, 0));
        assert_eq!(ts("2026-01-05T14:03:00-05:30"), micros(2026, 1, 5, 19, 33, 0));
        assert_eq!(ts("2026-01-05 14:03:00 UTC"), micros(2026, 1, 5, 14, 3, 0));
        assert_eq!(ts("2026-01-05T14:03:00.5Z"), micros(2026, 1, 5, 14, 3, 0) + 500_000);
        assert_eq!(ts("2026-01-05T14:03:00.123456789Z"), micros(2026, 1, 5, 14, 3, 0) + 123_456, "truncated to µs");
        assert_eq!(ts("2026-01-05T14:03:00,25"), micros(2026, 1, 5, 14, 3, 0) + 250_000, "decimal comma");
        assert_eq!(ts("  2026-01-05  "), micros(2026, 1, 5, 0, 0, 0), "trimmed");
    }

    #[test]
    fn a_date_keeps_the_date_part_of_a_date_time() {
        assert_eq!(date("2026-01-05T14:03:00"), days(2026, 1, 5));
        assert_eq!(date("2026-01-05T23:30:00-02:00"), days(2026, 1, 5), "the date as written, not in UTC");
        assert_eq!(date("05/01/2026 14:03"), days(2026, 1, 5));
        assert_eq!(date("7 janvier 2026 à 14:03"), days(2026, 1, 7));
    }

    #[test]
    fn day_first_with_digits() {
        for s in ["05/01/2026", "5/1/2026", "05-01-2026", "05.01.2026"] {
            assert_eq!(date(s), days(2026, 1, 5), "{s}");
        }
        assert_eq!(ts("05/01/2026 14:03"), micros(2026, 1, 5, 14, 3, 0));
        assert_eq!(ts("05/01/2026 14:03:09"), micros(2026, 1, 5, 14, 3, 9));
        assert_eq!(ts("05/01/2026 9:03"), micros(2026, 1, 5, 9, 3, 0));
        assert!(DateParser::default().parse_date("05/01-2026").is_err(), "mixed separators");
        assert!(DateParser::default().parse_date("05/01/26").is_err(), "two-digit year");
    }

    #[test]
    fn french_month_names() {
        for s in [
            "7 janv. 2026",
            "7 janvier 2026",
            "7 Janvier 2026",
            "7 JANV 2026",
            "07 janv 2026",
            "mercredi 7 janvier 2026",
            "mer. 7 janv. 2026",
        ] {
            assert_eq!(date(s), days(2026, 1, 7), "{s}");
        }
        assert_eq!(date("1er février 2026"), days(2026, 2, 1));
        for s in ["3 févr. 2026", "3 fevrier 2026", "3 févr 2026", "3 fév. 2026"] {
            assert_eq!(date(s), days(2026, 2, 3), "{s}");
        }
        for s in ["15 août 2026", "15 aout 2026", "15 Août 2026"] {
            assert_eq!(date(s), days(2026, 8, 15), "{s}");
        }
        for s in ["24 déc. 2026", "24 décembre 2026", "24 decembre 2026", "24 dec 2026"] {
            assert_eq!(date(s), days(2026, 12, 24), "{s}");
        }
        assert_eq!(date("2 mars 2026"), days(2026, 3, 2));
        assert_eq!(date("2 juil. 2026"), days(2026, 7, 2));
        assert_eq!(date("2 sept. 2026"), days(2026, 9, 2));
        assert_eq!(ts("7 janvier 2026 à 14:03"), micros(2026, 1, 7, 14, 3, 0));
    }

    #[test]
    fn english_month_names() {
        for s in ["7 Jan 2026", "7 Jan. 2026", "7 January 2026", "7th January 2026", "Wednesday, 7 January 2026"] {
            assert_eq!(date(s), days(2026, 1, 7), "{s}");
        }
        for s in ["January 7, 2026", "January 7 2026", "Jan 7, 2026", "Jan. 7th, 2026", "Wed, Jan 7, 2026"] {
            assert_eq!(date(s), days(2026, 1, 7), "{s}");
        }
        assert_eq!(date("Sept 2, 2026"), days(2026, 9, 2));
        assert_eq!(ts("Mon, 05 Jan 2026 14:03:00 +0100"), micros(2026, 1, 5, 13, 3, 0), "RFC 2822");
        assert_eq!(ts("January 7, 2026 at 14:03"), micros(2026, 1, 7, 14, 3, 0));
    }

    #[test]
    fn custom_format_is_tried_first() {
        let p = DateParser::new(Some("%m/%d/%Y")).unwrap();
        assert_eq!(p.parse_date("01/07/2026").unwrap(), days(2026, 1, 7), "month first, as the format says");
        assert_eq!(p.parse_date("2026-01-07").unwrap(), days(2026, 1, 7), "built-in formats still apply");
        assert_eq!(p.parse_date("31/01/2026").unwrap(), days(2026, 1, 31), "falls back to day first");
        let p = DateParser::new(Some("%Y%m%d %H%M")).unwrap();
        assert_eq!(p.parse_timestamp("20260107 1403").unwrap(), micros(2026, 1, 7, 14, 3, 0));
        assert_eq!(p.parse_date("20260107 1403").unwrap(), days(2026, 1, 7));
        let p = DateParser::new(Some("%d|%m|%Y %H:%M %z")).unwrap();
        assert_eq!(p.parse_timestamp("07|01|2026 14:03 +0200").unwrap(), micros(2026, 1, 7, 12, 3, 0));
        assert_eq!(p.custom_format(), Some("%d|%m|%Y %H:%M %z"));
        let e = p.parse_date("hier").unwrap_err();
        assert!(
            e.starts_with("unparsable date \"hier\": expected the --date-format \"%d|%m|%Y %H:%M %z\", ISO 8601"),
            "{e}"
        );
    }

    #[test]
    fn invalid_custom_formats_are_refused() {
        assert!(DateParser::new(Some("%Q")).is_err());
        assert!(DateParser::new(Some("%")).is_err());
        assert!(DateParser::new(Some("  ")).is_err());
        assert!(DateParser::new(None).is_ok());
    }

    #[test]
    fn unparsable_values_name_the_value_and_the_formats() {
        let p = DateParser::default();
        assert_eq!(
            p.parse_date("7 janvx 2026").unwrap_err(),
            "unparsable date \"7 janvx 2026\": expected ISO 8601 (2026-01-07), dd/mm/yyyy, or a day, month name and year; see --date-format"
        );
        for s in
            ["", "hier", "2026", "2026-01", "14:03", "7 janvier", "janvier 2026", "lumdi 7 janvier 2026", "12/2026"]
        {
            let e = p.parse_date(s).unwrap_err();
            assert!(e.starts_with(&format!("unparsable date {s:?}: expected ISO 8601")), "{e}");
        }
        let e = p.parse_timestamp("demain midi").unwrap_err();
        assert!(e.contains("2026-01-07T14:03:00+01:00") && e.ends_with("see --date-format"), "{e}");
    }

    #[test]
    fn impossible_dates_and_times_are_errors() {
        let p = DateParser::default();
        assert_eq!(p.parse_date("2026-13-45").unwrap_err(), "invalid date \"2026-13-45\": there is no month 13");
        assert_eq!(p.parse_date("31/02/2026").unwrap_err(), "invalid date \"31/02/2026\": 2026-02 has no day 31");
        assert_eq!(p.parse_date("2026-02-29").unwrap_err(), "invalid date \"2026-02-29\": 2026-02 has no day 29");
        assert_eq!(date("2028-02-29"), days(2028, 2, 29), "a leap year");
        assert_eq!(
            p.parse_date("0 janvier 2026").unwrap_err(),
            "invalid date \"0 janvier 2026\": 2026-01 has no day 0"
        );
        let e = p.parse_date("01/31/2026").unwrap_err();
        assert!(e.contains("there is no month 31") && e.contains("day first"), "{e}");
        assert_eq!(
            p.parse_timestamp("2026-01-05T25:00").unwrap_err(),
            "invalid date \"2026-01-05T25:00\": 25:00:00 is not a time of day"
        );
        assert!(p.parse_timestamp("2026-01-05T14:60").is_err());
        assert!(p.parse_timestamp("2026-01-05T14:03:60").is_err(), "no leap seconds");
        assert_eq!(
            p.parse_timestamp("2026-01-05T14:03:00+25:00").unwrap_err(),
            "invalid date \"2026-01-05T14:03:00+25:00\": +25:00 is not a UTC offset"
        );
    }
}
