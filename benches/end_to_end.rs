//! End-to-end benchmark of `irritant run`: wall time, throughput and peak memory of the
//! release binary on synthetic mystery-shopping comments.
//!
//! For each size N it writes, streaming and deterministically (a seeded SplitMix64, so
//! every run sees the same bytes), a comments CSV (`comment_id,visit_id,text,lang`: N
//! French and English comments of 1–4 sentences drawn from the fragment pool of
//! [`corpus`], about ten per visit, a fifth without a `lang` so that language detection
//! runs, and a few with bullets, line breaks, emoji or mojibake) and a long-format
//! checklist CSV (three criteria per visit) into a fresh directory under the system
//! temporary directory. It then runs
//! `irritant run --comments … --checklist … --out … --quiet` as a subprocess, twice on
//! the same files: first with the baseline model `benches/baseline/linear-fr-en-v1` (the
//! previous default: four category heads and three sentiment heads, each segment read
//! alone, no entity features), then with the embedded default (51 heads with the
//! aspects, context and entity features). It times each run, reads its `_manifest.json`
//! (segments, threads, stage timings, peak RSS from `VmHWM`), prints one summary line per
//! model and size and the default's throughput relative to the baseline, and removes the
//! directory. The last lines say, for each size, whether the default's run stayed under
//! its default `--memory-limit` (1 GiB) of peak RSS; the benchmark exits with a failure
//! when one did not. `--default-only` skips the baseline: the memory soak of the README
//! (*Memory*) is `cargo bench --bench end_to_end -- --default-only 1M 5M 20M`.
//!
//! Run it with
//!
//! ```text
//! cargo bench --bench end_to_end                       # 100k and 1M comments
//! cargo bench --bench end_to_end -- 10k 50000          # chosen sizes (k and M suffixes work)
//! IRRITANT_BENCH_SIZES=20k cargo bench --bench end_to_end   # the same, from the environment
//! ```
//!
//! Arguments win over `IRRITANT_BENCH_SIZES`. Set `IRRITANT_BENCH_KEEP=1` to keep the
//! generated inputs and outputs (their directory is printed). The 1M run takes about a
//! minute on two cores and needs about 300 MB of free disk space.
//!
//! The [`corpus`] module is also used by the `classify` benchmark, so that both measure
//! the same kind of text.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use irritant::write::manifest::Manifest;

use corpus::{Corpus, Rng};

/// Sizes run when neither arguments nor `IRRITANT_BENCH_SIZES` choose.
const DEFAULT_SIZES: [u64; 2] = [100_000, 1_000_000];
/// Peak resident memory every run of the default must stay under: the default
/// `--memory-limit`, which the run does not set.
const RSS_LIMIT_BYTES: u64 = irritant::run::DEFAULT_MEMORY_LIMIT;
/// Comments per visit id.
const COMMENTS_PER_VISIT: u64 = 10;
/// Seed of the generator; the same seed always gives the same files.
const SEED: u64 = 0x1_5EED_CAFE;

/// Synthetic French and English comments about store visits, apps, deliveries, click &
/// collect, queues and praise.
pub mod corpus {
    use irritant::rng::SplitMix64;

    /// The crate's SplitMix64 (small, fast and good enough for synthetic data), with the
    /// draws the corpus needs.
    pub struct Rng(SplitMix64);

    impl Rng {
        pub fn new(seed: u64) -> Self {
            Rng(SplitMix64(seed))
        }

        /// Uniform in `0..n` (`n > 0`), by multiplication rather than the remainder of
        /// [`SplitMix64::below`], as the generated files have always been drawn.
        pub fn below(&mut self, n: u64) -> u64 {
            ((self.0.next_u64() as u128 * n as u128) >> 64) as u64
        }

        /// Uniform in `lo..=hi`.
        pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
            lo + self.below(hi - lo + 1)
        }

        /// True with probability `per_mille / 1000`.
        pub fn chance(&mut self, per_mille: u64) -> bool {
            self.below(1000) < per_mille
        }

        pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[self.below(items.len() as u64) as usize]
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Lang {
        Fr,
        En,
    }

    impl Lang {
        pub fn code(self) -> &'static str {
            match self {
                Lang::Fr => "fr",
                Lang::En => "en",
            }
        }

        pub fn fragments(self) -> &'static [&'static str] {
            match self {
                Lang::Fr => FR,
                Lang::En => EN,
            }
        }
    }

    /// French fragments. Placeholders: `{min}` minutes, `{n}` a small count, `{days}`,
    /// `{price}`, `{pct}`, `{order}`, `{hour}`, `{day}`, `{name}`.
    pub const FR: &[&str] = &[
        "Accueil chaleureux dès l'entrée, la conseillère {name} m'a saluée tout de suite.",
        "Plus de {min} minutes d'attente en caisse avec seulement deux caisses ouvertes sur huit.",
        "L'appli plante à chaque fois que je veux payer avec ma carte enregistrée.",
        "Commande {order} passée le {day}, toujours pas livrée au bout de {days} jours.",
        "Le livreur a laissé le colis devant la porte sans sonner.",
        "Le retrait en click & collect était prêt en {min} min, rien à redire.",
        "Le casier de retrait affichait « hors service » et personne n'a pu m'aider.",
        "Prix en rayon {price} mais {price} en caisse, j'ai dû réclamer.",
        "Le site indiquait le produit en stock, il n'y en avait plus en magasin.",
        "Vendeur très compétent, il connaissait parfaitement la gamme.",
        "Magasin propre et bien rangé, musique agréable.",
        "Impossible de joindre le service client par téléphone : {min} minutes de musique d'attente puis coupure.",
        "Le chat en ligne m'a répondu en moins de {n} minutes, efficace.",
        "Aucun conseiller disponible au rayon électroménager pendant {min} minutes.",
        "L'étiquette électronique n'était pas à jour : {price} affiché au lieu de {price}.",
        "Le point relais était fermé à {hour} alors que les horaires indiquaient une ouverture jusqu'à 19h.",
        "Très bon accueil de M. Martin, qui a pris le temps de m'expliquer les options.",
        "La borne de commande en magasin ne reconnaissait pas mon compte fidélité.",
        "J'ai reçu le mail de confirmation {n} heures après le retrait.",
        "File d'attente interminable au comptoir SAV, env. {min} min avant d'être servi.",
        "Le code promo de {pct} % n'a fonctionné ni sur le site ni en magasin.",
        "Livraison arrivée avec {days} jours de retard et le carton était abîmé.",
        "Super expérience, je recommande !",
        "Les caisses automatiques étaient en panne, une seule fonctionnait.",
        "Produit introuvable en rayon ; la vendeuse est allée vérifier en réserve.",
        "Le remboursement de {price} n'apparaît toujours pas sur mon compte.",
        "Merci à {name} pour sa patience et sa gentillesse.",
        "Le parking était complet et mal indiqué depuis la route.",
        "L'application m'a déconnecté {n} fois pendant le paiement.",
        "Le transporteur a indiqué « destinataire absent » alors que j'étais chez moi toute la journée.",
        "Rayon frais bien achalandé, produits de qualité.",
        "On m'a demandé de revenir {day} car la commande n'était pas encore préparée.",
        "Le vigile à l'entrée était désagréable et m'a fait vider mon sac.",
        "Paiement sans contact refusé deux fois, le TPE semblait défectueux.",
        "Le site est clair et la commande s'est faite en {n} clics.",
        "Pas de bonjour, pas de sourire, la caissière était au téléphone.",
        "Temps d'attente correct, environ {min} minutes un samedi après-midi.",
        "La notification « commande prête » est arrivée alors que rien n'était prêt au comptoir.",
        "Essayage rapide, cabines propres, conseils pertinents sur la taille.",
        "Le prix affiché sur l'appli ({price}) ne correspondait pas au prix en magasin.",
        "Le colis a été remis à un voisin sans que je sois prévenu.",
        "Bravo à toute l'équipe, c'était parfait 👍",
    ];

    /// English fragments, with the placeholders of [`FR`].
    pub const EN: &[&str] = &[
        "Friendly welcome at the door, {name} greeted me straight away.",
        "Waited over {min} minutes at the checkout with only two tills open.",
        "The app crashed every time I tried to pay with my saved card.",
        "Order {order} placed on {day} still hadn't arrived after {days} days.",
        "The courier left the parcel on the doorstep without ringing the bell.",
        "Click & collect order was ready in {min} min, no complaints.",
        "The pickup locker said \"out of order\" and nobody could help.",
        "Shelf price was {price} but I was charged {price} at the till.",
        "The website showed the item in stock but the store had none left.",
        "Very knowledgeable sales assistant, he knew the whole range.",
        "Clean, tidy store with pleasant background music.",
        "Couldn't reach customer service by phone: {min} minutes on hold, then cut off.",
        "Live chat answered within {n} minutes, very efficient.",
        "No staff available in the electronics aisle for {min} minutes.",
        "The electronic shelf label was out of date, showing {price} instead of {price}.",
        "The pickup point was closed at {hour} although the opening hours said 7pm.",
        "Great service from Mr. Patel, who took the time to explain the options.",
        "The in-store kiosk didn't recognise my loyalty account.",
        "I got the confirmation email {n} hours after I'd collected my order.",
        "Endless queue at the returns desk, approx. {min} minutes before being served.",
        "The {pct}% discount code didn't work online or in store.",
        "Delivery arrived {days} days late and the box was damaged.",
        "Great experience, would definitely recommend!",
        "The self-checkouts were out of order, only one was working.",
        "Couldn't find the product on the shelf; the assistant checked the stockroom for me.",
        "My refund of {price} still hasn't shown up on my account.",
        "Thanks to {name} for being so patient and helpful.",
        "The car park was full and badly signposted from the main road.",
        "The app logged me out {n} times during checkout.",
        "The driver marked it as 'recipient not available' although I was home all day.",
        "Fresh produce section well stocked, good quality.",
        "I was told to come back on {day} because the order hadn't been prepared yet.",
        "The security guard at the entrance was rude and made me empty my bag.",
        "Contactless payment declined twice, the card reader seemed faulty.",
        "The website is clear and ordering took {n} clicks.",
        "No hello, no smile, the cashier was on her phone.",
        "Reasonable wait, about {min} minutes on a Saturday afternoon.",
        "I got the 'order ready' notification but nothing was ready at the counter.",
        "Fitting rooms were clean and the staff gave useful advice on sizing.",
        "The price in the app ({price}) didn't match the price in store.",
        "The parcel was handed to a neighbour without any notice.",
        "Well done to the whole team, it was perfect :)",
    ];

    const NAMES_FR: &[&str] = &["Sophie", "Karim", "Julie", "Thomas", "Nadia", "Lucas"];
    const NAMES_EN: &[&str] = &["Sarah", "James", "Priya", "Tom", "Emily", "Daniel"];
    const DAYS_FR: &[&str] = &["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"];
    const DAYS_EN: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    const EMOJI: &[&str] = &["😡", "🙂", "😍", "👎", "🙏"];
    /// The usual Windows-1252 mojibake of a few French characters.
    const MOJIBAKE: &[(&str, &str)] =
        &[("é", "Ã©"), ("è", "Ã¨"), ("ê", "Ãª"), ("à", "Ã\u{a0}"), ("ç", "Ã§"), ("«", "Â«"), ("»", "Â»")];

    /// Draws sentences and comments from the pools.
    pub struct Corpus {
        rng: Rng,
    }

    impl Corpus {
        pub fn new(seed: u64) -> Self {
            Corpus { rng: Rng::new(seed) }
        }

        pub fn rng(&mut self) -> &mut Rng {
            &mut self.rng
        }

        /// French a little more often than English.
        pub fn lang(&mut self) -> Lang {
            if self.rng.chance(550) {
                Lang::Fr
            } else {
                Lang::En
            }
        }

        /// One fragment with its placeholders filled, appended to `out`.
        pub fn sentence_into(&mut self, lang: Lang, out: &mut String) {
            use std::fmt::Write;
            let mut rest = self.rng.pick(lang.fragments());
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let close = open + rest[open..].find('}').expect("closed placeholder");
                let r = &mut self.rng;
                let fr = lang == Lang::Fr;
                let _ = match &rest[open + 1..close] {
                    "min" => write!(out, "{}", r.range(2, 45)),
                    "n" => write!(out, "{}", r.range(2, 6)),
                    "days" => write!(out, "{}", r.range(2, 12)),
                    "pct" => write!(out, "{}", 5 * r.range(1, 10)),
                    "order" if fr => write!(out, "n° {}", r.range(1_000_000, 9_999_999)),
                    "order" => write!(out, "#{}", r.range(1_000_000, 9_999_999)),
                    "price" => {
                        let (euros, cents) = (r.range(1, 299), r.pick(&[0, 49, 90, 95, 99]));
                        if fr {
                            write!(out, "{euros},{cents:02} €")
                        } else if r.chance(500) {
                            write!(out, "£{euros}.{cents:02}")
                        } else {
                            write!(out, "€{euros}.{cents:02}")
                        }
                    }
                    "hour" => {
                        let (h, m) = (r.range(9, 19), 15 * r.below(4));
                        if fr {
                            write!(out, "{h}h{m:02}")
                        } else {
                            let suffix = if h < 12 { "am" } else { "pm" };
                            let h12 = if h > 12 { h - 12 } else { h };
                            write!(out, "{h12}:{m:02}{suffix}")
                        }
                    }
                    "day" => out.write_str(r.pick(if fr { DAYS_FR } else { DAYS_EN })),
                    "name" => out.write_str(r.pick(if fr { NAMES_FR } else { NAMES_EN })),
                    other => panic!("unknown placeholder {{{other}}}"),
                };
                rest = &rest[close + 1..];
            }
            out.push_str(rest);
        }

        /// One fragment with its placeholders filled.
        pub fn sentence(&mut self, lang: Lang) -> String {
            let mut s = String::new();
            self.sentence_into(lang, &mut s);
            s
        }

        /// A comment of 1–4 sentences in `lang`, appended to `out` (cleared first). Most
        /// are joined with spaces; a few use line breaks or bullets, end with an emoji,
        /// or (French) arrive as mojibake.
        pub fn comment_into(&mut self, lang: Lang, out: &mut String) {
            out.clear();
            let sentences = match self.rng.below(100) {
                0..30 => 1,
                30..65 => 2,
                65..90 => 3,
                _ => 4,
            };
            let layout = self.rng.below(100);
            for i in 0..sentences {
                match (i, layout) {
                    (0, 0..5) => out.push_str("- "),
                    (0, _) => {}
                    (_, 0..5) => out.push_str("\n- "),
                    (_, 5..15) => out.push('\n'),
                    _ => out.push(' '),
                }
                self.sentence_into(lang, out);
            }
            if self.rng.chance(30) {
                out.push(' ');
                out.push_str(self.rng.pick(EMOJI));
            }
            if lang == Lang::Fr && self.rng.chance(10) {
                for (from, to) in MOJIBAKE {
                    if out.contains(from) {
                        *out = out.replace(from, to);
                    }
                }
            }
        }

        /// A comment of 1–4 sentences in `lang`.
        pub fn comment(&mut self, lang: Lang) -> String {
            let mut s = String::new();
            self.comment_into(lang, &mut s);
            s
        }
    }
}

/// Checklist criteria: name, section, irritant category, maximum score.
const CRITERIA: &[(&str, &str, &str, u64)] = &[
    ("welcome_greeting", "accueil", "physical", 2),
    ("staff_availability", "accueil", "physical", 5),
    ("staff_knowledge", "accueil", "physical", 5),
    ("checkout_wait", "magasin", "physical", 10),
    ("price_display", "magasin", "physical", 3),
    ("cleanliness", "magasin", "physical", 5),
    ("app_usability", "digital", "digital", 5),
    ("phone_response_delay", "digital", "digital", 5),
    ("chat_response", "digital", "digital", 5),
    ("click_collect_ready", "retrait", "phygital_bridge", 5),
    ("in_store_devices", "retrait", "phygital_bridge", 3),
    ("delivery_on_time", "livraison", "third_party", 5),
    ("pickup_point_service", "livraison", "third_party", 5),
];

/// Criteria per visit in the checklist.
const CRITERIA_PER_VISIT: u64 = 3;

/// Removes its directory when dropped, unless asked to keep it.
struct TempDir {
    path: PathBuf,
    keep: bool,
}

impl TempDir {
    fn new(n: u64) -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("irritant-bench-e2e-{}-{nanos}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path, keep: std::env::var_os("IRRITANT_BENCH_KEEP").is_some_and(|v| !v.is_empty()) })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("end_to_end: kept {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes `n` comments, streaming; returns the number of visits.
fn write_comments(path: &Path, n: u64) -> Result<u64, Box<dyn std::error::Error>> {
    let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, File::create(path)?));
    w.write_record(["comment_id", "visit_id", "text", "lang"])?;
    let mut corpus = Corpus::new(SEED);
    let (mut id, mut visit, mut text) = (String::new(), String::new(), String::new());
    for i in 0..n {
        use std::fmt::Write;
        id.clear();
        visit.clear();
        write!(id, "C{:08}", i + 1)?;
        write!(visit, "V{:07}", i / COMMENTS_PER_VISIT + 1)?;
        let lang = corpus.lang();
        corpus.comment_into(lang, &mut text);
        // A fifth of the comments come without a language, so detection runs on them.
        let code = if corpus.rng().chance(200) { "" } else { lang.code() };
        w.write_record([id.as_str(), visit.as_str(), text.as_str(), code])?;
    }
    w.flush()?;
    Ok(n.div_ceil(COMMENTS_PER_VISIT))
}

/// Writes the long-format checklist: three distinct criteria per visit, a few N/A.
fn write_checklist(path: &Path, visits: u64) -> Result<u64, Box<dyn std::error::Error>> {
    let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, File::create(path)?));
    w.write_record(["visit_id", "criterion", "section", "category", "score", "max_score"])?;
    let mut rng = Rng::new(SEED ^ 0x00C0_FFEE);
    let k = CRITERIA.len() as u64;
    for v in 1..=visits {
        let visit = format!("V{v:07}");
        // Three distinct criteria: a random start and a stride coprime with the count.
        let (start, stride) = (rng.below(k), 1 + rng.below(4));
        for j in 0..CRITERIA_PER_VISIT {
            let (criterion, section, category, max) = CRITERIA[((start + j * stride) % k) as usize];
            let score = if rng.chance(50) { "NA".to_string() } else { rng.range(0, max).to_string() };
            w.write_record([visit.as_str(), criterion, section, category, &score, &max.to_string()])?;
        }
    }
    w.flush()?;
    Ok(visits * CRITERIA_PER_VISIT)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Bytes of every file under `dir` (table folders and their partitions included).
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_bytes(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// `100000`, `100_000`, `100k`, `1M`.
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim().replace('_', "");
    let (digits, factor) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1_000),
        (i, 'm' | 'M') => (&s[..i], 1_000_000),
        _ => (s.as_str(), 1),
    };
    digits.parse::<u64>().ok().map(|d| d * factor).filter(|&n| n > 0)
}

/// Sizes from the arguments (flags such as the `--bench` cargo passes are skipped), else
/// from `IRRITANT_BENCH_SIZES`, else [`DEFAULT_SIZES`].
fn sizes() -> Result<Vec<u64>, String> {
    let parse_all = |items: Vec<String>, from: &str| -> Result<Vec<u64>, String> {
        items
            .iter()
            .map(|a| {
                parse_size(a)
                    .ok_or_else(|| format!("{from}: {a:?} is not a size (a positive count such as 50000, 100k or 1M)"))
            })
            .collect()
    };
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if !args.is_empty() {
        return parse_all(args, "argument");
    }
    if let Ok(v) = std::env::var("IRRITANT_BENCH_SIZES") {
        let items: Vec<String> = v.split([',', ' ']).filter(|s| !s.is_empty()).map(String::from).collect();
        if !items.is_empty() {
            return parse_all(items, "IRRITANT_BENCH_SIZES");
        }
    }
    Ok(DEFAULT_SIZES.to_vec())
}

/// `--default-only`: run the default model alone (the memory soak at 1M, 5M and 20M
/// comments needs no baseline beside it).
fn default_only() -> bool {
    std::env::args().any(|a| a == "--default-only")
}

/// What one size measured, with the default model.
struct Outcome {
    n: u64,
    peak_rss: Option<u64>,
}

/// The model the default is compared with, relative to the crate root.
const BASELINE_MODEL: &str = "benches/baseline/linear-fr-en-v1";

fn bench_one(binary: &Path, n: u64) -> Result<Outcome, Box<dyn std::error::Error>> {
    let dir = TempDir::new(n)?;
    let comments = dir.path.join("comments.csv");
    let checklist = dir.path.join("checklist.csv");

    let t = Instant::now();
    let visits = write_comments(&comments, n)?;
    let answers = write_checklist(&checklist, visits)?;
    let generated = t.elapsed();
    let comments_bytes = std::fs::metadata(&comments)?.len();
    let checklist_bytes = std::fs::metadata(&checklist)?.len();
    println!(
        "end_to_end n={n}: comments.csv {:.1} MiB ({visits} visits), checklist.csv {:.1} MiB ({answers} answers), generated in {:.1} s",
        mib(comments_bytes),
        mib(checklist_bytes),
        generated.as_secs_f64(),
    );
    if default_only() {
        let (_, outcome) = run_one(binary, n, &comments, &checklist, &dir.path.join("out-default"), None)?;
        return Ok(outcome);
    }
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join(BASELINE_MODEL);
    let (before, _) = run_one(binary, n, &comments, &checklist, &dir.path.join("out-baseline"), Some(&baseline))?;
    let (after, outcome) = run_one(binary, n, &comments, &checklist, &dir.path.join("out-default"), None)?;
    println!(
        "  default vs baseline: {:.0} vs {:.0} segments/s end to end ({:+.1}%)",
        after,
        before,
        (after / before - 1.0) * 100.0
    );
    Ok(outcome)
}

/// Runs `irritant run` once (with `model`, else the embedded default) and prints what it
/// measured; returns the end-to-end segments per second.
fn run_one(
    binary: &Path,
    n: u64,
    comments: &Path,
    checklist: &Path,
    out: &Path,
    model: Option<&Path>,
) -> Result<(f64, Outcome), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let mut cmd = Command::new(binary);
    cmd.arg("run").arg("--comments").arg(comments).arg("--checklist").arg(checklist).arg("--out").arg(out);
    if let Some(m) = model {
        cmd.arg("--model").arg(m);
    }
    let result = cmd.arg("--quiet").output()?;
    let wall = t.elapsed().as_secs_f64();
    if !result.status.success() {
        return Err(format!(
            "irritant run failed ({}) on n={n}:\n{}",
            result.status,
            String::from_utf8_lossy(&result.stderr)
        )
        .into());
    }
    let m = Manifest::read(&out.join("_manifest.json"))?;
    let acc = &m.accounting.comments;
    let rss = m.peak_rss_bytes.map_or_else(|| "unknown".to_string(), |b| format!("{:.1} MiB", mib(b)));

    println!(
        "  model {} ({}): {} segments, {wall:.1} s wall, {:.0} segments/s, {:.0} comments/s, peak RSS {rss}, {} threads",
        m.model.id,
        if model.is_some() { "baseline" } else { "default" },
        m.segments,
        m.segments as f64 / wall,
        n as f64 / wall,
        m.threads,
    );
    let tm = &m.timings;
    let s = |ms: u64| ms as f64 / 1000.0;
    println!(
        "  manifest: process_comments {:.1} s ({:.0} segments/s), read_checklist {:.2} s, join_visits {:.2} s, hash_inputs {:.2} s, total {:.1} s; outputs {:.1} MiB",
        s(tm.process_comments_ms),
        m.segments_per_second,
        s(tm.read_checklist_ms),
        s(tm.join_visits_ms),
        s(tm.hash_inputs_ms),
        s(tm.total_ms),
        mib(dir_bytes(out)),
    );
    if acc.read != n || acc.rejected != 0 {
        println!(
            "  warning: {} comments read, {} accepted, {} rejected (expected {n} accepted)",
            acc.read, acc.accepted, acc.rejected
        );
    }
    Ok((m.segments as f64 / wall, Outcome { n, peak_rss: m.peak_rss_bytes }))
}

fn main() -> ExitCode {
    let sizes = match sizes() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("end_to_end: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Cargo builds the binary (release, as benchmarks are) before the benchmark runs.
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_irritant"));
    if !binary.is_file() {
        eprintln!("end_to_end: {} is missing; run `cargo bench --bench end_to_end`", binary.display());
        return ExitCode::FAILURE;
    }
    let mut outcomes = Vec::new();
    for n in sizes {
        match bench_one(&binary, n) {
            Ok(o) => outcomes.push(o),
            Err(e) => {
                eprintln!("end_to_end: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let limit = mib(RSS_LIMIT_BYTES);
    let mut over = false;
    for o in &outcomes {
        match o.peak_rss {
            Some(peak) => {
                over |= peak >= RSS_LIMIT_BYTES;
                println!(
                    "end_to_end memory: n={} peaked at {:.1} MiB RSS, {} the default --memory-limit of {limit:.0} MiB",
                    o.n,
                    mib(peak),
                    if peak < RSS_LIMIT_BYTES { "under" } else { "OVER" }
                );
            }
            None => println!("end_to_end memory: n={} peak RSS unknown (no /proc VmHWM), limit not checked", o.n),
        }
    }
    if over {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
