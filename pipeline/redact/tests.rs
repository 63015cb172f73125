//! Tests of the [`Redactor`] as a whole: kinds, counts, overlaps, the cases of
//! `tests/fixtures/redaction_cases.jsonl` with every kind on and with kinds switched off;
//! and the redactor the recognisers' tests share.

use super::*;

/// One redactor for all tests, shared as the pipeline shares it across threads.
pub(super) static REDACTOR: std::sync::LazyLock<Redactor> = std::sync::LazyLock::new(Redactor::new);

pub(super) fn redact(text: &str) -> String {
    REDACTOR.redact(text).0
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
fn kinds_are_named_as_in_the_manifest() {
    for kind in PiiKind::ALL {
        assert_eq!(PiiKind::from_name(kind.as_str()), Some(kind));
    }
    assert_eq!(PiiKind::from_name("Email"), None);
    assert_eq!(PiiKind::from_name("address"), None);
}

/// A recogniser runs when one of its kinds is on or comes before a kind that is on, in
/// the order of precedence (e-mail, IBAN, card, phone, name).
#[test]
fn only_the_recognisers_needed_are_built() {
    let built = |kinds: &[PiiKind]| {
        let redactor = Redactor::with_kinds(kinds);
        redactor.recognisers.iter().flat_map(|r| r.kinds().iter().copied()).collect::<Vec<_>>()
    };
    use PiiKind::*;
    assert_eq!(built(&[Email]), [Email]);
    assert_eq!(built(&[Iban]), [Email, Iban]);
    assert_eq!(built(&[Phone, Email]), [Email, Iban, Card, Phone]);
    assert_eq!(built(&[Name]), [Email, Iban, Card, Phone, Name]);
    assert_eq!(built(&[]), []);
    assert_eq!(Redactor::with_kinds(&[Name, Email, Name]).kinds(), [Email, Name]);
    assert!(Redactor::new().redacts_every_kind() && !Redactor::with_kinds(&[Email]).redacts_every_kind());
    let text = "Madame Dupont, 06 12 34 56 78, jean@example.fr";
    assert_eq!(Redactor::with_kinds(&[]).redact(text), (text.to_owned(), RedactionCounts::default()));
}

/// A redactor narrowed from another shares its rules and redacts as one built for the
/// same kinds; a kind the first does not replace stays off.
#[test]
fn a_narrowed_redactor_redacts_as_a_built_one() {
    use PiiKind::*;
    let text = "Madame Dupont, 06 12 34 56 78, carte 4111 1111 1111 1111, jean@example.fr";
    for kinds in [&[Email][..], &[Phone, Name], &[Card], &[], &PiiKind::ALL] {
        let narrowed = REDACTOR.only(kinds);
        assert_eq!(narrowed.kinds(), Redactor::with_kinds(kinds).kinds());
        assert_eq!(narrowed.recognisers.len(), Redactor::with_kinds(kinds).recognisers.len(), "{kinds:?}");
        assert_eq!(narrowed.redact(text), Redactor::with_kinds(kinds).redact(text), "{kinds:?}");
    }
    assert_eq!(Redactor::with_kinds(&[Email]).only(&[Email, Name]).kinds(), [Email]);
    assert!(Arc::ptr_eq(&REDACTOR.recognisers[0], &REDACTOR.only(&[Email]).recognisers[0]));
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

/// On every case of `tests/fixtures/redaction_cases.jsonl`, a kind switched off, or
/// left on alone, changes the counts of that kind only, and a text without it is
/// redacted as with every kind on.
#[test]
fn fixture_cases_with_kinds_switched_off() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/redaction_cases.jsonl");
    let content = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read {path}: {err}"));
    let only = |kind: PiiKind, counts: &RedactionCounts| {
        let mut c = RedactionCounts::default();
        (0..counts.get(kind)).for_each(|_| c.increment(kind));
        c
    };
    let without = |kind: PiiKind, counts: &RedactionCounts| {
        let mut c = RedactionCounts::default();
        for k in PiiKind::ALL.into_iter().filter(|k| *k != kind) {
            (0..counts.get(k)).for_each(|_| c.increment(k));
        }
        c
    };
    let switched: Vec<(PiiKind, Redactor, Redactor)> = PiiKind::ALL
        .into_iter()
        .map(|kind| {
            let others: Vec<PiiKind> = PiiKind::ALL.into_iter().filter(|k| *k != kind).collect();
            (kind, Redactor::with_kinds(&others), Redactor::with_kinds(&[kind]))
        })
        .collect();
    let mut failures = Vec::new();
    for (n, line) in content.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        let Some(text) = case["text"].as_str() else { continue };
        let (full, counts) = REDACTOR.redact(text);
        for (kind, off, alone) in &switched {
            let (got, got_counts) = off.redact(text);
            if got_counts != without(*kind, &counts) || (counts.get(*kind) == 0 && got != full) {
                failures.push(format!("line {}, {} off: {text} → {got}", n + 1, kind.as_str()));
            }
            let (got, got_counts) = alone.redact(text);
            if got_counts != only(*kind, &counts) || (counts.get(*kind) == counts.total() && got != full) {
                failures.push(format!("line {}, {} alone: {text} → {got}", n + 1, kind.as_str()));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
