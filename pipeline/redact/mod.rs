//! Redaction of personal data in comments and transcripts before anything is written.
//!
//! # Why this exists
//!
//! Mystery shoppers and customers type e-mail addresses, phone numbers, card numbers and
//! IBANs into free text, name the staff they met (`Madame Dupont`, `son badge indiquait
//! Kevin`), and call and chat transcripts carry the names agents introduce themselves with
//! (`Julie à votre écoute`). None of it may reach the Parquet tables that dashboards read.
//! [`Redactor::redact`] replaces every span it detects by a placeholder of its kind
//! (`[EMAIL]`, `[PHONE]`, `[CARD]`, `[IBAN]`, `[NAME]`) and counts them per kind for the
//! manifest. The caller segments and classifies the redacted text, so character offsets are
//! consistent by construction.
//!
//! # Guarantees
//!
//! * A pure, deterministic function of the text; placeholders never overlap, and text
//!   outside the detected spans is copied byte for byte.
//! * Redacting a redacted text changes nothing: placeholders trigger no rule (a test checks
//!   it on every fixture case).
//! * Regexes are compiled once in [`Redactor::new`]; a [`Redactor`] is `Send + Sync` and
//!   meant to be shared by all threads. Each family of rules runs only when a cheap
//!   pre-check passes (a digit for numbers, `@` or a spelt-out at for e-mails, `zéro`,
//!   `zero` or `oh` for numbers in words, an uppercase letter for names), and the regexes
//!   are kept small enough for the regex crate's fast automata (no Unicode `\b`, no capture
//!   groups in the regexes that scan the whole text). Time is linear in the length of the
//!   text: the checks after a match look at a bounded window. Ordinary comments run at
//!   about 50 MB/s on one core.
//!
//! # Rules
//!
//! When detections overlap, one wins, in this order: e-mail, IBAN, card, phone, name (an
//! e-mail address full of digits is one `[EMAIL]`, an IBAN whose digit groups look like a
//! phone number one `[IBAN]`).
//!
//! * **E-mail**: `local@domain.tld`, any case, with `.`, `+`, `-`, `_`, `%` and accented
//!   letters in the local part, and subdomains. Obfuscated forms are caught where the
//!   obfuscation is unambiguous: a bracketed at (`[at]`, `(at)`, `{at}`, `(@)`,
//!   `[arobase]`) or the French word ` arobase `, with a dot plain, bracketed or spelt out
//!   (` dot `, ` point `, `[dot]`, `(point)`) before a common top-level domain, and dots
//!   spelt out in the local part too (`jean point dupont arobase gmail point com`). The
//!   English word ` at ` is too common for that: it needs a spelt-out dot and a local part
//!   that looks like an address (it holds `.`, `_`, `-`, `+` or a digit) or a webmail
//!   domain (`gmail`, `hotmail`, `orange`…), or a plain dot and both. So `jean.dupont at
//!   gmail dot com` and `jean.dupont at gmail.com` are caught, `I shopped at amazon.fr` and
//!   `I bought it at Orange.fr` are not. Read out without a top-level domain, an address
//!   needs a webmail domain and ` arobase ` or a dot spelt out in the local part (`jean
//!   arobase orange`, `jean point dupont at gmail`). Every address is redacted, a shop's generic one
//!   too: the text cannot tell them apart.
//! * **Phone**: chains of digit groups joined by single spaces, dots or hyphens (or two
//!   spaces), with an optional leading `+`, `(+33)` or `00`, a parenthesised trunk `(0)` or
//!   area code `(415)`.
//!   International numbers (`+` or `00`) need a national number whose length fits the
//!   country code (a table of about forty codes: France 9 digits, UK 9–10, US 10…; other
//!   codes 6–12 digits and 15 in all, as E.164 allows); a trunk `0` written after the code
//!   (`+33 06…`) is allowed. National numbers start with `0` and need one of the groupings
//!   people write: 10 digits for France, Switzerland and Belgian mobiles (`06 12 34 56 78`,
//!   `0612345678`, `06/12/34/56/78` (slashes only in five pairs: `06/12/2026` is a date),
//!   `06 12 34 5678`, `0 800 123 456`, `0800 123 456`, `022 555 12 34`, `0470 12 34 56`), 11
//!   for the UK (`020 7946 0958`, `07700 900123`, `0161 496 0000`), 9 for Belgian landlines
//!   (`02 555 12 34`); North-American numbers without `+1` only as `(415) 555-0132`,
//!   `415-555-0132` or `415.555.0132`. Not a phone: digits glued to a letter (`AF1234`,
//!   `XW123456789FR`), continuing a longer number (`3.0612345678`, `0612345678,50`),
//!   followed by a currency or unit (`€`, `%`, `kg`, `min`, `centimes`…), inside a string
//!   shaped like an IBAN, or right after an identifier cue (`commande`, `order`, `ticket`,
//!   `suivi`, `tracking`, `réf`, `n°`, `#`, `facture`, `dossier`, `SIRET`…, with only `:`,
//!   `n°`, `de`, `number`, `is`… between the cue and the digits). A cue further away does
//!   not count, so `le service client au 01 99 00 12 34` is still a phone. A chain may hold
//!   several numbers (`06 39 98 12 34 06 39 98 56 78`), and a number followed by another
//!   count (`au 01 99 00 12 34 2 fois`) keeps only its digits. Numbers said in words, as
//!   speech-to-text writes them, are phones too when they start with `zéro`, `zero` or `oh`
//!   and run for at least five number words or digits (`zéro six trente-neuf
//!   quatre-vingt-dix-huit douze trente-quatre`, `oh seven seven double oh nine…`), unless
//!   they continue a longer number (`deux trois quatre zéro un…`) or follow an identifier
//!   cue (`order OH 2 2 7 5 1`).
//! * **Card**: 13 to 19 digits, compact or in groups of four joined by spaces (one or
//!   two), hyphens or dots (dots throughout: `4970.1012.3456.7890`) (the last group shorter), or Amex/Diners `4-6-5`/`4-6-4`, whose Luhn checksum passes
//!   and whose length fits the major industry identifier: `4` (Visa) 13, 16 or 19 digits;
//!   `34`/`37` (Amex) 15; `30`/`36`/`38`/`39` (Diners) 14–16 or 19; `35` (JCB) 16–19; `2`
//!   (Mastercard) 16; `5` and `6` 16–19. This keeps most EAN-13 barcodes, SIRET and IMEI
//!   numbers out. Order cues do not hide a card (a leaked card costs more than a hidden
//!   order number); only cues of identifiers that pass Luhn by design do (`SIRET`, `SIREN`,
//!   `IMEI`, `EAN`, `n° de série`, `serial`, `TVA`, `VAT`).
//! * **IBAN**: two letters, two check digits, then letters and digits, compact or grouped
//!   (single spaces or hyphens anywhere), any case, only when the length is the one of the
//!   country (every country of the ISO 13616 registry) and the mod-97 check passes. The
//!   IBAN ends where the country length is reached, so a word after it stays.
//! * **Name**: only after a cue, and only capitalised words: one or two (`Jean-Pierre`,
//!   `O'Brien`, `McDonald`, `Marie-Ève`), with particles (`Le Gall`, `de Villiers`, `van
//!   der Berg`), and after a civil title also uppercase surnames (`M. DUPONT`). The cue
//!   stays, only the name becomes `[NAME]` (`Madame Dupont` → `Madame [NAME]`). Cues:
//!   * titles: `Madame`, `Monsieur`, `Mademoiselle`, `Docteur`, `Professeur`, `Maître`,
//!     `Miss`, `Doctor`, and with or without the dot of the abbreviation `Mme`, `Mlle`,
//!     `Mr`, `Mrs`, `Ms`, `Dr`, `Prof`; `M.`, and `M` without its dot but not after a
//!     size (`taille M Noir`); a lowercase title before a lowercase word that is not a
//!     frequent word (`madame durand`, `mme petit`; not `madame est partie`, `monsieur le
//!     directeur`); a short list of brands written as a title and a word is kept
//!     (`Dr. Martens`, `Mr. Bricolage`, `Monsieur Propre`: [`TITLE_BRANDS`]);
//!   * introductions: `je m'appelle`, `je me nomme`, `je suis`, `moi c'est`, `mon (pré)nom
//!     est`, `my name is`, `my name's`; `I'm`/`I am` after a greeting in any case (`hi,
//!     i'm Sarah`), otherwise with a capital `I` (`I'm Jordan`; not `I'm sorry`, `I'm Very
//!     disappointed`);
//!   * a name given by someone else: `s'appelle`, `s'appelait`, `prénommé(e)`, `nommé(e)`,
//!     `named`, `whose name is`, `dont le prénom est`;
//!   * bookings: `au nom de Girard`, `sous le nom de`, `under the name of Jones`, and
//!     `under Patel` when a booking word (`booking`, `reserved`, `table`, `room`…) comes
//!     shortly before it in the sentence (not `under Armour's sign`);
//!   * a name spelt out with hyphens, four letters or more with a vowel (`B-E-N-A-L-I`; an
//!     acronym such as `S-N-C-F` has no vowel);
//!   * badges: `son badge indiquait Kevin`, `badge : Laura`, `name tag said "Tom"`, `le
//!     badge portait le prénom Aurélie`, `(Sophie sur son badge)`, `Ryan on his badge`;
//!   * call and chat openings: `Julie à votre écoute`, `Marc à votre service`, `Customer
//!     care, James speaking`, `Julie à l'appareil`, `this is Mark speaking`, `it's Ben from
//!     Threadly`, `vous êtes en ligne avec Karim`, `you're chatting with Karim`, `c'est
//!     Nadia du service client`, `c'est Clara de Miamio`, `ici Bruno de la boutique`,
//!     `Bonjour, Margaux du service après-vente` (after a comma only: a line may start with
//!     any noun, `Vitrine de la boutique sale`), `Karim a rejoint la conversation`, `Sophie
//!     has joined the chat`;
//!   * a staff role after a determiner: `la vendeuse Julie`, `votre conseillère Sophie`,
//!     `l'agent Karim`, `the manager Karen`, `our waiter Lucas`, and in apposition: `the
//!     agent, Kevin,`, `la conseillère, Sophie,`, `le vendeur (Mathieu)`.
//!
//!   A word that is not a name stops the rule: lowercase words (`Monsieur le directeur`,
//!   `Madame la conseillère`, `je suis déçue`), function words and roles (`Monsieur Le
//!   Directeur`, `Je suis Très déçue`, `Honestly speaking`), demonyms and client tiers (`je
//!   suis Français`, `je suis Client Gold`), brands written as a title and a word (`M.
//!   Bricolage`, `Mr Muscle`, `Monsieur Propre`, `Madame Figaro`), and shop, telecom and
//!   delivery brands (`le vendeur Fnac`, `je suis Orange depuis 10 ans`). A second word
//!   that is not a name is left out of the span (`Mme Martin Lundi` → `Mme [NAME] Lundi`),
//!   and leading ones before a cue after the name too (`Bonjour Julie à votre écoute` →
//!   `Bonjour [NAME] à votre écoute`).
//!
//! # What is not caught
//!
//! * Names without a cue (`Sophie était très aimable`), names in lowercase (`je m'appelle
//!   sophie`), after a greeting only (`Merci Julie`, `Bonjour Karim`), speaker labels of
//!   transcripts inside the text (`Karim : Bonjour`; the `speaker` field is redacted by
//!   [`Redactor::redact_speaker`]), and names in
//!   scripts other than Latin: telling a name from a capitalised word needs a model, and
//!   these rules prefer a missed name to a redacted word in the dashboards. The other way
//!   round, a brand written after a title or a role that is not in the short brand list is
//!   redacted as a name, and so are brands that are also common surnames (`Madame
//!   Boulanger` must go, so `le vendeur Boulanger` goes too).
//! * Postal addresses, postcodes, dates of birth, social security, passport, driving
//!   licence and loyalty card numbers, licence plates, IP addresses, personal URLs, card
//!   numbers and IBANs said in words, and phone numbers said in words that do not start
//!   with `zéro`/`zero`/`oh` (`six trente-neuf…`) or that speech-to-text wrote as single
//!   spaced digits (`0 6 3 9…`).
//! * Card numbers in other groupings, with a failing checksum (a typo), or 12–15-digit
//!   Maestro numbers; phone numbers in other groupings (`06 1234 5678`), glued to a word
//!   (`au06…`), split over a line break, or right after an identifier cue: `mon n° : 06 12
//!   34 56 78` reads as a reference number.
//! * A compact 14-digit SIRET starting with `30`, `36`, `38` or `39` and passing Luhn (as
//!   SIRET numbers do), without a `SIRET` cue, is read as a Diners card and redacted.

use std::collections::BTreeMap;

use regex::Regex;

/// Kinds of personal data, in the order of the manifest's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiKind {
    /// An e-mail address, plain or obfuscated.
    Email,
    /// A phone number, French, British, North-American or international.
    Phone,
    /// A payment card number whose Luhn checksum passes.
    Card,
    /// An IBAN whose length and mod-97 check fit its country.
    Iban,
    /// A person's name introduced by a cue (a title, `je m'appelle`, a badge…).
    Name,
}

impl PiiKind {
    /// Every kind, in the order of the manifest's counts.
    pub const ALL: [PiiKind; 5] = [PiiKind::Email, PiiKind::Phone, PiiKind::Card, PiiKind::Iban, PiiKind::Name];

    /// The text that replaces a detected span: `[EMAIL]`, `[PHONE]`, `[CARD]`, `[IBAN]` or
    /// `[NAME]`.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Email => "[EMAIL]",
            PiiKind::Phone => "[PHONE]",
            PiiKind::Card => "[CARD]",
            PiiKind::Iban => "[IBAN]",
            PiiKind::Name => "[NAME]",
        }
    }

    /// The lowercase name of the kind, as written in the manifest: `email`, `phone`,
    /// `card`, `iban` or `name`.
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::Card => "card",
            PiiKind::Iban => "iban",
            PiiKind::Name => "name",
        }
    }
}

/// How many spans of each kind were redacted, in one text or summed over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedactionCounts {
    /// E-mail addresses.
    pub email: u32,
    /// Phone numbers.
    pub phone: u32,
    /// Payment card numbers.
    pub card: u32,
    /// IBANs.
    pub iban: u32,
    /// Person names.
    pub name: u32,
}

impl RedactionCounts {
    /// The count of one kind.
    pub fn get(&self, kind: PiiKind) -> u32 {
        match kind {
            PiiKind::Email => self.email,
            PiiKind::Phone => self.phone,
            PiiKind::Card => self.card,
            PiiKind::Iban => self.iban,
            PiiKind::Name => self.name,
        }
    }

    /// Counts one more span of `kind` (saturating).
    pub fn increment(&mut self, kind: PiiKind) {
        let count = match kind {
            PiiKind::Email => &mut self.email,
            PiiKind::Phone => &mut self.phone,
            PiiKind::Card => &mut self.card,
            PiiKind::Iban => &mut self.iban,
            PiiKind::Name => &mut self.name,
        };
        *count = count.saturating_add(1);
    }

    /// Adds the counts of `other` to these (saturating), to sum texts into a run total.
    pub fn add(&mut self, other: &RedactionCounts) {
        self.email = self.email.saturating_add(other.email);
        self.phone = self.phone.saturating_add(other.phone);
        self.card = self.card.saturating_add(other.card);
        self.iban = self.iban.saturating_add(other.iban);
        self.name = self.name.saturating_add(other.name);
    }

    /// All kinds together (saturating).
    pub fn total(&self) -> u32 {
        PiiKind::ALL.iter().fold(0u32, |sum, &kind| sum.saturating_add(self.get(kind)))
    }
}

/// Detects and replaces personal data; see the module documentation for the rules.
///
/// Build it once (compiling the regexes takes about 20 ms in a release build) and share
/// it: it is `Send + Sync` and [`Redactor::redact`] takes `&self`.
#[derive(Debug, Clone)]
pub struct Redactor {
    email: Regex,
    email_obfuscated: Regex,
    email_spoken: Regex,
    iban: Regex,
    number_chain: Regex,
    number_group: Regex,
    id_cue: Regex,
    spelt_number: Regex,
    spelt_name: Regex,
    lower_title: Regex,
    /// Name cues that come before the name, then those that come after it: two automata
    /// rather than one, each small enough for the lazy DFA's default cache.
    names: [NamePatterns; 2],
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

/// A detected span of the text, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    kind: PiiKind,
}

impl Redactor {
    /// Compiles the rules.
    pub fn new() -> Self {
        Redactor {
            email: compile(EMAIL),
            email_obfuscated: compile(EMAIL_OBFUSCATED),
            email_spoken: compile(EMAIL_SPOKEN),
            iban: compile(IBAN),
            number_chain: compile(NUMBER_CHAIN),
            number_group: compile(NUMBER_GROUP),
            id_cue: compile(ID_CUE),
            spelt_number: compile(SPELT_NUMBER),
            spelt_name: compile(&SPELT_NAME.replace("{U}", UPPER)),
            lower_title: compile(LOWER_TITLE),
            names: [NamePatterns::new(NAME_CUES_LEADING, false), NamePatterns::new(NAME_CUES_TRAILING, true)],
        }
    }

    /// Returns `text` with every detected span replaced by its kind's placeholder, and the
    /// number of spans of each kind.
    ///
    /// When nothing is detected, the text comes back as a plain copy, allocated once at its
    /// exact length.
    pub fn redact(&self, text: &str) -> (String, RedactionCounts) {
        let spans = self.spans(text);
        let mut counts = RedactionCounts::default();
        if spans.is_empty() {
            return (text.to_owned(), counts);
        }
        let mut out = String::with_capacity(text.len() + 8 * spans.len());
        let mut last = 0;
        for span in spans {
            out.push_str(&text[last..span.start]);
            out.push_str(span.kind.placeholder());
            counts.increment(span.kind);
            last = span.end;
        }
        out.push_str(&text[last..]);
        (out, counts)
    }

    /// Redacts a transcript's speaker label: the text rules, then every run of capitalised
    /// words that are not role or common words (`Ludivine Castagnier` → `[NAME]`, `Agent
    /// Julie` → `Agent [NAME]`, `Marie de Villiers` → `[NAME]`). Role labels (`Client`,
    /// `Conseillère`, `Agent`, `SPEAKER_00`, `Speaker A`, `Intervenant 2`) stay: a label is a
    /// name by its position, no cue is needed.
    pub fn redact_speaker(&self, label: &str) -> (String, RedactionCounts) {
        let (text, mut counts) = self.redact(label);
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
            return (text, counts);
        }
        out.push_str(&text[last..]);
        (out, counts)
    }

    /// The spans to redact, in text order, not overlapping.
    fn spans(&self, text: &str) -> Vec<Span> {
        let mut found = Vec::new();
        let has_digit = text.bytes().any(|b| b.is_ascii_digit());
        if text.contains('@') {
            self.emails(text, &mut found);
        }
        if may_hold_obfuscated_email(text) {
            self.obfuscated_emails(text, &mut found);
            self.spoken_emails(text, &mut found);
        }
        if has_digit {
            let mut look_alikes = Vec::new();
            self.ibans(text, &mut found, &mut look_alikes);
            self.numbers(text, &look_alikes, &mut found);
        }
        if ["zéro", "zero", "oh"].iter().any(|word| contains_ignore_ascii_case(text, word)) {
            self.spelt_numbers(text, &mut found);
        }
        if ["madame", "monsieur", "mademoiselle", "mme", "mlle"].iter().any(|t| text.contains(t)) {
            self.lowercase_titled_names(text, &mut found);
        }
        if text.chars().any(char::is_uppercase) {
            self.names(text, &mut found);
            if text.contains('-') {
                self.spelt_names(text, &mut found);
            }
        }
        resolve_overlaps(found)
    }

    fn emails(&self, text: &str, out: &mut Vec<Span>) {
        for m in self.email.find_iter(text) {
            let start = m.start() + leading_punctuation(m.as_str());
            if start < m.end() && boundary_after(text, m.end()) {
                out.push(Span { start, end: m.end(), kind: PiiKind::Email });
            }
        }
    }

    fn obfuscated_emails(&self, text: &str, out: &mut Vec<Span>) {
        for caps in self.email_obfuscated.captures_iter(text) {
            let (Some(whole), Some(local), Some(at), Some(domain), Some(dot)) =
                (caps.get(0), caps.get(1), caps.get(2), caps.get(3), caps.get(5))
            else {
                continue;
            };
            if !boundary_after(text, whole.end()) {
                continue;
            }
            let at = at.as_str().trim().to_ascii_lowercase();
            let dot_spelt = dot.as_str().trim() != ".";
            let local_text = local.as_str().trim_matches(['.', '-', '+', '_', '%']);
            let addressy =
                local_text.contains(['.', '_', '-', '+', ' ']) || local_text.bytes().any(|b| b.is_ascii_digit());
            let webmail = is_webmail(domain.as_str());
            let accepted = match at.as_str() {
                // A plain `@` with a plain dot is an ordinary address, found above.
                "@" => dot_spelt,
                // The English word: a spelt-out dot and an address-like local part or a
                // webmail, or a plain dot and both (`jean.dupont at gmail.com`, not
                // `bought it at orange.fr`).
                "at" => {
                    if dot_spelt {
                        addressy || webmail
                    } else {
                        addressy && webmail
                    }
                }
                _ => true,
            };
            if accepted {
                let start = local.start() + leading_punctuation(local.as_str());
                if start < local.end() {
                    out.push(Span { start, end: whole.end(), kind: PiiKind::Email });
                }
            }
        }
    }

    /// Addresses read out without their top-level domain: `jean point dupont at gmail`,
    /// `jean arobase orange`. The English ` at ` needs a dot spelt out in the local part.
    fn spoken_emails(&self, text: &str, out: &mut Vec<Span>) {
        for caps in self.email_spoken.captures_iter(text) {
            let (Some(whole), Some(local), Some(at)) = (caps.get(0), caps.get(1), caps.get(2)) else {
                continue;
            };
            let spelt_dot = local.as_str().contains(' ');
            if boundary_before(text, whole.start())
                && boundary_after(text, whole.end())
                && (spelt_dot || at.as_str().eq_ignore_ascii_case("arobase"))
            {
                out.push(Span { start: whole.start(), end: whole.end(), kind: PiiKind::Email });
            }
        }
    }

    /// Finds IBANs, and records in `look_alikes` the strings that have an IBAN's country
    /// and length but fail its checksum: their digit groups are no phone or card either.
    fn ibans(&self, text: &str, out: &mut Vec<Span>, look_alikes: &mut Vec<(usize, usize)>) {
        let mut pos = 0;
        while let Some(m) = self.iban.find_at(text, pos) {
            match iban_end(text, m.start(), m.as_str()) {
                IbanCandidate::Valid(end) => {
                    out.push(Span { start: m.start(), end, kind: PiiKind::Iban });
                    pos = end;
                }
                IbanCandidate::LookAlike(end) => {
                    look_alikes.push((m.start(), end));
                    pos = end;
                }
                IbanCandidate::No => {
                    // The greedy match may have swallowed an IBAN after a false start.
                    pos = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
                }
            }
        }
    }

    /// Finds card and phone numbers, outside the IBAN look-alikes.
    fn numbers(&self, text: &str, look_alikes: &[(usize, usize)], out: &mut Vec<Span>) {
        let mut groups = Vec::new();
        for chain in self.number_chain.find_iter(text) {
            let plus = chain.as_str().starts_with('+') || chain.as_str().starts_with("(+");
            groups.clear();
            let mut previous_end = chain.start();
            for g in self.number_group.captures_iter(chain.as_str()) {
                let (Some(whole), Some(digits)) = (g.get(0), g.get(1).or_else(|| g.get(2))) else {
                    continue;
                };
                let start = chain.start() + whole.start();
                groups.push(Group {
                    start,
                    end: chain.start() + whole.end(),
                    digits: digits.as_str(),
                    // `(+33)` is a country code, read as if written `+33`.
                    paren: g.get(1).is_some() && !whole.as_str().starts_with("(+"),
                    sep: text[previous_end..start].chars().next(),
                });
                previous_end = chain.start() + whole.end();
            }
            let mut i = 0;
            while i < groups.len() {
                let last = (i + MAX_NUMBER_GROUPS).min(groups.len());
                let found = (i..last).rev().find_map(|j| {
                    let window = &groups[i..=j];
                    let start = if i == 0 && plus { chain.start() } else { window[0].start };
                    self.classify_number(text, window, i == 0 && plus, start)
                        .filter(|span| !look_alikes.iter().any(|&(s, e)| s < span.end && span.start < e))
                        .map(|span| (j, span))
                });
                match found {
                    Some((j, span)) => {
                        out.push(span);
                        i = j + 1;
                    }
                    None => i += 1,
                }
            }
        }
    }

    /// Decides whether a window of digit groups is a card or a phone number.
    fn classify_number(&self, text: &str, window: &[Group<'_>], plus: bool, start: usize) -> Option<Span> {
        let len: usize = window.iter().map(|g| g.digits.len()).sum();
        if !(7..=19).contains(&len) {
            return None;
        }
        let end = window[window.len() - 1].end;
        if !number_boundary_before(text, start) || !number_boundary_after(text, end) {
            return None;
        }
        let digits: String = window.iter().map(|g| g.digits).collect();
        let kind = if !plus && is_card(window, &digits) {
            PiiKind::Card
        } else if is_phone(window, &digits, plus) {
            PiiKind::Phone
        } else {
            return None;
        };
        let cue = self.id_cue_before(text, start);
        let suppressed = match kind {
            PiiKind::Card => cue == Some(IdCue::Scheme),
            _ => cue.is_some(),
        };
        (!suppressed).then_some(Span { start, end, kind })
    }

    /// The identifier cue that directly precedes `start`, if any.
    fn id_cue_before(&self, text: &str, start: usize) -> Option<IdCue> {
        let from = ceil_char_boundary(text, start.saturating_sub(ID_CUE_WINDOW));
        let caps = self.id_cue.captures(&text[from..start])?;
        if caps.get(1).is_some() {
            Some(IdCue::Scheme)
        } else {
            Some(IdCue::Other)
        }
    }

    /// Phone numbers said in words, as speech-to-text writes them: `zéro six trente-neuf
    /// quatre-vingt-dix-huit…`, `oh seven seven double oh nine…`.
    fn spelt_numbers(&self, text: &str, out: &mut Vec<Span>) {
        for m in self.spelt_number.find_iter(text) {
            // The run must be a number of its own, not the end of a longer one.
            let before = text[..m.start()].trim_end_matches([' ', ',', '-']);
            let previous_word = before.rsplit(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
            if !boundary_before(text, m.start())
                || !boundary_after(text, m.end())
                || (before.len() < m.start() && is_number_word(previous_word))
                // `OH 2 2 7 5 1` is the letters and digits of a reference, read out.
                || m.as_str().starts_with("OH")
                || self.id_cue_before(text, m.start()).is_some()
            {
                continue;
            }
            out.push(Span { start: m.start(), end: m.end(), kind: PiiKind::Phone });
        }
    }

    /// Names in lowercase after a lowercase title: `madame durand`, not `madame est
    /// partie` nor `monsieur le directeur`.
    fn lowercase_titled_names(&self, text: &str, out: &mut Vec<Span>) {
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
    fn spelt_names(&self, text: &str, out: &mut Vec<Span>) {
        for m in self.spelt_name.find_iter(text) {
            // Spelt acronyms (`S-N-C-F`) have no vowel; names nearly always do.
            let has_vowel = m.as_str().chars().any(|c| "AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŸ".contains(c));
            if has_vowel && boundary_before(text, m.start()) && boundary_after(text, m.end()) {
                out.push(Span { start: m.start(), end: m.end(), kind: PiiKind::Name });
            }
        }
    }

    fn names(&self, text: &str, out: &mut Vec<Span>) {
        for patterns in &self.names {
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

/// Compiles one of the module's patterns, which are tested: a failure is a bug.
fn compile(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(regex) => regex,
        Err(err) => panic!("redaction pattern does not compile: {err}"),
    }
}

/// Which detection wins when two overlap, lowest first: an e-mail address holds digits
/// that may look like a phone, and an IBAN digit groups that may look like a phone or a
/// card.
fn priority(kind: PiiKind) -> u8 {
    match kind {
        PiiKind::Email => 0,
        PiiKind::Iban => 1,
        PiiKind::Card => 2,
        PiiKind::Phone => 3,
        PiiKind::Name => 4,
    }
}

/// Keeps one span of each overlapping set, by [`priority`] then position, and returns the
/// kept spans in text order.
fn resolve_overlaps(mut found: Vec<Span>) -> Vec<Span> {
    if found.len() <= 1 {
        return found;
    }
    found.sort_by_key(|s| (priority(s.kind), s.start, std::cmp::Reverse(s.end)));
    let mut kept: BTreeMap<usize, Span> = BTreeMap::new();
    for span in found {
        // Kept spans do not overlap, so the one starting last before `span.end` has the
        // largest end of those that could overlap.
        let overlaps = kept.range(..span.end).next_back().is_some_and(|(_, k)| k.end > span.start);
        if !overlaps {
            kept.insert(span.start, span);
        }
    }
    kept.into_values().collect()
}

// ---------------------------------------------------------------------------------------
// Boundaries

fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn char_after(text: &str, i: usize) -> Option<char> {
    text[i..].chars().next()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// No letter or digit right before `i`.
fn boundary_before(text: &str, i: usize) -> bool {
    !char_before(text, i).is_some_and(is_word_char)
}

/// No letter or digit right after `i`.
fn boundary_after(text: &str, i: usize) -> bool {
    !char_after(text, i).is_some_and(is_word_char)
}

/// Bytes of `.`, `-`, `+`, `_`, `%` a match starts with (an ellipsis before an address).
fn leading_punctuation(s: &str) -> usize {
    s.len() - s.trim_start_matches(['.', '-', '+', '_', '%']).len()
}

/// A number may start at `start`: not glued to a word, a reference (`#`) or a currency,
/// and not the continuation of a longer number (`3.06…`, `S-PAR-0…`).
fn number_boundary_before(text: &str, start: usize) -> bool {
    match char_before(text, start) {
        None => true,
        Some(c) if is_word_char(c) => false,
        Some('#' | '\\' | '€' | '$' | '£' | '@' | '+' | '&' | '=') => false,
        Some(c @ ('-' | '.' | ',')) => {
            let before = char_before(text, start - c.len_utf8());
            !before.is_some_and(|b| b.is_ascii_digit() || (c == '-' && b.is_alphanumeric()))
        }
        Some(_) => true,
    }
}

/// A number may end at `end`: not glued to a word, not followed by more digits after a
/// separator (`0612345678,50`), and not followed by a currency or a unit. A `/` between
/// two numbers separates them (`06 39 98 12 34/06 39 98 56 78`).
fn number_boundary_after(text: &str, end: usize) -> bool {
    let rest = &text[end..];
    let mut chars = rest.chars();
    match chars.next() {
        None => return true,
        Some(c) if is_word_char(c) => return false,
        Some('%' | '€' | '$' | '£' | '‰' | '@' | '°') => return false,
        Some('-' | '.' | ',' | ':') if chars.next().is_some_and(|d| d.is_ascii_digit()) => {
            return false;
        }
        Some(_) => {}
    }
    // One space, then a currency or a unit word.
    let after_space = rest.strip_prefix([' ', '\u{A0}', '\u{202F}']).unwrap_or(rest);
    if after_space.starts_with(['€', '$', '£', '%']) {
        return false;
    }
    let word_len = after_space.find(|c: char| !c.is_alphabetic()).unwrap_or(after_space.len());
    if word_len == 0 {
        return true;
    }
    let word = after_space[..word_len].to_lowercase();
    let next = after_space[word_len..].chars().next();
    let whole_word = !next.is_some_and(|c| c.is_alphanumeric() || c == '\'' || c == '’');
    !(whole_word && UNITS.contains(&word.as_str()))
}

/// Words after a number that make it a quantity or an amount, not a phone or a card.
const UNITS: &[&str] = &[
    "eur", "euro", "euros", "usd", "gbp", "chf", "dollars", "pounds", "livres", "kg", "g", "mg", "km", "cm", "mm",
    "ml", "cl", "min", "mn", "minutes", "secondes", "seconds", "ans", "pts", "points", "ko", "mo", "go", "kb", "mb",
    "gb", "centimes", "cents", "pence",
];

// ---------------------------------------------------------------------------------------
// E-mail addresses

/// A plain address. Boundaries are checked in code: `\b` on Unicode text would keep the
/// regex engine off its fast automata.
const EMAIL: &str = r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}";

/// An obfuscated address: local part (1, with dots maybe spelt out), at (2), domain
/// labels (3, with an inner separator 4), the separator before the top-level domain (5)
/// and the domain (6).
const EMAIL_OBFUSCATED: &str = concat!(
    r"(?i)([\p{L}\p{N}._%+\-]+(?:(?: dot | point )[\p{L}\p{N}._%+\-]+)*)",
    r"( ?(?:\[at\]|\(at\)|\{at\}|\[@\]|\(@\)|\[arobase\]|\(arobase\)) ?| at | arobase |@)",
    r"([\p{L}\p{N}\-]+(?:( ?(?:\.|\[dot\]|\(dot\)|\{dot\}|\[point\]|\(point\)) ?| dot | point )[\p{L}\p{N}\-]+)*)",
    r"( ?(?:\.|\[dot\]|\(dot\)|\{dot\}|\[point\]|\(point\)) ?| dot | point )",
    r"(com|fr|net|org|eu|be|ch|ca|uk|de|es|it|io|info|biz|lu|mc|nl|pt|ie|me|co)",
);

/// An address read out without its top-level domain: a local part (1) with dots maybe
/// spelt out, ` at ` or ` arobase ` (2), and a webmail domain.
const EMAIL_SPOKEN: &str = concat!(
    r"(?i)([\p{L}\p{N}._\-]+(?: (?:dot|point) [\p{L}\p{N}._\-]+)*) (at|arobase) ",
    r"(?:gmail|googlemail|hotmail|outlook|live|yahoo|icloud|orange|wanadoo|free|sfr|laposte|gmx|protonmail)",
);

/// Whether the text may hold an obfuscated address (an at spelt out or in brackets).
fn may_hold_obfuscated_email(text: &str) -> bool {
    ["[at]", "(at)", "{at}", "[@]", "(@)", "arobase", " at "]
        .iter()
        .any(|needle| contains_ignore_ascii_case(text, needle))
}

fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Webmail domains (first label): after the bare word ` at `, they make an address of
/// any local part.
const WEBMAIL: &str =
    "gmail googlemail hotmail outlook live msn yahoo icloud me aol gmx protonmail proton orange wanadoo \
    free sfr laposte neuf bbox numericable club-internet btinternet sky mail web";

fn is_webmail(domain: &str) -> bool {
    let first = domain.split(|c: char| !(c.is_alphanumeric() || c == '-')).next().unwrap_or("").to_ascii_lowercase();
    WEBMAIL.split(' ').any(|w| w == first)
}

// ---------------------------------------------------------------------------------------
// IBAN

/// Two letters, two check digits, then letters and digits with single spaces or hyphens
/// anywhere; the country length is applied in code ([`iban_end`]).
const IBAN: &str = r"[A-Za-z]{2}[0-9]{2}(?:[ \x{A0}\-]?[A-Za-z0-9]){10,32}";

/// The end of the IBAN that starts a candidate, if its country, length and checksum fit.
fn iban_end(text: &str, start: usize, candidate: &str) -> IbanCandidate {
    if !boundary_before(text, start) {
        return IbanCandidate::No;
    }
    let Some(len) = candidate.get(..2).and_then(|country| iban_length(&country.to_ascii_uppercase())) else {
        return IbanCandidate::No;
    };
    let mut compact = String::with_capacity(len);
    for (i, c) in candidate.char_indices() {
        if c.is_ascii_alphanumeric() {
            compact.push(c.to_ascii_uppercase());
            if compact.len() == len {
                let end = start + i + 1;
                return match (boundary_after(text, end), iban_checksum_ok(&compact)) {
                    (false, _) => IbanCandidate::No,
                    (true, true) => IbanCandidate::Valid(end),
                    (true, false) => IbanCandidate::LookAlike(end),
                };
            }
        }
    }
    IbanCandidate::No
}

/// What [`iban_end`] makes of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IbanCandidate {
    /// An IBAN, ending at this byte offset.
    Valid(usize),
    /// The country and length of an IBAN with a failing checksum (a typo, a made-up
    /// code), ending at this byte offset.
    LookAlike(usize),
    /// Not an IBAN.
    No,
}

/// The IBAN length of a country of the ISO 13616 registry.
fn iban_length(country: &str) -> Option<usize> {
    const LENGTHS: &str = "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 \
        DE22 DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 \
        GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 \
        LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 \
        PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 \
        TL23 TN24 TR26 UA29 VA22 VG24 XK20";
    if country.len() != 2 {
        return None;
    }
    LENGTHS.split(' ').find(|entry| entry.starts_with(country)).and_then(|entry| entry[2..].parse().ok())
}

/// The ISO 13616 check of a compact, uppercase IBAN: check digits 02 to 98, and the
/// number made of the BBAN, the country (letters as 10 to 35) and the check digits is 1
/// modulo 97.
fn iban_checksum_ok(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if bytes.len() < 5
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let check = u32::from(bytes[2] - b'0') * 10 + u32::from(bytes[3] - b'0');
    if !(2..=98).contains(&check) {
        return false;
    }
    let mut remainder: u32 = 0;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        remainder = if b.is_ascii_digit() {
            (remainder * 10 + u32::from(b - b'0')) % 97
        } else {
            (remainder * 100 + u32::from(b - b'A') + 10) % 97
        };
    }
    remainder == 1
}

// ---------------------------------------------------------------------------------------
// Phone and card numbers

/// Digit groups joined by at most one space, dot, hyphen or slash, or by two spaces,
/// with an optional leading `+` and parenthesised groups (`(0)`, `(415)`, `(+33)`).
const NUMBER_CHAIN: &str = concat!(
    r"(?:\+[ \x{A0}]?)?(?:\(\+?[0-9]{1,4}\)|[0-9]+)",
    r"(?:(?:[ .\-/\x{A0}\x{202F}]|  )?(?:\(\+?[0-9]{1,4}\)|[0-9]+))*",
);

/// One group of a chain: parenthesised digits (1), a leading `+` in the parentheses
/// marking a country code (`(+33)`), or digits (2).
const NUMBER_GROUP: &str = r"\(\+?([0-9]{1,4})\)|([0-9]+)";

/// The most groups a phone or card number is written in.
const MAX_NUMBER_GROUPS: usize = 8;

/// How far back, in bytes, an identifier cue is looked for.
const ID_CUE_WINDOW: usize = 48;

/// An identifier cue that ends right where a number starts: only separators and linking
/// words (`n°`, `de`, `number`, `is`…) between them. Group 1: identifiers that may pass
/// Luhn by design (they suppress cards too); the other cues only suppress phones.
const ID_CUE: &str = concat!(
    r"(?i)(?:(?-u:\b)(siret|siren|imei|ean|gtin|upc|serial|s[ée]rie|tva|vat)",
    r"|(?-u:\b)(?:orders?|commandes?|cmd|cde|tickets?|suivi|tracking|track|r[ée]f[ée]rences?",
    r"|r[ée]f|ref|factures?|invoices?|dossiers?|colis|parcels?|packages?|shipments?",
    r"|exp[ée]ditions?|contrats?|contracts?|accounts?|comptes?|transactions?|cases?",
    r"|incidents?|lot|sku|articles?|codes?|confirmation|booking|r[ée]servations?",
    r"|reservation|vol|flight|billets?|receipt|rma|avoir|devis|quote|loyalty",
    r"|(?:n[°º]|num[ée]ro|no\.?)[ \t]*(?:de[ \t]+|d['’][ \t]*)?(?:client|adh[ée]rent|membre|fid[ée]lit[ée])",
    r"|(?:customer|member(?:ship)?|client)[ \t]+(?:number|no|id|n[°º]))",
    r"|n[°º]|#)",
    r"(?:[ \t\x{A0}:.#°º\-]|n[°º]|(?-u:\b)(?:de|du|d['’]|le|la|the|number|num[ée]ro|no|nr|is|est",
    r"|was|[ée]tait|id|client|customer)(?-u:\b))*$",
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdCue {
    /// An identifier scheme whose numbers may pass Luhn (SIRET, IMEI…).
    Scheme,
    /// Any other reference (order, ticket, tracking…).
    Other,
}

/// A group of digits in a number chain.
#[derive(Debug, Clone, Copy)]
struct Group<'a> {
    /// Byte offset of the group in the text, parentheses included.
    start: usize,
    /// Byte offset of the group's end in the text, parentheses included.
    end: usize,
    /// The digits, without parentheses.
    digits: &'a str,
    /// The group was written in parentheses.
    paren: bool,
    /// The separator written before the group, if any.
    sep: Option<char>,
}

/// The Luhn checksum of a string of ASCII digits.
fn luhn_ok(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A payment card number: grouping, length for its major industry identifier, Luhn.
fn is_card(window: &[Group<'_>], digits: &str) -> bool {
    let len = digits.len();
    if !(13..=19).contains(&len) || window.iter().any(|g| g.paren) {
        return false;
    }
    let sizes: Vec<usize> = window.iter().map(|g| g.digits.len()).collect();
    let grouped = match sizes.as_slice() {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true,
        [init @ .., last] => init.len() >= 2 && init.iter().all(|&s| s == 4) && *last <= 4,
        [] => false,
    };
    if !grouped || window.iter().skip(1).any(|g| !matches!(g.sep, Some(' ' | '-' | '.' | '\u{A0}' | '\u{202F}'))) {
        return false;
    }
    // Dots only throughout (`4970.1012.3456.7890`): a dot next to another separator is
    // a decimal or a version.
    if window.len() > 1
        && window.iter().skip(1).any(|g| g.sep == Some('.'))
        && !window.iter().skip(1).all(|g| g.sep == Some('.'))
    {
        return false;
    }
    let b = digits.as_bytes();
    let length_fits = match (b[0], b[1]) {
        (b'4', _) => matches!(len, 13 | 16 | 19),
        (b'3', b'4' | b'7') => len == 15,
        (b'3', b'0' | b'6' | b'8' | b'9') => matches!(len, 14..=16 | 19),
        (b'3', b'5') => (16..=19).contains(&len),
        (b'2', _) => len == 16,
        (b'5' | b'6', _) => (16..=19).contains(&len),
        _ => false,
    };
    length_fits && luhn_ok(digits)
}

/// A phone number, international (leading `+` or `00`) or national.
fn is_phone(window: &[Group<'_>], digits: &str, plus: bool) -> bool {
    // Slashes only in the French `06/12/71/14/71`, between every pair of digits: dates
    // (`06/12/2026`, `06/12/26`) have other groupings.
    let slashes = window.iter().skip(1).filter(|g| g.sep == Some('/')).count();
    if slashes > 0 {
        let sizes_ok = window.iter().all(|g| g.digits.len() == 2 && !g.paren);
        return !plus && slashes == window.len() - 1 && window.len() == 5 && sizes_ok && national_phone(window, digits);
    }
    if plus || (!window[0].paren && window[0].digits.starts_with("00")) {
        international_phone(window, plus)
    } else {
        national_phone(window, digits)
    }
}

/// Country calling codes and the lengths of their national significant numbers
/// (`code:length` or `code:min-max`).
const COUNTRY_CODES: &str = "1:10 7:10 20:10 27:9 30:10 31:9 32:8-9 33:9 34:9 36:8-9 39:6-11 40:9 41:9 43:4-13 \
    44:9-10 45:8 46:7-13 47:8 48:9 49:6-13 52:10 55:10-11 61:9 81:9-10 86:11 90:10 91:10 \
    212:9 213:8-9 216:8 221:9 225:8-10 262:9 351:9 352:4-11 353:7-9 356:8 377:8-9 590:9 \
    594:9 596:9 687:6 689:6-8 971:8-9";

fn country_lengths(code: &str) -> Option<(usize, usize)> {
    let lengths = COUNTRY_CODES.split(' ').find_map(|entry| entry.strip_prefix(code)?.strip_prefix(':'))?;
    match lengths.split_once('-') {
        Some((min, max)) => Some((min.parse().ok()?, max.parse().ok()?)),
        None => lengths.parse().ok().map(|len| (len, len)),
    }
}

fn international_phone(window: &[Group<'_>], plus: bool) -> bool {
    let mut groups: Vec<(&str, bool)> = window.iter().map(|g| (g.digits, g.paren)).collect();
    if !plus {
        groups[0].0 = &groups[0].0[2..];
        if groups[0].0.is_empty() {
            groups.remove(0);
        }
    }
    let Some(&(first, first_paren)) = groups.first() else {
        return false;
    };
    if first_paren || first.is_empty() {
        return false;
    }
    let (code, mut national): (String, String) = if groups.len() > 1 && first.len() <= 3 {
        let mut rest = &groups[1..];
        // The trunk prefix written in parentheses: `+33 (0)6…`.
        if rest.first().is_some_and(|&(d, paren)| paren && d == "0") {
            rest = &rest[1..];
        }
        (first.to_owned(), rest.iter().map(|(d, _)| *d).collect())
    } else {
        let all: String = groups.iter().map(|(d, _)| *d).collect();
        match (1..=3).find(|&l| all.len() > l && country_lengths(&all[..l]).is_some()) {
            Some(l) => (all[..l].to_owned(), all[l..].to_owned()),
            None => return groups.len() == 1 && (8..=15).contains(&all.len()),
        }
    };
    if code.starts_with('0') || national.is_empty() {
        return false;
    }
    // A trunk `0` written without parentheses after the code (`+33 06…`), except in Italy
    // where it belongs to the number.
    if national.starts_with('0') && code != "39" {
        national.remove(0);
    }
    match country_lengths(&code) {
        Some((min, max)) => (min..=max).contains(&national.len()),
        None => (6..=12).contains(&national.len()) && code.len() + national.len() <= 15,
    }
}

fn national_phone(window: &[Group<'_>], digits: &str) -> bool {
    let sizes: Vec<usize> = window.iter().map(|g| g.digits.len()).collect();
    let b = digits.as_bytes();
    // North America: (415) 555-0132, 415-555-0132, 415.555.0132.
    if sizes == [3, 3, 4] && (b'2'..=b'9').contains(&b[0]) && (b'2'..=b'9').contains(&b[3]) {
        let seps = (window[1].sep, window[2].sep);
        let separated = matches!(seps, (Some('-'), Some('-')) | (Some('.'), Some('.')));
        let area_code = window[0].paren && matches!(seps, (Some(' ') | None, Some('-' | ' ')));
        return !window[1].paren && !window[2].paren && (separated || area_code);
    }
    if window.iter().any(|g| g.paren) || b[0] != b'0' || b.get(1).is_none_or(|&d| d == b'0') {
        return false;
    }
    const FR_CH_BE_10: &[&[usize]] =
        &[&[10], &[2, 2, 2, 2, 2], &[1, 3, 3, 3], &[4, 3, 3], &[4, 2, 2, 2], &[3, 3, 2, 2], &[2, 4, 4], &[2, 2, 2, 4]];
    const UK_11: &[&[usize]] = &[&[11], &[3, 4, 4], &[5, 6], &[4, 3, 4], &[5, 3, 3], &[4, 7], &[3, 8]];
    const BE_9: &[&[usize]] = &[&[2, 3, 2, 2], &[3, 2, 2, 2]];
    let patterns = match digits.len() {
        9 => BE_9,
        10 => FR_CH_BE_10,
        11 => UK_11,
        _ => return false,
    };
    patterns.contains(&sizes.as_slice())
}

/// A phone number said in words: `zéro`, `zero` or `oh`, then at least four more number
/// words or digits (five words are the shortest way to say a French or British number).
const SPELT_NUMBER: &str = concat!(
    r"(?i)(?-u:\b)(?:z[ée]ro|zero|oh)(?:(?:[ ,]+|-)",
    r"(?:z[ée]ro|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize",
    r"|quatorze|quinze|seize|vingts?|trente|quarante|cinquante|soixante|septante|octante",
    r"|huitante|nonante|cents?|et|zero|oh|one|two|three|four|five|six|seven|eight|nine|ten",
    r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty",
    r"|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|double|triple|[0-9]{1,2})",
    r"(?-u:\b)){4,}",
);

/// Whether a word is one of the number words of [`SPELT_NUMBER`] (then a run that follows
/// it is the end of a longer number, not a phone number of its own).
fn is_number_word(word: &str) -> bool {
    const WORDS: &str = "zéro zero un une deux trois quatre cinq six sept huit neuf dix onze \
        douze treize quatorze quinze seize vingt vingts trente quarante cinquante soixante \
        septante octante huitante nonante cent cents one two three four five seven eight \
        nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen \
        nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred double triple";
    let lower = word.to_lowercase();
    lower.bytes().all(|b| b.is_ascii_digit()) && !lower.is_empty() || WORDS.split(' ').any(|w| w == lower)
}

/// A name spelt letter by letter with hyphens, at least four letters, one of them a vowel:
/// `B-E-N-A-L-I`.
const SPELT_NAME: &str = r"{U}(?:-{U}){3,}";

// ---------------------------------------------------------------------------------------
// Names

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

/// Brands written as a title and a word, compared in lowercase without the title's dot:
/// after these titles, these words are not redacted (`Dr. Martens`, `Mr. Bricolage`),
/// while the word after another title still is (`Madame Martens`).
const TITLE_BRANDS: &[&str] = &[
    "dr martens",
    "dr pepper",
    "dr oetker",
    "dr scholl",
    "docteur scholl",
    "m bricolage",
    "mr bricolage",
    "monsieur bricolage",
    "mr muscle",
    "monsieur muscle",
    "mr propre",
    "monsieur propre",
    "madame figaro",
    "mr freeze",
    "mister freeze",
    "monsieur meuble",
    "mr meuble",
    "monsieur cuisine",
    "mr cuisine",
];

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

/// Lowercase words that follow a lowercase title and are not names: verbs and other
/// frequent words (`madame est partie`, `monsieur nous a dit`), with [`NOT_NAMES`].
const AFTER_LOWER_TITLE: &str = "est était a avait aura sera fut reste restait semble semblait \
    vient venait fait faisait dit disait parle parlait répond répondait explique expliquait part partait \
    revient revenait arrive arrivait peut pouvait doit devait va allait veut voulait sait savait voit \
    voyait prend prenait met mettait cherche cherchait nous vous me te lui leur qui que dont ne se y en \
    ou et mais donc car ni si est-ce était-il votre vos notre nos mon ton son ses madame monsieur \
    mademoiselle bonjour bonsoir merci svp stp aussi encore toujours jamais souvent puis alors ensuite \
    rapidement gentiment poliment sèchement";

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

/// The first character boundary at or after `i`.
fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The last character boundary at or before `i`.
fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How a name cue relates to the name, which decides how the matched words are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameCue {
    /// A civil or professional title before the name; leading particles and uppercase
    /// surnames allowed. A first word that is not a name rejects the match.
    Title,
    /// A cue before the name (`je m'appelle`). A first word that is not a name rejects it.
    After,
    /// A cue after the name (`à votre écoute`): leading words that are not names are
    /// dropped (`Bonjour Julie à votre écoute` → `Julie`).
    Before,
    /// `under` before the name, which names a person only in a booking: a booking word
    /// must come shortly before (`a table for two under Smith`, not `under Armour`).
    Under,
}

/// The name cues that start with the cue, one capture group each (`{NAME}`, or `{NAME_T}`
/// after a title), in the order they are tried at a position. `{H}` is a horizontal
/// space, `{Q}` an apostrophe.
const NAME_CUES_LEADING: &[(NameCue, &str)] = &[
    // Abbreviated titles, with or without their dot.
    (NameCue::Title, r"(?-u:\b)(?:Mmes?|Mlles?|MME|MLLE|Mrs?|MRS?|Ms|Drs?|Prof)\.?{H}+({NAME_T})"),
    // Titles in full, never followed by a dot (`Merci Madame. Sophie…` is two sentences).
    (
        NameCue::Title,
        concat!(
            r"(?-u:\b)(?:[Mm]adame|[Mm]onsieur|[Mm]ademoiselle|MADAME|MONSIEUR|Miss",
            r"|[Dd]octeur|[Dd]octor|[Pp]rofesseur|[Mm]aître){H}+({NAME_T})",
        ),
    ),
    (NameCue::Title, r"(?-u:\b)M\.{H}*({NAME_T})"),
    // `M Lambert`, without the dot: not after a size (`taille M Noir`), checked in code.
    (NameCue::Title, r"(?-u:\b)M{H}+({NAME_T})"),
    // Introductions.
    (
        NameCue::After,
        concat!(
            r"(?i:(?-u:\b)je{H}+m{Q}{H}?appel(?:le|ais|lais|lerai)",
            r"|(?-u:\b)je{H}+me{H}+nomme",
            r"|(?-u:\b)je{H}+suis",
            r"|(?-u:\b)moi{H}*,?{H}*c{Q}{H}?est{H}*,?",
            r"|(?-u:\b)mon{H}+(?:pr[ée]nom|nom)(?:{H}+de{H}+famille)?{H}+(?:est|c{Q}est){H}*:?",
            r"|(?-u:\b)my{H}+(?:first{H}+|last{H}+|full{H}+|sur)?name(?:{H}+is|{Q}s){H}*:?",
            r"){H}+({NAME})",
        ),
    ),
    // A name given by someone else.
    (
        NameCue::After,
        concat!(
            r"(?i:(?-u:\b)s{Q}{H}?appel(?:le|ait|lait)",
            r"|(?-u:\b)pr[ée]nomm[ée]e?",
            r"|(?-u:\b)nomm[ée]e?",
            r"|(?-u:\b)named",
            r"|(?-u:\b)whose{H}+(?:first{H}+)?name{H}+(?:is|was)",
            r"|(?-u:\b)dont{H}+le{H}+(?:pr[ée])?nom{H}+(?:est|[ée]tait)",
            r"){H}+({NAME})",
        ),
    ),
    // `I'm Jordan`, `I am Priya`: a capital `I`, and a capitalised word that is no
    // adjective or state (`I'm Very disappointed`, `I'm British`).
    (NameCue::After, r"(?-u:\b)I(?:{Q}m|{H}+am){H}+({NAME})"),
    // `I'm` after a greeting, any case.
    (
        NameCue::After,
        concat!(
            r"(?i:(?-u:\b)(?:hi|hello|hey|hiya|good{H}+(?:morning|afternoon|evening)|bonjour|bonsoir)",
            r"(?:{H}+(?:there|all|everyone))?{H}*[,!.]?{H}*(?:i{Q}m|i{H}+am)",
            r"){H}+({NAME})",
        ),
    ),
    // Chat and call openings that name the agent after the cue.
    (
        NameCue::After,
        concat!(
            r"(?i:(?-u:\b)vous{H}+[êe]tes{H}+(?:maintenant{H}+)?en{H}+",
            r"(?:ligne|relation|communication|contact|conversation|discussion){H}+avec",
            r"|(?-u:\b)vous{H}+(?:parlez|[ée]changez|discutez){H}+avec",
            r"|(?-u:\b)you(?:{Q}re|{H}+are){H}+(?:now{H}+)?",
            r"(?:chatting|speaking|talking|connected){H}+(?:with|to)",
            r"){H}+({NAME})",
        ),
    ),
    // Badges: `son badge indiquait Kevin`, `badge : Laura`, `name tag said "Tom"`.
    (
        NameCue::After,
        concat!(
            r"(?i:(?-u:\b)(?:badge|name{H}?tag|nametag|name{H}+badge|[ée]tiquette)",
            r"(?:{H}*:|{H}+(?:indiquait|indique|affichait|affiche|portait|porte|disait|dit",
            r"|mentionnait|said|says|read|reads|showed|shows|displayed|displays|was)",
            r"(?:{H}+(?:le{H}+pr[ée]nom|le{H}+nom|the{H}+name))?{H}*:?)",
            r#"){H}*["'“«‘]?{H}*({NAME})"#,
        ),
    ),
    // `this is Mark speaking`, `this is Emily from customer service`.
    (
        NameCue::After,
        concat!(
            r"(?i:(?-u:\b)(?:this{H}+is|it{Q}s|here{Q}s|hello|hi|good{H}+(?:morning|afternoon|evening)),?)",
            r"{H}+({NAME}){H}*,?{H}+(?i:speaking|from(?-u:\b))",
        ),
    ),
    // `c'est Nadia du service client`, `ici Bruno de la boutique`, `c'est Clara de Miamio`.
    (
        NameCue::After,
        concat!(
            r"(?i:(?-u:\b)(?:c{Q}{H}?est|ici)){H}+({NAME}){H}+(?:",
            r"(?i:du|de{H}+la|de{H}+l{Q}|de|des|d{Q}|de{H}+chez){H}*{SERVICE}",
            r"|(?i:de|d{Q}|from){H}*{U})",
        ),
    ),
    // Bookings: `au nom de Girard`, `under the name of Patel`.
    (
        NameCue::After,
        concat!(
            r"(?i:(?-u:\b)(?:au|sous{H}+le){H}+nom{H}+(?:de{H}+|d{Q}{H}*)",
            r"|(?-u:\b)(?:under|in){H}+the{H}+name{H}+(?:of{H}+)?",
            r")({NAME})",
        ),
    ),
    // `a booking for Friday under Patel`: checked for a booking word before it in code.
    (NameCue::Under, r"(?i:(?-u:\b)under){H}+({NAME})"),
    // A staff role after a determiner: `la vendeuse Julie`, `the manager Karen`.
    (
        NameCue::After,
        concat!(
            r"(?i:(?-u:\b)(?:l{Q}{H}?|(?:le|la|les|votre|vos|ton|mon|ma|notre|un|une",
            r"|the|your|my|our|a|an){H}+))",
            r"(?i:conseill[eè]re?|vendeu(?:r|se)|caissi[eè]re?|h[ôo]tesse|technicien(?:ne)?",
            r"|livreu(?:r|se)|agent|advisor|adviser|cashier|representative|rep|assistant|manager",
            r"|responsable|g[ée]rante?|serveu(?:r|se)|waiter|waitress|employ[ée]e?",
            r"|pharmacien(?:ne)?|op[ée]rat(?:eur|rice)|interlocut(?:eur|rice))",
            // `the agent Kevin`, `the agent, Kevin,`, `le vendeur (Mathieu)`.
            r"(?:{H}+|{H}*,{H}*|{H}*\({H}*)({NAME})",
        ),
    ),
];

/// The name cues that start with the name or a comma; see [`NAME_CUES_LEADING`].
const NAME_CUES_TRAILING: &[(NameCue, &str)] = &[
    // `Bonjour, Margaux du service après-vente`, `Hi, Ben from the returns team`: after a
    // comma only, as a line may start with any noun (`Vitrine de la boutique sale`).
    (
        NameCue::After,
        concat!(r",{H}*({NAME}){H}+", r"(?i:du|de{H}+la|de{H}+l{Q}|des|de{H}+chez|from{H}+the|from){H}*{SERVICE}",),
    ),
    // `Customer care, James speaking`, or at the start of a line.
    (NameCue::After, r"(?:,|(?m:^)){H}*({NAME}){H}+(?i:speaking|[àa]{H}+l{Q}appareil)"),
    (
        NameCue::Before,
        concat!(
            r"({NAME}){H}*,?{H}+(?i:",
            r"[àa]{H}+votre{H}+(?:[ée]coute|service|disposition)",
            r"|a{H}+rejoint{H}+(?:la{H}+conversation|le{H}+t?chat|la{H}+discussion)",
            r"|has{H}+joined{H}+(?:the{H}+)?(?:chat|conversation)",
            r"|(?:sur|d{Q}apr[èe]s){H}+(?:son|sa|le|la){H}+(?:badge|[ée]tiquette)",
            r"|on{H}+(?:his|her|their|the){H}+(?:badge|name{H}?tag|nametag)",
            r")",
        ),
    ),
];

/// Departments and teams an agent introduces themselves from.
const SERVICE: &str = concat!(
    r"(?i:service|support|sav|magasin|boutique|agence|[ée]quipe|centre|standard|accueil",
    r"|r[ée]ception|relation|hotline|plateforme|chez|la{H}+part|customer|returns|sales|team",
    r"|care|help{H}?desk|front{H}+desk|reception|billing|booking)(?-u:\b)",
);

/// A capitalised word of a name: `Julie`, `Jean-Pierre`, `O'Brien`, `McDonald`,
/// `d'Ormesson`.
const NAME_WORD: &str = r"(?:[DdLO]['’])?{U}{L}+(?:{U}{L}+)?(?:-{U}{L}+)*";

/// An uppercase surname, allowed after a title: `DUPONT`, `LE-GALL`.
const NAME_CAPS: &str = r"{U}{2,}(?:-{U}{2,})*";

/// Uppercase and lowercase letters of the Latin alphabets (ASCII, Latin-1, Latin
/// Extended-A and -B): names in French and English text are written in them, and the
/// narrow classes keep the combined name automaton small enough for the fast engines.
const UPPER: &str = r"[\p{Lu}&&[A-Z\x{C0}-\x{24F}]]";
const LOWER: &str = r"[\p{Ll}&&[a-z\x{C0}-\x{24F}]]";

/// Particles inside a name: `de`, `du`, `de la`, `van der`, `Le`…
const NAME_PARTICLE: &str = concat!(
    r"(?:[Dd]e(?:{H}+[Ll]a)?|[Dd]u|[Dd]es|[Vv]an(?:{H}+[Dd]e[rn])?|[Vv]on|[Dd]er|[Dd]i|[Dd]a|[Dd]os",
    r"|[Dd]el|[Ll]e|[Ll]a)",
);

/// Fills the placeholders of a name cue pattern.
fn expand_name_pattern(pattern: &str) -> String {
    let particle = NAME_PARTICLE.replace("{H}", SPACE);
    let pattern = pattern.replace("{PARTICLE}", &particle);
    let word = NAME_WORD.replace("{U}", UPPER).replace("{L}", LOWER);
    let caps = NAME_CAPS.replace("{U}", UPPER);
    let word_t = format!("(?:{word}|{caps})");
    let name = format!("{word}(?:{SPACE}+(?:{particle}{SPACE}+)?{word})?");
    let name_t = format!("(?:{particle}{SPACE}+)?{word_t}(?:{SPACE}+(?:{particle}{SPACE}+)?{word_t})?");
    pattern
        .replace("{NAME_T}", &name_t)
        .replace("{NAME}", &name)
        .replace("{SERVICE}", SERVICE)
        .replace("{H}", SPACE)
        .replace("{Q}", "['’]")
        .replace("{U}", UPPER)
}

/// One or two words, the first capitalised: what a name looks like to the regex that
/// finds the cues written after it, much smaller than the full name pattern.
const NAME_LITE: &str = r"{U}[^ \t\n,.;:!?]*(?:{H}+[^ \t\n,.;:!?]+)?";

/// Where a name starts, for the regex that finds leading cues: an apostrophe prefix and a
/// capital letter; after a title, also a particle.
const NAME_START: &str = "(?:[DdLO]['’])?{U}";
const NAME_T_START: &str = "(?:{PARTICLE}{H}+)?(?:[DdLO]['’])?{U}";

/// A horizontal space: names and cues never run over a line break.
const SPACE: &str = r"[ \t\x{A0}\x{202F}]";

/// Particles of a name (lowercase).
const PARTICLES: &[&str] = &["de", "du", "des", "la", "le", "van", "von", "der", "den", "di", "da", "dos", "del"];

/// Capitalised words that are not names, compared in lowercase: a cue followed by one of
/// them is not followed by a name. Each list is words separated by spaces.
const NOT_NAMES: &[&str] = &[FUNCTION_WORDS_FR, FUNCTION_WORDS_EN, ROLES, CALENDAR, STATES, BRANDS];

/// Function words and frequent sentence starts, French.
const FUNCTION_WORDS_FR: &str =
    "ici à a alors après au aucun aucune aujourd'hui aussi avant avec bien bon bonne c'est ça ca car ce \
    cela celle celui ces cet cette chez comme comment d'abord dans de déjà des donc du elle elles en \
    encore enfin ensuite et il ils je jamais l'accueil la le les leur leurs lui mais malgré me même mes \
    moi mon ma ni non nos notre nous on or ou où oui par parce pas pendant peu peut-être plus plutôt \
    pour pourquoi puis quand que quel quelle qui rien sa sans se ses si sinon son sur ta tes toujours \
    tout toute toutes tous très trop tu un une vos votre vous vraiment assez tellement super hyper \
    franchement heureusement malheureusement globalement honnêtement merci bonjour bonsoir salut bravo \
    excellent parfait désolé désolée ok voilà voici";

/// Function words and frequent sentence starts, English, and adverbs before `speaking`.
const FUNCTION_WORDS_EN: &str =
    "the an and but so then he she it we they you i this that these those there here very too not no yes \
    thanks thank hello hi hey sorry please okay good great well just really also still never always when \
    with without for from in on at to of by my your his her our their what who why how if overall \
    honestly frankly generally unfortunately however fine happy calling here's it's i'm all any some one \
    nobody someone strictly technically roughly broadly personally practically legally financially \
    relatively comparatively speaking";

/// Titles, roles and service words.
const ROLES: &str = "message réponse retour appel mail courrier lettre email notification nouvelles personne nothing \
    nobody anyone feedback response reply call letter help contact madame monsieur mademoiselle mme mlle \
    mr mrs ms miss dr docteur doctor prof professeur maître sir madam dame directeur directrice \
    président présidente maire responsable manager gérant gérante conseiller conseillère vendeur \
    vendeuse client cliente clients clientèle service services support agent agents caissier caissière \
    hôtesse technicien livreur chef équipe team customer customers advisor adviser associate staff store \
    shop magasin boutique agence accueil sav standard hotline relation centre center département \
    department direction serveur serveuse pharmacien pharmacienne opérateur opératrice interlocuteur \
    interlocutrice employé employée sales assistant assistante expert experte conseil conseils";

/// Speaker labels of transcripts that name a role, not a person (with [`ROLES`]):
/// `Intervenant`, `Shopper`, `Bot`…
const SPEAKER_ROLES: &str = "speaker intervenant intervenante locuteur locutrice shopper caller appelant \
    appelante visiteur visiteuse acheteur acheteuse mystère mystery enquêteur enquêtrice bot robot chatbot \
    virtuel virtuelle virtual système system inconnu inconnue unknown user utilisateur utilisatrice \
    interviewer interviewee guest host moderator modérateur modératrice ia ai voix voice répondeur vocal \
    operator représentant représentante rep caller customer agent staff homme femme";

/// Days, months and holidays (months that are also first names are left out).
const CALENDAR: &str =
    "lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mai juin juillet août septembre \
    octobre novembre décembre monday tuesday wednesday thursday friday saturday sunday january february \
    march september october november december christmas";

/// Demonyms, client tiers and states, as in `je suis Français`, `je suis Client Gold`, `Je
/// Suis Déçue`.
const STATES: &str =
    "français française anglais anglaise belge suisse canadien canadienne américain américaine parisien \
    parisienne lyonnais lyonnaise marseillais marseillaise breton bretonne allemand allemande italien \
    italienne espagnol espagnole british french english american premium gold silver platinum vip prime \
    membre member abonné abonnée fidèle déçu déçue content contente ravi ravie satisfait satisfaite \
    mécontent mécontente furieux furieuse venu venue allé allée passé passée arrivé arrivée resté restée \
    enceinte handicapé handicapée";

/// Brands written as a title and a word (`M. Bricolage`), and shop, telecom and delivery
/// brands written after a role (`le vendeur Fnac`); brands that are also common surnames
/// (`Boulanger`, `Leclerc`, `Picard`) are left out, so that `Madame Boulanger` is redacted.
const BRANDS: &str =
    "bricolage meuble propre muscle kipling figaro freeze orange free bouygues sosh fnac carrefour auchan \
    amazon apple samsung decathlon décathlon ikea castorama sephora lidl aldi monoprix franprix \
    intermarché uber deliveroo chronopost colissimo google netflix paypal visa mastercard airbnb booking \
    tesco argos currys vodafone virgin sky boots primark zara conforama cdiscount vinted ryanair easyjet \
    ouigo sncf l'oréal l’oréal total engie edf";
fn is_not_a_name(word: &str) -> bool {
    let lower = word.to_lowercase();
    NOT_NAMES.iter().any(|list| list.split(' ').any(|w| w == lower))
}

fn is_particle(word: &str) -> bool {
    let lower = word.to_lowercase();
    PARTICLES.contains(&lower.as_str())
}

/// Checks the words of a matched name against [`NOT_NAMES`] and returns the span to
/// redact: the name without leading words that are not names (cues after the name), up
/// to the first later word that is not a name.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// One redactor for all tests, shared as the pipeline shares it across threads.
    static REDACTOR: std::sync::LazyLock<Redactor> = std::sync::LazyLock::new(Redactor::new);

    fn redact(text: &str) -> String {
        REDACTOR.redact(text).0
    }

    #[test]
    fn luhn_checksum() {
        for valid in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
            "30569309025904",
            "4222222222222",
            "79927398713",
            "0",
        ] {
            assert!(luhn_ok(valid), "{valid}");
        }
        for invalid in ["4111111111111112", "1234567812345678", "79927398710", "", "12a4"] {
            assert!(!luhn_ok(invalid), "{invalid}");
        }
    }

    #[test]
    fn iban_checksum() {
        for valid in [
            "FR7630006000011234567890189",
            "DE89370400440532013000",
            "GB82WEST12345698765432",
            "BE68539007547034",
            "CH9300762011623852957",
            "NL91ABNA0417164300",
        ] {
            assert!(iban_checksum_ok(valid), "{valid}");
            assert_eq!(iban_length(&valid[..2]), Some(valid.len()), "{valid}");
        }
        for invalid in [
            "FR7630006000011234567890188",
            "GB82WEST12345698765433",
            "DE00370400440532013000",
            "DE8937040044053201300",
            "fr7630006000011234567890189",
            "",
        ] {
            assert!(!iban_checksum_ok(invalid), "{invalid}");
        }
        assert_eq!(iban_length("XX"), None);
    }

    #[test]
    fn tables_are_well_formed() {
        let mut ibans = 0;
        for entry in "AD FR GB DE BE CH ES IT NL LU PT IE MC XK".split(' ') {
            assert!(iban_length(entry).is_some(), "{entry}");
        }
        for code in ('A'..='Z').flat_map(|a| ('A'..='Z').map(move |b| format!("{a}{b}"))) {
            if let Some(len) = iban_length(&code) {
                assert!((15..=34).contains(&len), "{code}");
                ibans += 1;
            }
        }
        assert!(ibans > 80);
        for entry in COUNTRY_CODES.split(' ') {
            let (code, _) = entry.split_once(':').unwrap_or_default();
            let lengths = country_lengths(code);
            assert!(lengths.is_some_and(|(min, max)| 4 <= min && min <= max && max <= 13), "{entry}");
        }
        assert_eq!(country_lengths("33"), Some((9, 9)));
        assert_eq!(country_lengths("32"), Some((8, 9)));
        assert_eq!(country_lengths("3"), None);
        assert_eq!(country_lengths("999"), None);
        for list in NOT_NAMES.iter().chain([&WEBMAIL]) {
            for word in list.split(' ') {
                assert!(!word.is_empty() && word == word.to_lowercase(), "{word:?}");
            }
        }
    }

    #[test]
    fn kinds_have_placeholders_and_names_in_manifest_order() {
        let names: Vec<&str> = PiiKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["email", "phone", "card", "iban", "name"]);
        for kind in PiiKind::ALL {
            assert_eq!(kind.placeholder(), format!("[{}]", kind.as_str().to_uppercase()));
        }
    }

    #[test]
    fn counts_add_and_total() {
        let mut a = RedactionCounts::default();
        a.increment(PiiKind::Phone);
        a.increment(PiiKind::Phone);
        a.increment(PiiKind::Name);
        let mut b = RedactionCounts { email: 1, ..RedactionCounts::default() };
        b.add(&a);
        assert_eq!(b.get(PiiKind::Phone), 2);
        assert_eq!(b.total(), 4);
        let mut max = RedactionCounts { card: u32::MAX, ..RedactionCounts::default() };
        max.increment(PiiKind::Card);
        assert_eq!(max.card, u32::MAX);
    }

    #[test]
    fn redactor_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Redactor>();
    }

    #[test]
    fn a_handful_of_cases() {
        assert_eq!(redact("Écrivez-moi à Prenom.Nom+tag@sous.domaine.fr svp"), "Écrivez-moi à [EMAIL] svp");
        assert_eq!(redact("Rappelez-moi au +33 (0)6 39 98 12 34."), "Rappelez-moi au [PHONE].");
        assert_eq!(redact("Payé avec la carte 4111 1111 1111 1111 hier."), "Payé avec la carte [CARD] hier.");
        assert_eq!(redact("IBAN : FR76 3000 6000 0112 3456 7890 189 merci"), "IBAN : [IBAN] merci");
        assert_eq!(
            redact("Accueillie par Madame Dupont, puis Monsieur le directeur."),
            "Accueillie par Madame [NAME], puis Monsieur le directeur."
        );
        for unchanged in [
            "commande n° 4587 1236 9874 livrée le 12/03/2026 à 14h30, 19,99 €",
            "order #123-456-7890, 4111 1111 1111 1112 refused",
            "Je suis déçue, M. Bricolage n'avait rien en rayon.",
        ] {
            assert_eq!(redact(unchanged), unchanged);
        }
    }

    #[test]
    fn overlaps_keep_the_stronger_kind() {
        // The digit groups of an IBAN look like a `00 44…` phone number.
        assert_eq!(redact("RIB DE89 3704 0044 0532 0130 00."), "RIB [IBAN].");
        assert_eq!(redact("sms: 0639981234@sms.example.fr"), "sms: [EMAIL]");
        // A failing IBAN hides no phone either.
        let typo = "RIB DE89 3704 0044 0532 0130 01.";
        assert_eq!(redact(typo), typo);
    }

    #[test]
    fn identifier_cues_must_touch_the_number() {
        assert_eq!(redact("commande : 0639981234"), "commande : 0639981234");
        assert_eq!(
            redact("Commande passée, rappelez-moi au 06 39 98 12 34"),
            "Commande passée, rappelez-moi au [PHONE]"
        );
        // Order cues do not hide a card; identifiers that pass Luhn by design do.
        assert_eq!(redact("commande n° 4111 1111 1111 1111"), "commande n° [CARD]");
        assert_eq!(redact("SIRET 36252187900035"), "SIRET 36252187900035");
        assert_eq!(redact("paiement 36252187900035"), "paiement [CARD]");
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
    fn long_and_repetitive_text_is_handled() {
        for unit in ["1 ", "06 ", "Aa ", "Madame ", "Julie à votre écoute ", "x@y.fr ", "FR76 "] {
            let text = unit.repeat(5_000);
            let (out, _) = REDACTOR.redact(&text);
            assert!(!out.is_empty(), "{unit:?}");
        }
    }

    #[test]
    fn nothing_detected_copies_once() {
        let text = "Attente de 10-12 minutes, note 4/5.";
        let (out, counts) = REDACTOR.redact(text);
        assert_eq!(out, text);
        assert_eq!(counts, RedactionCounts::default());
        assert_eq!(out.capacity(), text.len());
    }

    /// Every case of `tests/fixtures/redaction_cases.jsonl`; all failures are reported at
    /// once. Each case is also checked to be stable: redacting its expected text changes
    /// nothing.
    #[test]
    fn fixture_cases() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/redaction_cases.jsonl");
        let content = match std::fs::read_to_string(path) {
            Ok(content) => content,
            Err(err) => panic!("cannot read {path}: {err}"),
        };
        let redactor = &*REDACTOR;
        let mut failures = Vec::new();
        let mut cases = 0;
        for (n, line) in content.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            cases += 1;
            let case: serde_json::Value = match serde_json::from_str(line) {
                Ok(case) => case,
                Err(err) => {
                    failures.push(format!("line {}: not JSON: {err}", n + 1));
                    continue;
                }
            };
            let (Some(text), Some(expected), Some(kinds)) =
                (case["text"].as_str(), case["expected"].as_str(), case["kinds"].as_array())
            else {
                failures.push(format!("line {}: needs text, expected and kinds", n + 1));
                continue;
            };
            let mut want = RedactionCounts::default();
            for kind in kinds {
                match PiiKind::ALL.iter().find(|k| Some(k.as_str()) == kind.as_str()) {
                    Some(&k) => want.increment(k),
                    None => failures.push(format!("line {}: unknown kind {kind}", n + 1)),
                }
            }
            if (want.total() == 0) != (text == expected) {
                failures.push(format!("line {}: kinds and expected disagree", n + 1));
            }
            let (got, counts) = redactor.redact(text);
            if got != expected || counts != want {
                failures.push(format!(
                    "line {}:\n  text:     {text}\n  expected: {expected}\n  got:      {got}\n  counts:   {counts:?}, want {want:?}",
                    n + 1
                ));
            }
            let (again, again_counts) = redactor.redact(expected);
            if again != expected || again_counts.total() != 0 {
                failures.push(format!("line {}: not stable: {expected} → {again}", n + 1));
            }
        }
        assert!(cases > 0, "no case in {path}");
        assert!(failures.is_empty(), "{} of {cases} redaction cases failed:\n{}", failures.len(), failures.join("\n"));
    }
}
