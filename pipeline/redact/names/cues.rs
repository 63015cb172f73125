//! The name cues and the pieces of the name patterns: which words introduce a name,
//! before or after it, and what a name looks like to the regexes.

/// How a name cue relates to the name, which decides how the matched words are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameCue {
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
pub(super) const NAME_CUES_LEADING: &[(NameCue, &str)] = &[
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
pub(super) const NAME_CUES_TRAILING: &[(NameCue, &str)] = &[
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
pub(super) const UPPER: &str = r"[\p{Lu}&&[A-Z\x{C0}-\x{24F}]]";
const LOWER: &str = r"[\p{Ll}&&[a-z\x{C0}-\x{24F}]]";

/// Particles inside a name: `de`, `du`, `de la`, `van der`, `Le`…
const NAME_PARTICLE: &str = concat!(
    r"(?:[Dd]e(?:{H}+[Ll]a)?|[Dd]u|[Dd]es|[Vv]an(?:{H}+[Dd]e[rn])?|[Vv]on|[Dd]er|[Dd]i|[Dd]a|[Dd]os",
    r"|[Dd]el|[Ll]e|[Ll]a)",
);

/// Fills the placeholders of a name cue pattern.
pub(super) fn expand_name_pattern(pattern: &str) -> String {
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
pub(super) const NAME_LITE: &str = r"{U}[^ \t\n,.;:!?]*(?:{H}+[^ \t\n,.;:!?]+)?";

/// Where a name starts, for the regex that finds leading cues: an apostrophe prefix and a
/// capital letter; after a title, also a particle.
pub(super) const NAME_START: &str = "(?:[DdLO]['’])?{U}";
pub(super) const NAME_T_START: &str = "(?:{PARTICLE}{H}+)?(?:[DdLO]['’])?{U}";

/// A horizontal space: names and cues never run over a line break.
const SPACE: &str = r"[ \t\x{A0}\x{202F}]";
