//! Roles of speakers: the role table first, then, for the labels it does not know, the
//! greeting and caller formulas of each speaker's first turn and the answering order
//! (module docs, *Speakers and roles*). The formulas are data (`speaker_words.toml`).

use std::collections::HashMap;

use crate::normalise::fold::fold_char;

use super::speaker_words::speaker_words;
use super::speakers::{fold_label, RoleMap};
use super::{Role, RoleSource, Turn};

/// Lower case, accents removed, every run of non-alphanumeric characters one space, padded
/// with a space on each side so that formulas match whole words.
pub(super) fn fold_phrase(text: &str) -> String {
    let mut out = String::from(" ");
    for c in text.chars() {
        // Lower-casing keeps a character alphanumeric or not (`normalise::fold`).
        fold_char(c, |f| {
            if f.is_alphanumeric() {
                out.push(f);
            } else if !out.ends_with(' ') {
                out.push(' ');
            }
        });
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn has_formula(folded: &str, formulas: &[String]) -> bool {
    formulas.iter().any(|f| folded.contains(&format!(" {f} ")))
}

/// What the first turn of a speaker says about its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opening {
    Staff,
    Shopper,
    Neither,
}

fn opening(text: &str) -> Opening {
    let words = speaker_words();
    let folded = fold_phrase(text);
    let shopper = has_formula(&folded, &words.shopper_formulas);
    let strong = has_formula(&folded, &words.staff_formulas);
    match (strong, shopper) {
        (true, true) => Opening::Neither,
        (true, false) => Opening::Staff,
        (false, true) => Opening::Shopper,
        (false, false) if has_formula(&folded, &words.weak_staff_formulas) => Opening::Staff,
        (false, false) => Opening::Neither,
    }
}

/// Gives every turn its role (module docs, *Speakers and roles*) and says how.
pub(super) fn resolve_roles(turns: &mut [Turn], roles: &RoleMap, allow_given: bool) -> RoleSource {
    let given = |s: &str| match s.trim().to_ascii_lowercase().as_str() {
        "shopper" => Some(Role::Shopper),
        "staff" => Some(Role::Staff),
        _ => None,
    };
    if allow_given && turns.iter().all(|t| given(&t.speaker).is_some()) {
        for t in turns.iter_mut() {
            t.role = given(&t.speaker).unwrap_or(Role::Unknown);
        }
        return RoleSource::Given;
    }
    // Distinct labels in order of first appearance, with their first turn.
    let mut order: Vec<(String, usize)> = Vec::new();
    for (i, t) in turns.iter().enumerate() {
        let key = fold_label(&t.speaker);
        if !key.is_empty() && !order.iter().any(|(k, _)| *k == key) {
            order.push((key, i));
        }
    }
    let mut assigned: HashMap<String, Role> = HashMap::new();
    let mut open: Vec<(String, usize)> = Vec::new();
    for (key, first) in order {
        match roles.role_of(&turns[first].speaker) {
            Some(role) => {
                assigned.insert(key, role);
            }
            None => open.push((key, first)),
        }
    }
    let source = if open.is_empty() {
        RoleSource::Mapping
    } else {
        let openings: Vec<Opening> = open.iter().map(|(_, i)| opening(&turns[*i].text)).collect();
        assign_open_labels(&mut assigned, &open, &openings);
        RoleSource::Heuristic
    };
    for t in turns.iter_mut() {
        t.role = assigned.get(&fold_label(&t.speaker)).copied().unwrap_or(Role::Unknown);
    }
    source
}

/// The heuristic proper, on the labels the map did not know (`open`, in order of first
/// appearance, with what their first turn says).
fn assign_open_labels(assigned: &mut HashMap<String, Role>, open: &[(String, usize)], openings: &[Opening]) {
    let has = |a: &HashMap<String, Role>, role: Role| a.values().any(|&r| r == role);
    let greeters: Vec<&String> =
        open.iter().zip(openings).filter(|(_, o)| **o == Opening::Staff).map(|((k, _), _)| k).collect();
    // Everyone greeting like staff is a misreading: only the first of them keeps staff.
    let everyone = assigned.is_empty() && greeters.len() == open.len() && open.len() >= 2;
    for key in greeters.into_iter().take(if everyone { 1 } else { usize::MAX }) {
        assigned.insert(key.clone(), Role::Staff);
    }
    if !has(assigned, Role::Staff) && !has(assigned, Role::Shopper) {
        for ((key, _), o) in open.iter().zip(openings) {
            if *o == Opening::Shopper {
                assigned.insert(key.clone(), Role::Shopper);
            }
        }
    }
    let (staff, shopper) = (has(assigned, Role::Staff), has(assigned, Role::Shopper));
    let rest: Vec<&String> = open.iter().map(|(k, _)| k).filter(|k| !assigned.contains_key(*k)).collect();
    for (n, key) in rest.into_iter().enumerate() {
        let role = match (staff, shopper) {
            (true, false) => Role::Shopper,
            (false, true) => Role::Staff,
            (false, false) if n == 0 => Role::Staff,
            (false, false) => Role::Shopper,
            (true, true) => Role::Unknown,
        };
        assigned.insert(key.clone(), role);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(speaker: &str, text: &str) -> Turn {
        Turn { speaker: speaker.into(), role: Role::Unknown, start_ms: None, end_ms: None, text: text.into() }
    }

    fn resolve(turns: &mut [Turn]) -> RoleSource {
        resolve_roles(turns, &RoleMap::default(), false)
    }

    #[test]
    fn greeting_formula_makes_staff_even_when_speaking_second() {
        let mut turns = vec![
            turn("SPEAKER_01", "Allô ?"),
            turn("SPEAKER_00", "Banque Horizon bonjour, Julie à votre écoute."),
            turn("SPEAKER_01", "Bonjour, je voudrais un rendez-vous."),
        ];
        assert_eq!(resolve(&mut turns), RoleSource::Heuristic);
        let roles: Vec<Role> = turns.iter().map(|t| t.role).collect();
        assert_eq!(roles, [Role::Shopper, Role::Staff, Role::Shopper]);
    }

    #[test]
    fn caller_formula_without_greeting_makes_shopper() {
        let mut turns = vec![
            turn("Speaker 1", "Bonjour, je souhaiterais un rendez-vous pour un prêt."),
            turn("Speaker 2", "Oui, pour quelle date ?"),
        ];
        resolve(&mut turns);
        assert_eq!(turns[0].role, Role::Shopper);
        assert_eq!(turns[1].role, Role::Staff);
        // `service client` in the caller's mouth is not a greeting.
        let mut turns = vec![
            turn("spk_0", "Bonjour, j'appelle le service client car ma carte est bloquée."),
            turn("spk_1", "D'accord."),
        ];
        resolve(&mut turns);
        assert_eq!((turns[0].role, turns[1].role), (Role::Shopper, Role::Staff));
    }

    #[test]
    fn first_speaker_is_staff_when_nothing_else_tells() {
        let mut turns = vec![
            turn("SPEAKER_00", "Oui ?"),
            turn("SPEAKER_01", "Bonjour, c'est pour une réclamation."),
            turn("SPEAKER_00", "Je vous passe le service."),
        ];
        assert_eq!(resolve(&mut turns), RoleSource::Heuristic);
        let roles: Vec<Role> = turns.iter().map(|t| t.role).collect();
        assert_eq!(roles, [Role::Staff, Role::Shopper, Role::Staff]);
    }

    #[test]
    fn unmapped_names_take_the_missing_role() {
        let mut turns = vec![turn("Client", "Bonjour."), turn("Julie", "Bonjour monsieur.")];
        assert_eq!(resolve(&mut turns), RoleSource::Heuristic);
        assert_eq!(turns[1].role, Role::Staff);
        let mut turns = vec![turn("Client", "Bonjour."), turn("Agent", "Bonjour."), turn("Marc", "On m'a transféré.")];
        resolve(&mut turns);
        assert_eq!(turns[2].role, Role::Unknown, "a third voice when both roles are known");
        let mut turns = vec![turn("Client", "Bonjour."), turn("Conseiller", "Bonjour.")];
        assert_eq!(resolve(&mut turns), RoleSource::Mapping);
        let mut turns = vec![turn("shopper", "Hi."), turn("Staff", "Hello.")];
        assert_eq!(resolve_roles(&mut turns, &RoleMap::default(), true), RoleSource::Given);
        assert_eq!(turns[1].role, Role::Staff);
        let mut turns = vec![turn("", "[Musique]"), turn("Agent", "Bonjour.")];
        assert_eq!(resolve(&mut turns), RoleSource::Mapping);
        assert_eq!(turns[0].role, Role::Unknown);
    }

    #[test]
    fn ambiguous_openings_and_everyone_greeting() {
        // A greeting and a caller formula in the same turn say nothing.
        assert_eq!(opening("Bonjour, je vous écoute… enfin, je vous appelle pour ma carte."), Opening::Neither);
        assert_eq!(opening("Bienvenue chez Optima, que puis-je faire pour vous ?"), Opening::Staff);
        assert_eq!(opening("I'd like to change my booking."), Opening::Shopper);
        assert_eq!(opening("Customer service, hello."), Opening::Staff);
        assert_eq!(opening("Hello, I'm calling customer service about a refund."), Opening::Shopper);
        assert_eq!(opening("Bonjour."), Opening::Neither);
        let mut turns = vec![
            turn("SPEAKER_00", "Bienvenue chez Optima, je vous écoute."),
            turn("SPEAKER_01", "Oui bonjour, bienvenue à vous aussi."),
        ];
        resolve(&mut turns);
        assert_eq!((turns[0].role, turns[1].role), (Role::Staff, Role::Shopper));
    }
}
