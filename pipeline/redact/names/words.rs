//! Word lists of the name rules: capitalised words that are not names, particles, brands
//! written as a title and a word, and speaker labels that name a role.

/// Brands written as a title and a word, compared in lowercase without the title's dot:
/// after these titles, these words are not redacted (`Dr. Martens`, `Mr. Bricolage`),
/// while the word after another title still is (`Madame Martens`).
pub(super) const TITLE_BRANDS: &[&str] = &[
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

/// Lowercase words that follow a lowercase title and are not names: verbs and other
/// frequent words (`madame est partie`, `monsieur nous a dit`), with [`NOT_NAMES`].
pub(super) const AFTER_LOWER_TITLE: &str = "est était a avait aura sera fut reste restait semble semblait \
    vient venait fait faisait dit disait parle parlait répond répondait explique expliquait part partait \
    revient revenait arrive arrivait peut pouvait doit devait va allait veut voulait sait savait voit \
    voyait prend prenait met mettait cherche cherchait nous vous me te lui leur qui que dont ne se y en \
    ou et mais donc car ni si est-ce était-il votre vos notre nos mon ton son ses madame monsieur \
    mademoiselle bonjour bonsoir merci svp stp aussi encore toujours jamais souvent puis alors ensuite \
    rapidement gentiment poliment sèchement";

/// Particles of a name (lowercase).
const PARTICLES: &[&str] = &["de", "du", "des", "la", "le", "van", "von", "der", "den", "di", "da", "dos", "del"];

/// Capitalised words that are not names, compared in lowercase: a cue followed by one of
/// them is not followed by a name. Each list is words separated by spaces.
pub(super) const NOT_NAMES: &[&str] = &[FUNCTION_WORDS_FR, FUNCTION_WORDS_EN, ROLES, CALENDAR, STATES, BRANDS];

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
pub(super) const SPEAKER_ROLES: &str = "speaker intervenant intervenante locuteur locutrice shopper caller appelant \
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

/// Whether a word, in any case, is in one of the [`NOT_NAMES`] lists.
pub(super) fn is_not_a_name(word: &str) -> bool {
    let lower = word.to_lowercase();
    NOT_NAMES.iter().any(|list| list.split(' ').any(|w| w == lower))
}

/// Whether a word, in any case, is a particle of a name (`de`, `van`, `Le`…).
pub(super) fn is_particle(word: &str) -> bool {
    let lower = word.to_lowercase();
    PARTICLES.contains(&lower.as_str())
}
