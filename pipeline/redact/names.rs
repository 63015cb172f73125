//! Person names, only after a cue: a title (`Madame Dupont`, `madame durand`), an
//! introduction (`je m'appelle`, `my name is`), a badge, a call or chat opening (`Julie à
//! votre écoute`), a staff role (`la vendeuse Julie`, `the agent, Kevin,`), a booking
//! (`au nom de Girard`), or a name spelt out (`B-E-N-A-L-I`); and the speaker labels of
//! transcripts that are names. The rules are those of the **Name** item of the [module
//! documentation](super); the cues are in `names/cues.rs`, the word lists in
//! `names/words.rs`.

mod cues;
mod words;

use regex::Regex;

use self::cues::{
    expand_name_pattern, NameCue, NAME_CUES_LEADING, NAME_CUES_TRAILING, NAME_LITE, NAME_START, NAME_T_START, UPPER,
};
use self::words::{is_not_a_name, is_particle, AFTER_LOWER_TITLE, SPEAKER_ROLES, TITLE_BRANDS};
use super::boundaries::{
    boundary_after, boundary_before, ceil_char_boundary, char_after, contains_ignore_ascii_case, floor_char_boundary,
    is_word_char,
};
use super::{compile, PiiKind, Recogniser, RedactionCounts, Span};

/// Finds names after their cues.
#[derive(Debug, Clone)]
pub(super) struct Names {
    lower_title: Regex,
    spelt: Regex,
    /// Name cues that come before the name, then those that come after it: two automata
    /// rather than one, each small enough for the lazy DFA's default cache.
    cues: [NamePatterns; 2],
}

impl Names {
    /// The kinds it reports, known before it is built: [`super::Redactor::with_kinds`]
    /// compiles only the recognisers it needs.
    pub(super) const KINDS: &'static [PiiKind] = &[PiiKind::Name];

    /// Compiles its regexes.
    pub(super) fn new() -> Self {
        Names {
            lower_title: compile(LOWER_TITLE),
            spelt: compile(&SPELT_NAME.replace("{U}", UPPER)),
            cues: [NamePatterns::new(NAME_CUES_LEADING, false), NamePatterns::new(NAME_CUES_TRAILING, true)],
        }
    }

    /// Names in lowercase after a lowercase title: `madame durand`, not `madame est
    /// partie` nor `monsieur le directeur`.
    fn lowercase_titled(&self, text: &str, out: &mut Vec<Span>) {
        for caps in self.lower_title.captures_iter(text) {
            let (Some(whole), Some(name)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let word = name.as_str();
            let after = char_after(text, name.end());
            if !boundary_before(text, whole.start())
                || !boundary_after(text, name.end())
                || matches!(after, Some('\'' | '’'))
                || word.chars().count() < 3
                || is_not_a_name(word)
                || is_particle(word)
                || AFTER_LOWER_TITLE.split_whitespace().any(|w| w == word)
            {
                continue;
            }
            out.push(Span { start: name.start(), end: name.end(), kind: PiiKind::Name });
        }
    }

    /// Names spelt letter by letter: `B-E-N-A-L-I`.
    fn spelt(&self, text: &str, out: &mut Vec<Span>) {
        for m in self.spelt.find_iter(text) {
            // Spelt acronyms (`S-N-C-F`) have no vowel; names nearly always do.
            let has_vowel = m.as_str().chars().any(|c| "AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŸ".contains(c));
            if has_vowel && boundary_before(text, m.start()) && boundary_after(text, m.end()) {
                out.push(Span { start: m.start(), end: m.end(), kind: PiiKind::Name });
            }
        }
    }

    /// Names after (or before) one of the cues of [`NAME_CUES_LEADING`] and
    /// [`NAME_CUES_TRAILING`], checked word by word by [`refine_name`].
    fn cued(&self, text: &str, out: &mut Vec<Span>) {
        for patterns in &self.cues {
            let mut pos = 0;
            while let Some(found) = patterns.find.find_at(text, pos) {
                // Search again just after this match's start, not after its end: when its
                // cue does not pan out (`C'est Madame Benali`, no `du service` after the
                // name), another cue may start inside it (`Madame`).
                pos = found.start() + text[found.start()..].chars().next().map_or(1, char::len_utf8);
                let Some((cue, start, name_start, name_end)) = patterns.name_at(text, found) else {
                    continue;
                };
                // A cue or name that starts with a letter must start a word, and the name
                // must end one.
                if (text[start..].starts_with(is_word_char) && !boundary_before(text, start))
                    || !boundary_after(text, name_end)
                    || (cue == NameCue::Under && !follows_a_booking(text, start))
                    || (cue == NameCue::Title && title_not_a_name(text, start, name_start, name_end))
                {
                    continue;
                }
                if let Some((start, end)) = refine_name(text, name_start, name_end, cue) {
                    out.push(Span { start, end, kind: PiiKind::Name });
                }
            }
        }
    }
}

impl Recogniser for Names {
    fn kinds(&self) -> &'static [PiiKind] {
        Self::KINDS
    }

    fn find(&self, text: &str, out: &mut Vec<Span>) {
        if ["madame", "monsieur", "mademoiselle", "mme", "mlle"].iter().any(|t| text.contains(t)) {
            self.lowercase_titled(text, out);
        }
        if text.chars().any(char::is_uppercase) {
            self.cued(text, out);
            if text.contains('-') {
                self.spelt(text, out);
            }
        }
    }
}

/// The name cues of one side: those written before the name, or those written after it.
///
/// The regex crate reports capture groups by running a slow engine over the automaton,
/// and the automaton of every cue with its full name pattern is large enough to make even
/// the fast engines thrash their cache. So a small combined regex only finds where a cue
/// is (the cue and the first letter of the name, or for cues after the name the cue
/// alone); then each cue's full regex, whose one capture group is the name, is tried on
/// a short window there.
#[derive(Debug, Clone)]
struct NamePatterns {
    find: Regex,
    each: Vec<(NameCue, Regex)>,
    name_first: bool,
}

impl NamePatterns {
    fn new(cues: &[(NameCue, &str)], name_first: bool) -> Self {
        let mut finds = Vec::with_capacity(cues.len());
        let mut each = Vec::with_capacity(cues.len());
        for &(cue, pattern) in cues {
            let (group, start) = match (pattern.find("({NAME})"), pattern.find("({NAME_T})")) {
                (Some(i), _) => (i..i + "({NAME})".len(), NAME_START),
                (None, Some(i)) => (i..i + "({NAME_T})".len(), NAME_T_START),
                (None, None) => panic!("name cue without a name group: {pattern}"),
            };
            let find = if name_first {
                format!("{}{NAME_LITE}{}", &pattern[..group.start], &pattern[group.end..])
            } else {
                format!("{}{start}", &pattern[..group.start])
            };
            finds.push(expand_name_pattern(&find));
            let full = expand_name_pattern(pattern);
            let anchored = if name_first { format!("(?:{full})$") } else { format!("^(?:{full})") };
            each.push((cue, compile(&anchored)));
        }
        NamePatterns { find: compile(&finds.join("|")), each, name_first }
    }

    /// For a match of [`NamePatterns::find`]: the cue, where its whole match starts, and
    /// the byte span of the name.
    fn name_at(&self, text: &str, found: regex::Match<'_>) -> Option<(NameCue, usize, usize, usize)> {
        let (from, to) = if self.name_first {
            // From the start of the line, or a window before the cue that no name fills:
            // the regex then cannot take the window's start for a line start.
            let from = ceil_char_boundary(text, found.start().saturating_sub(NAME_WINDOW));
            let from = text[from..found.start()].rfind('\n').map_or(from, |i| from + i + 1);
            (from, found.end())
        } else {
            let to = floor_char_boundary(text, (found.start() + NAME_WINDOW).min(text.len()));
            (found.start(), to)
        };
        let window = &text[from..to];
        self.each.iter().find_map(|(cue, regex)| {
            let caps = regex.captures(window)?;
            let (whole, name) = (caps.get(0)?, caps.get(1)?);
            Some((*cue, from + whole.start(), from + name.start(), from + name.end()))
        })
    }
}

/// A title and the first word after it that are a brand ([`TITLE_BRANDS`]), or a bare `M`
/// that is a size (`taille M Noir`, `size M Blue`).
fn title_not_a_name(text: &str, start: usize, name_start: usize, name_end: usize) -> bool {
    let title = text[start..name_start].trim().trim_end_matches('.').to_lowercase();
    let first = text[name_start..name_end].split_whitespace().next().unwrap_or("").to_lowercase();
    let pair = format!("{title} {first}");
    if TITLE_BRANDS.contains(&pair.as_str()) {
        return true;
    }
    if title == "m" && !text[start..name_start].contains('.') {
        let previous = text[..start].trim_end().rsplit(|c: char| !c.is_alphabetic()).next().unwrap_or("");
        return ["taille", "size", "en", "in", "un", "une", "a", "du", "the"]
            .contains(&previous.to_lowercase().as_str());
    }
    false
}

/// A lowercase title then a lowercase word: `madame durand`, `mme petit`.
const LOWER_TITLE: &str = r"(?-u:\b)(?:madame|monsieur|mademoiselle|mme|mlle)\.?[ \t\x{A0}]+([a-zà-ÿ]+(?:-[a-zà-ÿ]+)?)";

/// Whether a booking word comes in the 60 bytes before `start`, in the same sentence.
fn follows_a_booking(text: &str, start: usize) -> bool {
    let from = ceil_char_boundary(text, start.saturating_sub(60));
    let before = &text[from..start];
    let sentence = before.rfind(['.', '!', '?', '\n']).map_or(before, |i| &before[i + 1..]);
    ["book", "reserv", "table", "room", "appointment", "order"]
        .iter()
        .any(|word| contains_ignore_ascii_case(sentence, word))
}

/// The most bytes a name cue, with its name, spans.
const NAME_WINDOW: usize = 200;

/// A name spelt letter by letter with hyphens, at least four letters, one of them a vowel:
/// `B-E-N-A-L-I`.
const SPELT_NAME: &str = r"{U}(?:-{U}){3,}";

/// Checks the words of a matched name against [`NOT_NAMES`](words::NOT_NAMES) and returns
/// the span to redact: the name without leading words that are not names (cues after the
/// name), up to the first later word that is not a name.
fn refine_name(text: &str, start: usize, end: usize, cue: NameCue) -> Option<(usize, usize)> {
    let mut words: Vec<(usize, usize)> = Vec::with_capacity(4);
    let mut word_start = None;
    for (i, c) in text[start..end].char_indices() {
        let at = start + i;
        match (c.is_whitespace(), word_start) {
            (true, Some(s)) => {
                words.push((s, at));
                word_start = None;
            }
            (false, None) => word_start = Some(at),
            _ => {}
        }
    }
    if let Some(s) = word_start {
        words.push((s, end));
    }
    let word = |&(s, e): &(usize, usize)| &text[s..e];
    // The first word that is not a particle.
    let mut first = words.iter().position(|w| !is_particle(word(w)))?;
    if cue == NameCue::Before {
        while first < words.len() && (is_not_a_name(word(&words[first])) || is_particle(word(&words[first]))) {
            first += 1;
        }
        if first == words.len() {
            return None;
        }
    } else if is_not_a_name(word(&words[first])) {
        return None;
    }
    let keep_from = if cue == NameCue::Title { 0 } else { first };
    // Cut before the first later word that is not a name, with its particles.
    let mut keep_to = words.len();
    for (k, w) in words.iter().enumerate().skip(first + 1) {
        if !is_particle(word(w)) && is_not_a_name(word(w)) {
            keep_to = k;
            break;
        }
    }
    while keep_to > first + 1 && is_particle(word(&words[keep_to - 1])) {
        keep_to -= 1;
    }
    Some((words[keep_from].0, words[keep_to - 1].1))
}

/// Replaces every run of capitalised words of a speaker label that are not role or common
/// words by `[NAME]` (`Ludivine Castagnier` → `[NAME]`, `Agent Julie` → `Agent [NAME]`,
/// `Marie de Villiers` → `[NAME]`), counting them in `counts`; role labels (`Client`,
/// `Conseillère`, `SPEAKER_00`, `Speaker A`) stay. A label is a name by its position: no
/// cue is needed.
pub(super) fn redact_speaker_names(text: String, counts: &mut RedactionCounts) -> String {
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, text.len()));
    }
    let is_name = |w: &str| {
        let mut chars = w.chars();
        chars.next().is_some_and(char::is_uppercase)
            && w.chars().filter(|c| c.is_alphabetic()).count() >= 2
            && w.chars().all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’'))
            && !is_not_a_name(w)
            && !SPEAKER_ROLES.split(' ').any(|r| r == w.to_lowercase())
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut k = 0;
    while k < words.len() {
        if !is_name(&text[words[k].0..words[k].1]) {
            k += 1;
            continue;
        }
        // The run of names, with the particles inside it.
        let mut end = k;
        let mut j = k + 1;
        while j < words.len() {
            let w = &text[words[j].0..words[j].1];
            if is_name(w) {
                end = j;
            } else if !is_particle(w) {
                break;
            }
            j += 1;
        }
        out.push_str(&text[last..words[k].0]);
        out.push_str(PiiKind::Name.placeholder());
        counts.increment(PiiKind::Name);
        last = words[end].1;
        k = end + 1;
    }
    if last == 0 {
        return text;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::words::NOT_NAMES;
    use crate::redact::tests::{redact, REDACTOR};
    use crate::redact::{PiiKind, RedactionCounts, Redactor};

    #[test]
    fn word_lists_are_lowercase_words() {
        for list in NOT_NAMES {
            for word in list.split(' ') {
                assert!(!word.is_empty() && word == word.to_lowercase(), "{word:?}");
            }
        }
    }

    #[test]
    fn names_keep_their_cue() {
        assert_eq!(
            redact("Monsieur Le Gall, puis Madame Le Directeur, puis M. DUPONT."),
            "Monsieur [NAME], puis Madame Le Directeur, puis M. [NAME]."
        );
        assert_eq!(
            redact("Service client bonjour, Julie à votre écoute"),
            "Service client bonjour, [NAME] à votre écoute"
        );
        assert_eq!(redact("Bonjour Julie à votre écoute"), "Bonjour [NAME] à votre écoute");
        assert_eq!(redact("Mme Martin Lundi"), "Mme [NAME] Lundi");
        assert_eq!(redact("je suis Marie-Ève"), "je suis [NAME]");
    }

    #[test]
    fn speaker_labels_that_are_names() {
        let speaker = |label: &str| REDACTOR.redact_speaker(label).0;
        assert_eq!(speaker("Ludivine Castagnier"), "[NAME]");
        assert_eq!(speaker("Julie"), "[NAME]");
        assert_eq!(speaker("Agent Julie"), "Agent [NAME]");
        assert_eq!(speaker("Marie de Villiers"), "[NAME]");
        assert_eq!(speaker("Julie (conseillère)"), "[NAME] (conseillère)");
        assert_eq!(REDACTOR.redact_speaker("Karim Benali").1.name, 1);
        for role in [
            "Client",
            "Conseiller",
            "Conseillère",
            "SPEAKER_00",
            "Agent",
            "Speaker A",
            "Intervenant 2",
            "shopper",
            "staff",
            "Vendeuse",
            "CLIENT",
            "Service client",
            "",
            "Speaker B",
            "Bot",
        ] {
            assert_eq!(speaker(role), role);
        }
    }

    #[test]
    fn switched_off_names_are_kept_and_the_other_kinds_redacted() {
        let redactor = Redactor::with_kinds(&[PiiKind::Email, PiiKind::Phone, PiiKind::Card, PiiKind::Iban]);
        let text = "Madame Dupont, Julie à votre écoute, écrivez à claire.martin@example.fr ou au 06 12 34 56 78. \
            Mon nom : B-E-N-A-L-I, madame durand.";
        assert_eq!(
            redactor.redact(text).0,
            "Madame Dupont, Julie à votre écoute, écrivez à [EMAIL] ou au [PHONE]. \
            Mon nom : B-E-N-A-L-I, madame durand."
        );
        for label in ["Ludivine Castagnier", "Agent Julie"] {
            assert_eq!(redactor.redact_speaker(label), (label.to_owned(), RedactionCounts::default()));
        }
    }
}
