//! Stop words: the words that are never evidence on their own.
//!
//! The French and English lists are NLTK's (the Snowball project's lists, as the
//! `stop-words` crate ships them): function words only (articles, pronouns,
//! prepositions, conjunctions, forms of *être*/*avoir*, *be*/*have*/*do*). The larger
//! stopwords-iso lists were not taken: they also hold words that name irritants
//! ("order", "problem", "website", "nul", "retour", "attendu").
//!
//! One exception, [`NEGATIONS`]: the lists' negations carry meaning for an irritant
//! ("pas reçu", "didn't work"), so they are not stop words. Words are matched folded
//! ([`fold`]), so "À", "a" and "à", "été" and "ete", "The" and "the" are one word.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::features::fold;

/// The words of the lists that are kept as meaningful: French `ne`, `n'`, `pas`, and
/// English `no`, `nor`, `not`; the lists' `n't` forms (`didn't`, and `didn`, the part
/// that comes before the apostrophe) are negations too. French `jamais`, `rien`,
/// `sans`, `aucun` and `personne` are not in the lists.
pub const NEGATIONS: [&str; 6] = ["ne", "n", "pas", "no", "nor", "not"];

/// The lists' words, folded, negations left out.
static STOP_WORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let words: Vec<String> = ["fr", "en"].into_iter().flat_map(stop_words::get).map(|w| fold(w)).collect();
    let all: HashSet<&str> = words.iter().map(String::as_str).collect();
    let negation = |w: &str| NEGATIONS.contains(&w) || w.ends_with("n't") || all.contains(format!("{w}'t").as_str());
    words.iter().filter(|w| !negation(w)).cloned().collect()
});

/// Whether a folded word (a trailing apostrophe, as in `l'`, is ignored) is a stop word.
pub fn is_stop_word(folded: &str) -> bool {
    STOP_WORDS.contains(folded.strip_suffix('\'').unwrap_or(folded))
}

/// Whether a folded term (words separated by spaces; a `prev:` prefix is ignored) is
/// only stop words, and so says nothing on its own: `le`, `pas de` is not (`pas` is a
/// negation), `de la` is.
pub fn is_filler(folded_term: &str) -> bool {
    let term = folded_term.strip_prefix("prev:").unwrap_or(folded_term);
    term.split(' ').all(is_stop_word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_and_auxiliaries_are_stop_words_in_either_language_and_any_spelling() {
        for w in ["le", "la", "les", "en", "de", "et", "à", "À", "a", "été", "était", "The", "and", "was", "L'", "qu'"]
        {
            assert!(is_stop_word(&fold(w)), "{w}");
        }
        for w in ["caisse", "réponse", "appli", "attente", "order", "problem", "nul", "jamais", "rien", "sans"] {
            assert!(!is_stop_word(&fold(w)), "{w}");
        }
    }

    #[test]
    fn negations_are_not_stop_words() {
        for w in ["ne", "n'", "pas", "no", "not", "nor", "didn'", "don'", "wasn"] {
            assert!(!is_stop_word(&fold(w)), "{w}");
        }
        assert!(is_stop_word("t"), "the `t` of `didn't` alone says nothing");
    }

    #[test]
    fn a_term_is_filler_when_all_its_words_are_stop_words() {
        assert!(is_filler("de la"));
        assert!(is_filler("prev:les"));
        assert!(!is_filler("pas de"));
        assert!(!is_filler("la caisse"));
        assert!(!is_filler("!"));
        assert!(!is_filler("prev:appli"));
    }
}
