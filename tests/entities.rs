//! `data/entities.tsv`, the project's list of third parties and in-store device words by
//! market, is well formed: five columns, kinds and markets from a closed list, each row's
//! aspect from the taxonomy and fitting its kind, and no name or alias given to two
//! entities (a name that matched two would make the feature it feeds ambiguous).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use irritant::taxonomy;

const MARKETS: [&str; 6] = ["FR", "BE", "CH", "CA", "UK", "US"];

/// The aspect each kind suggests; in-store devices may also suggest click & collect (a
/// pickup locker inside a store).
fn aspects_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "carrier" | "food_delivery_app" | "grocery_delivery_app" => &["third_party.delivery"],
        "relay_network" | "locker_network" => &["third_party.pickup_point"],
        "marketplace" | "payment_provider" | "credit_provider" | "ride_hailing_app" => &["third_party.partner"],
        "in_store_device" => &["phygital_bridge.in_store_device", "phygital_bridge.click_collect"],
        _ => &[],
    }
}

struct Row {
    line: usize,
    name: String,
    aliases: Vec<String>,
    kind: String,
    markets: Vec<String>,
}

fn rows() -> Vec<Row> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/entities.tsv");
    let text = std::fs::read_to_string(&path).expect("data/entities.tsv");
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().expect("a header");
    assert_eq!(header, "name\taliases\tkind\tmarkets\taspect");
    lines
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "line {}: {l:?}", i + 1);
            let kind = f[2].to_string();
            assert!(!aspects_of(&kind).is_empty(), "line {}: unknown kind {kind:?}", i + 1);
            assert!(taxonomy::aspect_index(f[4]).is_some(), "line {}: unknown aspect {:?}", i + 1, f[4]);
            assert!(aspects_of(&kind).contains(&f[4]), "line {}: a {kind} does not suggest {}", i + 1, f[4]);
            let markets: Vec<String> = f[3].split('|').map(String::from).collect();
            for m in &markets {
                assert!(MARKETS.contains(&m.as_str()), "line {}: unknown market {m:?}", i + 1);
            }
            let name = f[0].to_string();
            assert!(!name.is_empty() && name == name.to_lowercase(), "line {}: name {name:?} is lower-case", i + 1);
            let aliases = f[1].split('|').filter(|a| !a.is_empty()).map(String::from).collect();
            Row { line: i + 1, name, aliases, kind, markets }
        })
        .collect()
}

#[test]
fn every_name_and_alias_stands_for_one_entity() {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in rows() {
        for n in std::iter::once(&r.name).chain(&r.aliases) {
            assert_eq!(n, &n.to_lowercase(), "line {}: {n:?} is lower-case", r.line);
            if let Some(first) = seen.insert(n.clone(), r.line) {
                panic!("{n:?} on lines {first} and {}", r.line);
            }
        }
    }
}

#[test]
fn every_market_has_carriers_pickup_networks_and_partners() {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let all = rows();
    for r in &all {
        let group = match r.kind.as_str() {
            "carrier" => "carrier",
            "food_delivery_app" | "grocery_delivery_app" => "delivery_app",
            "relay_network" | "locker_network" => "pickup",
            "in_store_device" => "device",
            _ => "partner",
        };
        for m in &r.markets {
            let m = MARKETS.iter().find(|x| **x == m.as_str()).unwrap();
            *counts.entry((m, group)).or_default() += 1;
        }
    }
    for m in MARKETS {
        for (group, min) in [("carrier", 4), ("pickup", 1), ("partner", 5)] {
            let k = counts.get(&(m, group)).copied().unwrap_or(0);
            assert!(k >= min, "{m}: {k} {group} entities");
        }
    }
    let devices = all.iter().filter(|r| r.kind == "in_store_device").count();
    assert!(devices >= 15, "{devices} in-store device words");
}
