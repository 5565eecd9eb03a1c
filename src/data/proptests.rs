//! Property tests of the data invariants, and a bounded fuzz of the CSV entry point.
//!
//! The fuzz runs in the normal suite: random bytes, and random edits of a valid Yahoo file, must
//! only ever produce `Ok` or an input error, never a panic.

use proptest::prelude::*;

use super::load::{parse_prices, LoadOptions};
use super::window::make_windows_multi;
use super::{MinMaxScaler, Split};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn windows_count_and_content(rows in 1usize..200, features in 1usize..4, window in 1usize..20, cut in 0.0f64..1.0) {
        prop_assume!(window < rows);
        let matrix: Vec<f32> = (0..rows * features).map(|i| i as f32).collect();
        let target: Vec<f32> = (0..rows).map(|i| -(i as f32)).collect();
        let start = window + ((rows - window) as f64 * cut) as usize;
        let (x, y) = make_windows_multi(&matrix, features, &target, window, start..rows, 1);
        prop_assert_eq!(y.len(), rows - start);
        prop_assert_eq!(x.len(), (rows - start) * window * features);
        for (k, t) in (start..rows).enumerate() {
            prop_assert_eq!(y[k], target[t]);
            // the last row of each window is the day before the target
            let last = &x[(k + 1) * window * features - features..(k + 1) * window * features];
            prop_assert_eq!(last, &matrix[(t - 1) * features..t * features]);
        }
    }

    #[test]
    fn scaler_round_trip(train in prop::collection::vec(-1e6f64..1e6, 1..50), v in -1e7f64..1e7) {
        let s = MinMaxScaler::fit(&train);
        let back = s.inverse(s.transform(v));
        prop_assert!((back - v).abs() <= 1e-9 * v.abs().max(1.0) * 1e3, "{} -> {}", v, back);
        for t in &train {
            let u = s.transform(*t);
            prop_assert!((-1e-12..=1.0 + 1e-12).contains(&u) || s.max == s.min);
        }
    }

    #[test]
    fn split_parts_never_overlap(len in 0usize..3000, val in 0.01f64..0.4, test in 0.01f64..0.4, window in 1usize..100, offset in 0usize..2) {
        if let Ok(s) = Split::new(len, val, test, window, offset, "p") {
            prop_assert!(window + offset < s.train_end);
            prop_assert!(s.train_end < s.val_end && s.val_end < s.len && s.len == len);
            prop_assert_eq!(s.train_targets(window + offset).end, s.val_targets().start);
            prop_assert_eq!(s.val_targets().end, s.test_targets().start);
        }
    }

    #[test]
    fn rows_come_out_sorted_whatever_the_file_order(perm in Just((0..60).collect::<Vec<u32>>()).prop_shuffle()) {
        let mut text = String::from("Date,Close\n");
        for &d in &perm {
            let date = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(d as u64);
            text += &format!("{date},{}\n", 100 + d);
        }
        let s = parse_prices(text.as_bytes(), "p.csv", &LoadOptions::default()).unwrap();
        prop_assert!(s.dates.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(s.values, (0..60).map(|d| 100.0 + d as f64).collect::<Vec<_>>());
        // each row remembers its line: value 100 + d sits on line 2 + its position in the file
        for (i, line) in s.lines.iter().enumerate() {
            prop_assert_eq!(perm[line - 2], i as u32);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_prices(&bytes, "fuzz.csv", &LoadOptions::default());
    }

    #[test]
    fn fuzz_edited_yahoo_file_never_panics(edits in prop::collection::vec((0usize..4000, any::<u8>()), 1..12)) {
        let mut bytes = include_bytes!("../../tests/fixtures/yahoo.csv")[..4000].to_vec();
        for (at, b) in edits {
            bytes[at] = b;
        }
        let opts = LoadOptions { columns: vec![super::RawColumn::Volume, super::RawColumn::High], ..Default::default() };
        let _ = parse_prices(&bytes, "fuzz.csv", &opts);
    }

    #[test]
    fn fuzz_csv_like_text_never_panics(text in "[0-9a-zA-Z,;\t\"$. /:\\n-]{0,300}") {
        let _ = parse_prices(text.as_bytes(), "fuzz.csv", &LoadOptions::default());
    }
}
