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
//! * Regexes are compiled once, when a [`Redactor`] is built; it is `Send + Sync` and
//!   meant to be shared by all threads. Each recogniser runs only when a cheap pre-check
//!   passes (a digit for numbers, `@` or a spelt-out at for e-mails, `zéro`,
//!   `zero` or `oh` for numbers in words, an uppercase letter for names), and the regexes
//!   are kept small enough for the regex crate's fast automata (no Unicode `\b`, no capture
//!   groups in the regexes that scan the whole text). Time is linear in the length of the
//!   text: the checks after a match look at a bounded window. Ordinary comments run at
//!   about 50 MB/s on one core.
//!
//! # Recognisers, and kinds switched off
//!
//! Each family of rules is a [`Recogniser`] in a file of its own, and a [`Redactor`] runs a
//! list of them over the text, then keeps one span of each overlapping set and replaces
//! the spans:
//!
//! * `email.rs`: e-mail addresses, plain, obfuscated or read out;
//! * `iban.rs`: IBANs;
//! * `numbers.rs`: card and phone numbers, in digits or in words (one recogniser for both
//!   kinds: a chain of digit groups is cut into cards and phones together);
//! * `names.rs`: names after a cue, and speaker labels that are names, with the cues in
//!   `names/cues.rs` and the word lists in `names/words.rs`;
//! * `boundaries.rs`: where words and numbers may start and end, for all of them;
//! * this file: the kinds, the counts, the [`Redactor`], the order of precedence and the
//!   replacement.
//!
//! [`Redactor::with_kinds`] switches kinds off (`irritant run --redact-kinds`). A kind that
//! is off is written as it is, and the kinds that are on are redacted exactly as with every
//! kind on: a detection of a kind that is off still claims its text from the kinds after
//! it in the order of precedence below, so an IBAN left as written is not half redacted
//! as a phone number, nor a card number as a phone. A recogniser runs only when one of its
//! kinds is on or comes before a kind that is on.
//!
//! # Rules
//!
//! When detections overlap, one wins, in this order: e-mail, IBAN, card, phone, name (an
//! e-mail address full of digits is one `[EMAIL]`, an IBAN whose digit groups look like a
//! phone number one `[IBAN]`).
//!
//! * **E-mail** (`email.rs`): `local@domain.tld`, any case, with `.`, `+`, `-`, `_`, `%`
//!   and accented letters in the local part, and subdomains. Obfuscated forms are caught
//!   where the obfuscation is unambiguous: a bracketed at (`[at]`, `(at)`, `{at}`, `(@)`,
//!   `[arobase]`) or the French word ` arobase `, with a dot plain, bracketed or spelt out
//!   (` dot `, ` point `, `[dot]`, `(point)`) before a common top-level domain, and dots
//!   spelt out in the local part too (`jean point dupont arobase gmail point com`). The
//!   English word ` at ` is too common for that: it needs a spelt-out dot and a local part
//!   that looks like an address (it holds `.`, `_`, `-`, `+` or a digit) or a webmail
//!   domain (`gmail`, `hotmail`, `orange`…), or a plain dot and both. So `jean.dupont at
//!   gmail dot com` and `jean.dupont at gmail.com` are caught, `I shopped at amazon.fr` and
//!   `I bought it at Orange.fr` are not. Read out without a top-level domain, an address
//!   needs a webmail domain and ` arobase ` or a dot spelt out in the local part (`jean
//!   arobase orange`, `jean point dupont at gmail`). Every address is redacted, a shop's
//!   generic one too: the text cannot tell them apart.
//! * **Phone** (`numbers.rs`): chains of digit groups joined by single spaces, dots or
//!   hyphens (or two spaces), with an optional leading `+`, `(+33)` or `00`, a
//!   parenthesised trunk `(0)` or area code `(415)`. International numbers (`+` or `00`)
//!   need a national number whose length fits the country code (a table of about forty
//!   codes: France 9 digits, UK 9–10, US 10…; other codes 6–12 digits and 15 in all, as
//!   E.164 allows); a trunk `0` written after the code (`+33 06…`) is allowed. National
//!   numbers start with `0` and need one of the groupings people write: 10 digits for
//!   France, Switzerland and Belgian mobiles (`06 12 34 56 78`, `0612345678`,
//!   `06/12/34/56/78` (slashes only in five pairs: `06/12/2026` is a date), `06 12 34
//!   5678`, `0 800 123 456`, `0800 123 456`, `022 555 12 34`, `0470 12 34 56`), 11 for the
//!   UK (`020 7946 0958`, `07700 900123`, `0161 496 0000`), 9 for Belgian landlines (`02
//!   555 12 34`); North-American numbers without `+1` only as `(415) 555-0132`,
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
//! * **Card** (`numbers.rs`): 13 to 19 digits, compact or in groups of four joined by
//!   spaces (one or two), hyphens or dots (dots throughout: `4970.1012.3456.7890`) (the
//!   last group shorter), or Amex/Diners `4-6-5`/`4-6-4`, whose Luhn checksum passes and
//!   whose length fits the major industry identifier: `4` (Visa) 13, 16 or 19 digits;
//!   `34`/`37` (Amex) 15; `30`/`36`/`38`/`39` (Diners) 14–16 or 19; `35` (JCB) 16–19; `2`
//!   (Mastercard) 16; `5` and `6` 16–19. This keeps most EAN-13 barcodes, SIRET and IMEI
//!   numbers out. Order cues do not hide a card (a leaked card costs more than a hidden
//!   order number); only cues of identifiers that pass Luhn by design do (`SIRET`, `SIREN`,
//!   `IMEI`, `EAN`, `n° de série`, `serial`, `TVA`, `VAT`).
//! * **IBAN** (`iban.rs`): two letters, two check digits, then letters and digits, compact
//!   or grouped (single spaces or hyphens anywhere), any case, only when the length is the
//!   one of the country (every country of the ISO 13616 registry) and the mod-97 check
//!   passes. The IBAN ends where the country length is reached, so a word after it stays.
//! * **Name** (`names.rs`): only after a cue, and only capitalised words: one or two
//!   (`Jean-Pierre`, `O'Brien`, `McDonald`, `Marie-Ève`), with particles (`Le Gall`, `de
//!   Villiers`, `van der Berg`), and after a civil title also uppercase surnames (`M.
//!   DUPONT`). The cue stays, only the name becomes `[NAME]` (`Madame Dupont` → `Madame
//!   [NAME]`). Cues:
//!   * titles: `Madame`, `Monsieur`, `Mademoiselle`, `Docteur`, `Professeur`, `Maître`,
//!     `Miss`, `Doctor`, and with or without the dot of the abbreviation `Mme`, `Mlle`,
//!     `Mr`, `Mrs`, `Ms`, `Dr`, `Prof`; `M.`, and `M` without its dot but not after a
//!     size (`taille M Noir`); a lowercase title before a lowercase word that is not a
//!     frequent word (`madame durand`, `mme petit`; not `madame est partie`, `monsieur le
//!     directeur`); a short list of brands written as a title and a word is kept
//!     (`Dr. Martens`, `Mr. Bricolage`, `Monsieur Propre`: `TITLE_BRANDS` in
//!     `names/words.rs`);
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

mod boundaries;
mod email;
mod iban;
mod names;
mod numbers;

use std::collections::BTreeMap;
use std::sync::Arc;

use regex::Regex;

use self::email::Emails;
use self::iban::Ibans;
use self::names::Names;
use self::numbers::Numbers;

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

    /// The kind whose [`PiiKind::as_str`] is `name`, as the manifest and `--redact-kinds`
    /// write it.
    pub fn from_name(name: &str) -> Option<PiiKind> {
        PiiKind::ALL.into_iter().find(|kind| kind.as_str() == name)
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

/// A detected span of the text, and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the first byte, on a character boundary.
    pub start: usize,
    /// Byte offset just after the last byte, on a character boundary.
    pub end: usize,
    pub kind: PiiKind,
}

/// One family of rules: finds the spans of its kinds in a text.
///
/// A recogniser reports every span it detects, overlapping or not; the [`Redactor`] keeps
/// one span of each overlapping set by kind (see the module documentation), so a
/// recogniser needs to know nothing of the others.
pub trait Recogniser: Send + Sync + std::fmt::Debug {
    /// The kinds of the spans it reports: a recogniser of several kinds is one because
    /// its kinds are decided together (card and phone numbers are cut from the same digit
    /// groups).
    fn kinds(&self) -> &'static [PiiKind];

    /// Appends the spans found in `text` to `out`, in any order.
    fn find(&self, text: &str, out: &mut Vec<Span>);
}

/// Detects and replaces personal data; see the module documentation for the rules.
///
/// Build it once (compiling the regexes takes about 20 ms in a release build) and share
/// it: it is `Send + Sync` and [`Redactor::redact`] takes `&self`.
#[derive(Debug, Clone)]
pub struct Redactor {
    /// The recognisers that run: those of a kind that is on, or that comes before one.
    recognisers: Vec<Arc<dyn Recogniser>>,
    /// The kinds replaced, in the order of [`PiiKind::ALL`].
    kinds: Vec<PiiKind>,
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

impl Redactor {
    /// Compiles the rules of every kind.
    pub fn new() -> Self {
        Self::with_kinds(&PiiKind::ALL)
    }

    /// Compiles the rules needed to redact `kinds` (in any order, repeats ignored); the
    /// other kinds are written as they are. A kind that is off but comes before a kind
    /// that is on in the order of precedence is still detected, so that its text is not
    /// taken for a kind that is on (an IBAN's digits for a phone number): the kinds that
    /// are on are redacted exactly as with every kind on.
    pub fn with_kinds(kinds: &[PiiKind]) -> Self {
        let (kinds, runs) = selection(kinds);
        let mut recognisers: Vec<Arc<dyn Recogniser>> = Vec::new();
        if runs(Emails::KINDS) {
            recognisers.push(Arc::new(Emails::new()));
        }
        if runs(Ibans::KINDS) {
            recognisers.push(Arc::new(Ibans::new()));
        }
        if runs(Numbers::KINDS) {
            recognisers.push(Arc::new(Numbers::new()));
        }
        if runs(Names::KINDS) {
            recognisers.push(Arc::new(Names::new()));
        }
        Redactor { recognisers, kinds }
    }

    /// The same as [`Redactor::with_kinds`] for the kinds of `kinds` this redactor
    /// replaces, sharing its compiled rules: a run that redacts what it writes of some
    /// kinds and what its model reads of all builds them once.
    pub fn only(&self, kinds: &[PiiKind]) -> Self {
        let wanted: Vec<PiiKind> = self.kinds.iter().copied().filter(|kind| kinds.contains(kind)).collect();
        let (kinds, runs) = selection(&wanted);
        let recognisers = self.recognisers.iter().filter(|r| runs(r.kinds())).cloned().collect();
        Redactor { recognisers, kinds }
    }

    /// The kinds this redactor replaces, in the order of [`PiiKind::ALL`].
    pub fn kinds(&self) -> &[PiiKind] {
        &self.kinds
    }

    /// Whether it replaces every kind, as [`Redactor::new`] does.
    pub fn redacts_every_kind(&self) -> bool {
        self.kinds.len() == PiiKind::ALL.len()
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
    /// name by its position, no cue is needed. With names off, only the text rules apply.
    pub fn redact_speaker(&self, label: &str) -> (String, RedactionCounts) {
        let (text, mut counts) = self.redact(label);
        if !self.kinds.contains(&PiiKind::Name) {
            return (text, counts);
        }
        let text = names::redact_speaker_names(text, &mut counts);
        (text, counts)
    }

    /// The spans to redact, in text order, not overlapping, of the kinds that are on.
    fn spans(&self, text: &str) -> Vec<Span> {
        let mut found = Vec::new();
        for recogniser in &self.recognisers {
            let from = found.len();
            recogniser.find(text, &mut found);
            debug_assert!(found[from..].iter().all(|span| recogniser.kinds().contains(&span.kind)), "{recogniser:?}");
        }
        let mut kept = resolve_overlaps(found);
        kept.retain(|span| self.kinds.contains(&span.kind));
        kept
    }
}

/// The kinds of `kinds` in the order of [`PiiKind::ALL`], and whether a recogniser that
/// reports the kinds it is given must run: when one of them is on or comes before a kind
/// that is on in the order of precedence, as its detections claim their text from the
/// kinds after it.
fn selection(kinds: &[PiiKind]) -> (Vec<PiiKind>, impl Fn(&[PiiKind]) -> bool) {
    let on: Vec<PiiKind> = PiiKind::ALL.into_iter().filter(|kind| kinds.contains(kind)).collect();
    let last_on = on.iter().map(|&kind| priority(kind)).max();
    let runs =
        move |reported: &[PiiKind]| reported.iter().any(|&kind| last_on.is_some_and(|last| priority(kind) <= last));
    (on, runs)
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

#[cfg(test)]
mod tests;
