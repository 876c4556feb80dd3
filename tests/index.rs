//! Index lookups over every fixture: symbol membership, label names and values, postings.

use tsblock::Db;

mod common;

#[test]
fn symbol_membership_label_values_and_postings_agree_with_a_full_scan() {
    for (_, fixture) in common::fixtures() {
        let db = Db::open(&fixture).expect("open");
        for block in db.blocks() {
            let index = block.index();
            index.check_tables().expect("tables");
            let symbols: Vec<&[u8]> = index.symbols().map(|s| s.expect("symbol")).collect();
            for (i, s) in symbols.iter().enumerate() {
                assert!(index.has_symbol(s).expect("lookup"), "{s:?}");
                assert_eq!(index.symbol(i as u32).expect("by position"), *s);
                // A string just after this symbol (and before the next) is not one.
                let mut between = s.to_vec();
                between.push(0);
                if symbols.get(i + 1) != Some(&between.as_slice()) {
                    assert!(!index.has_symbol(&between).expect("lookup"));
                }
            }
            assert!(!index
                .has_symbol(b"\xff\xff\xff not a symbol")
                .expect("lookup"));
            // Label names/values and postings against the series themselves.
            let mut pairs: std::collections::BTreeMap<(Vec<u8>, Vec<u8>), Vec<u64>> =
                Default::default();
            let mut all = Vec::new();
            for s in block.series().expect("series") {
                let s = s.expect("series");
                all.push(s.id.0);
                for l in &s.labels {
                    pairs
                        .entry((l.name.to_vec(), l.value.to_vec()))
                        .or_default()
                        .push(s.id.0);
                }
            }
            assert_eq!(
                index
                    .all_postings()
                    .expect("all")
                    .into_refs()
                    .collect::<Vec<_>>(),
                all
            );
            let names: std::collections::BTreeSet<Vec<u8>> =
                pairs.keys().map(|(n, _)| n.clone()).collect();
            let got: Vec<Vec<u8>> = index
                .label_names()
                .expect("names")
                .into_iter()
                .map(<[u8]>::to_vec)
                .collect();
            assert_eq!(got, names.iter().cloned().collect::<Vec<_>>());
            for name in &names {
                let values: Vec<Vec<u8>> = pairs
                    .keys()
                    .filter(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .collect();
                let got: Vec<Vec<u8>> = index
                    .label_values(name)
                    .expect("values")
                    .into_iter()
                    .map(<[u8]>::to_vec)
                    .collect();
                assert_eq!(got, values);
            }
            for ((n, v), ids) in &pairs {
                assert_eq!(
                    &index
                        .postings(n, v)
                        .expect("postings")
                        .into_refs()
                        .collect::<Vec<_>>(),
                    ids
                );
                let mut missing = v.clone();
                missing.push(0xff);
                assert_eq!(
                    index
                        .postings(n, &missing)
                        .expect("postings")
                        .into_refs()
                        .count(),
                    0
                );
            }
        }
    }
}
