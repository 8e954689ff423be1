//! Random transactions with a power cut at a random storage operation, against a
//! `BTreeMap` oracle (the shape of sequential-storage's `map-power-cuts` fuzz target).
//!
//! After every step the store must open (a `Corrupted` fails the test) and hold the
//! oracle's state before the step or after it; a commit that answered `Ok` must have
//! landed. The cut may tear the interrupted write and lose any subset of the writes not
//! yet flushed ([`TearingStorage`]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use proptest::prelude::*;
use std::collections::BTreeMap;
use veuicc::store::{Store, Txn};
use veuicc::testkit::tearing::{Cut, TearingStorage};

/// Record names of every kind the card writes.
const NAMES: [&str; 7] = ["config", "p.10", "p.11", "u.10", "n.0000000000000001", "install", "port.1"];

#[derive(Debug, Clone)]
enum Op {
    Put(usize, Vec<u8>),
    Remove(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..NAMES.len(), prop::collection::vec(any::<u8>(), 0..80)).prop_map(|(n, v)| Op::Put(n, v)),
        1 => (0..NAMES.len()).prop_map(Op::Remove),
    ]
}

fn cut() -> impl Strategy<Value = Option<Cut>> {
    prop::option::weighted(
        0.6,
        (0..16usize, any::<bool>(), prop::option::of(any::<u64>())).prop_map(|(at_op, torn, reorder_seed)| Cut {
            at_op,
            torn,
            reorder_seed,
        }),
    )
}

fn held(store: &Store) -> BTreeMap<String, Vec<u8>> {
    store.names().map(|n| (n.to_string(), store.get(n).unwrap().to_vec())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_commits_and_cuts_keep_the_old_or_the_new_state(
        steps in prop::collection::vec((prop::collection::vec(op(), 1..5), cut()), 1..16)
    ) {
        let mut storage = TearingStorage::new();
        let mut store = Store::open(&mut storage).unwrap();
        let mut oracle: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for (i, (ops, cut)) in steps.into_iter().enumerate() {
            let mut txn = Txn::new();
            let mut next = oracle.clone();
            for op in ops {
                match op {
                    Op::Put(n, v) => {
                        txn.put(NAMES[n], v.clone());
                        next.insert(NAMES[n].to_string(), v);
                    }
                    Op::Remove(n) => {
                        txn.remove(NAMES[n]);
                        next.remove(NAMES[n]);
                    }
                }
            }
            if let Some(cut) = cut {
                // `at_op` counts from the last power-up: cut this commit's operation `at_op`.
                storage.cut(Cut { at_op: storage.ops() + cut.at_op, ..cut });
            }
            let done = store.commit(&mut storage, txn).is_ok();
            if storage.lost_power() {
                storage.power_up();
                store = match Store::open(&mut storage) {
                    Ok(store) => store,
                    Err(e) => return Err(TestCaseError::fail(format!("step {i}: the store does not open: {e}"))),
                };
                let got = held(&store);
                prop_assert!(got == oracle || got == next, "step {}: a third state {:?}", i, got.keys());
                if done {
                    prop_assert_eq!(&got, &next, "step {}: a commit answered Ok and did not land", i);
                }
                oracle = got;
            } else {
                prop_assert!(done, "step {}: a commit failed without a power cut", i);
                oracle = next;
                // A clean power cycle opens the same state.
                let mut again = storage.clone();
                again.power_up();
                prop_assert_eq!(held(&Store::open(&mut again).unwrap()), oracle.clone(), "step {}: reopened", i);
            }
            prop_assert_eq!(held(&store), oracle.clone());
        }
    }
}
