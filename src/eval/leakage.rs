//! The future-perturbation leakage check: the command is run again on a copy of the input file
//! whose rows from a cutoff day on follow another path. Nothing fixed before the cutoff may
//! change, bit for bit: a forecast for a day up to the cutoff and the forecast path and bands
//! made from it, each trading rule's position for such a day, each figure that uses a day's
//! own close for the days before the cutoff (returns, the lag detector's moves), and, when the
//! cutoff lies after the training and validation rows, the scalers, every epoch's losses, the
//! trained weights and the interval quantiles. Whatever changed had seen the future.
//!
//! This module only compares; running the command twice is the caller's (`commands::stock`'s
//! `leak_check`, `commands::compare_report`).

use serde::{Deserialize, Serialize};

/// Epochs the run with the future replaced inside the validation part trains: the training
/// losses of these epochs must agree with the real run's (early stopping may then differ).
pub const VALIDATION_EPOCHS: usize = 2;

/// What one run produced, in the terms the check compares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// `(min, max)` per input channel.
    pub scalers: Vec<(f64, f64)>,
    /// SHA-256 of each trained variable, by name.
    pub weights: Vec<(String, String)>,
    pub train_loss: Vec<f64>,
    pub val_loss: Vec<f64>,
    /// `(target row, one-step forecast in price units)`.
    pub forecasts: Vec<(usize, f64)>,
    /// Interval quantiles per forecast step from the validation errors (empty where none are sized).
    pub interval: Vec<(f64, f64)>,
    /// `(target row of the one-step forecast, digest per forecast step)` of the test days'
    /// forecast paths and bands: each digest covers the path's value at that step and every
    /// reported band of it (every method and level, and naive's), see [`band_digest`].
    #[serde(default)]
    pub bands: Vec<(usize, Vec<u64>)>,
    /// Everything else that is dated: the trading rules' positions and daily returns, the lag
    /// detector's inputs.
    #[serde(default)]
    pub dated: Vec<Dated>,
}

impl Fingerprint {
    /// What a check at `cutoff` against `perturbed` compares of this fingerprint, in words:
    /// read from what the two hold, so that a figure left out of a run's fingerprint is left out of the sentence too.
    pub fn coverage(&self, cutoff: Cutoff, perturbed: &Fingerprint) -> Vec<String> {
        let mut out = Vec::new();
        let mut say = |n: usize, what: &str| {
            if n > 0 {
                out.push(format!("{what} ({n})"));
            }
        };
        say(self.scalers.len(), "scalers");
        // losses are compared over the epochs both runs trained
        say(self.train_loss.len().min(perturbed.train_loss.len()), "training losses per epoch");
        if cutoff == Cutoff::Validation {
            return out;
        }
        say(self.val_loss.len().min(perturbed.val_loss.len()), "validation losses per epoch");
        say(self.weights.len(), "trained weights");
        say(self.interval.len(), "interval quantiles per step");
        say(self.forecasts.len(), "forecasts");
        say(
            self.bands.first().map_or(0, |b| b.1.len()),
            "steps of forecast paths and their bands per day, every method and level",
        );
        // one entry per kind: "long/flat position", "lag detector's ..."
        let mut kinds: Vec<&str> = Vec::new();
        for d in &self.dated {
            let kind = d.name.strip_suffix(" position").unwrap_or(&d.name);
            let kind = if d.name.starts_with("lag detector") { "lag detector inputs" } else { kind };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        let rules =
            kinds.iter().filter(|k| !k.ends_with("net return") && **k != "lag detector inputs").count();
        if rules > 0 {
            out.push(format!(
                "daily positions and net returns of {rules} trading rules ({})",
                self.dated
                    .iter()
                    .filter_map(|d| d.name.strip_suffix(" position"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if kinds.contains(&"lag detector inputs") {
            out.push("the lag detector's daily inputs".into());
        }
        out
    }
}

/// One dated series of a run, for the leakage check.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dated {
    /// What the values are, for messages ("long/flat position").
    pub name: String,
    /// Whether row t's value is computed with row t's own data (a day's return): then it may
    /// change from the cutoff row on. Otherwise it was fixed the evening before (a forecast, a
    /// position) and may change only after the cutoff row.
    pub uses_own_day: bool,
    /// `(row, value)`.
    pub values: Vec<(usize, f64)>,
}

impl Dated {
    pub fn new(name: impl Into<String>, uses_own_day: bool, rows: &[usize], values: &[f64]) -> Dated {
        Dated {
            name: name.into(),
            uses_own_day,
            values: rows.iter().copied().zip(values.iter().copied()).collect(),
        }
    }
}

/// A digest of band bounds, equal for equal bits (FNV-1a over the bits): the fingerprint keeps
/// one per test day and step instead of every method's and level's bounds.
pub fn band_digest(bounds: impl IntoIterator<Item = (f64, f64)>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (lo, hi) in bounds {
        for b in lo.to_bits().to_le_bytes().into_iter().chain(hi.to_bits().to_le_bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Where the future was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cutoff {
    /// In the test part: everything fitted, and every forecast up to the cutoff, must stay.
    Test,
    /// In the validation part: the scalers and the training losses of every epoch both runs
    /// trained must stay (early stopping may legitimately end elsewhere, so weights may not).
    Validation,
}

/// The result of one perturbation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakCheck {
    pub cutoff: Cutoff,
    /// First replaced row, and its date.
    pub cutoff_row: usize,
    pub cutoff_date: String,
    /// How many figures were compared.
    pub compared: usize,
    /// Everything that changed, in the order checked (empty: PASS).
    pub changes: Vec<String>,
    /// Wall time of the perturbed run.
    pub seconds: f64,
    /// Why the two runs could not be compared (they ran with different thread counts, say,
    /// which changes the last bits of everything); `None` when they could.
    pub inconclusive: Option<String>,
    /// What was compared, in words (see [`Fingerprint::coverage`]).
    #[serde(default)]
    pub covered: Vec<String>,
}

impl LeakCheck {
    pub fn passed(&self) -> bool {
        self.changes.is_empty() && self.inconclusive.is_none()
    }

    /// One line for `what` ("LSTM", "LSTM fold 2").
    pub fn sentence(&self, what: &str) -> String {
        let part = match self.cutoff {
            Cutoff::Test => "test",
            Cutoff::Validation => "validation",
        };
        if let Some(why) = &self.inconclusive {
            return format!("leakage check INCONCLUSIVE for {what} (future replaced from {} on, in the {part} part): {why}", self.cutoff_date);
        }
        match self.changes.first() {
            None => format!(
                "leakage check PASS for {what}: a copy of the file with its rows from {} on replaced (in the {part} part), run from the loader on; {} figures computed before it identical bit for bit ({:.1} s): {}",
                self.cutoff_date,
                self.compared,
                self.seconds,
                self.covered.join(", ")
            ),
            Some(first) => format!(
                "LEAK for {what}: with the future replaced from {} on (in the {part} part), {first}{}",
                self.cutoff_date,
                match self.changes.len() - 1 {
                    0 => String::new(),
                    k => format!(" (and {k} more change{})", if k == 1 { "" } else { "s" }),
                }
            ),
        }
    }
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

/// Compares the honest run with the perturbed one. `date(row)` names a row's day.
pub fn compare(
    honest: &Fingerprint,
    perturbed: &Fingerprint,
    cutoff: Cutoff,
    cutoff_row: usize,
    date: &dyn Fn(usize) -> String,
) -> (usize, Vec<String>) {
    let mut changes = Vec::new();
    let mut compared = 0;
    // a list of another length cannot be compared item by item: say so rather than zip past it
    let counts = [
        ("input channels", honest.scalers.len(), perturbed.scalers.len()),
        ("trained variables", honest.weights.len(), perturbed.weights.len()),
        ("interval steps", honest.interval.len(), perturbed.interval.len()),
        ("forecasts", honest.forecasts.len(), perturbed.forecasts.len()),
        ("band origins", honest.bands.len(), perturbed.bands.len()),
    ];
    // in the validation part only the scalers and the training losses are compared
    let checked = if cutoff == Cutoff::Validation { 1 } else { counts.len() };
    for (what, a, b) in counts.into_iter().take(checked) {
        if a != b {
            changes.push(format!("the number of {what} changed ({a} -> {b})"));
        }
    }
    for (c, (a, b)) in honest.scalers.iter().zip(&perturbed.scalers).enumerate() {
        compared += 1;
        if !same(a.0, b.0) || !same(a.1, b.1) {
            changes.push(format!(
                "the scaler of input channel {c} changed (range {:.6}..{:.6} -> {:.6}..{:.6})",
                a.0, a.1, b.0, b.1
            ));
        }
    }
    let losses = |name: &str, a: &[f64], b: &[f64], changes: &mut Vec<String>, compared: &mut usize| {
        for (e, (x, y)) in a.iter().zip(b).enumerate() {
            *compared += 1;
            if !same(*x, *y) {
                changes.push(format!("the {name} loss of epoch {} changed ({x:.8} -> {y:.8})", e + 1));
                return;
            }
        }
    };
    losses("training", &honest.train_loss, &perturbed.train_loss, &mut changes, &mut compared);
    if cutoff == Cutoff::Validation {
        return (compared, changes);
    }
    losses("validation", &honest.val_loss, &perturbed.val_loss, &mut changes, &mut compared);
    if honest.train_loss.len() != perturbed.train_loss.len() {
        changes.push(format!(
            "training ran {} epochs instead of {}",
            perturbed.train_loss.len(),
            honest.train_loss.len()
        ));
    }
    for ((name, a), (other, b)) in honest.weights.iter().zip(&perturbed.weights) {
        compared += 1;
        if a != b || name != other {
            changes.push(format!("the trained weights changed (first: {name})"));
            break;
        }
    }
    for (step, (a, b)) in honest.interval.iter().zip(&perturbed.interval).enumerate() {
        compared += 1;
        if !same(a.0, b.0) || !same(a.1, b.1) {
            changes.push(format!("the interval quantiles of step {} changed", step + 1));
            break;
        }
    }
    for (&(row, a), &(_, b)) in
        honest.forecasts.iter().zip(&perturbed.forecasts).filter(|(x, _)| x.0 <= cutoff_row)
    {
        compared += 1;
        if !same(a, b) {
            changes.push(format!("the forecast for {} changed ({a:.4} -> {b:.4})", date(row)));
            break;
        }
    }
    'bands: for ((row, a), (_, b)) in
        honest.bands.iter().zip(&perturbed.bands).filter(|(x, _)| x.0 <= cutoff_row)
    {
        for (step, (x, y)) in a.iter().zip(b).enumerate() {
            compared += 1;
            if x != y {
                changes.push(format!(
                    "the step-{} forecast or its prediction bands (a method or level) from the forecast made for {} changed",
                    step + 1,
                    date(*row)
                ));
                break 'bands;
            }
        }
    }
    if honest.dated.len() != perturbed.dated.len() {
        changes.push(format!(
            "the number of dated series changed ({} -> {})",
            honest.dated.len(),
            perturbed.dated.len()
        ));
    }
    for (a, b) in honest.dated.iter().zip(&perturbed.dated) {
        let known = |row: usize| if a.uses_own_day { row < cutoff_row } else { row <= cutoff_row };
        if a.name != b.name || a.values.len() != b.values.len() {
            changes.push(format!("the {} changed its days or name", a.name));
            continue;
        }
        for (&(row, x), &(other, y)) in a.values.iter().zip(&b.values).filter(|(x, _)| known(x.0)) {
            compared += 1;
            if row != other || !same(x, y) {
                changes.push(format!("the {} of {} changed ({x:.6} -> {y:.6})", a.name, date(row)));
                break;
            }
        }
    }
    (compared, changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp() -> Fingerprint {
        Fingerprint {
            scalers: vec![(1.0, 2.0)],
            weights: vec![("head.weight".into(), "ab".into()), ("rnn.w".into(), "cd".into())],
            train_loss: vec![0.5, 0.4, 0.3],
            val_loss: vec![0.6, 0.5, 0.55],
            forecasts: vec![(10, 100.0), (11, 101.0), (12, 102.0)],
            interval: vec![(-0.1, 0.1)],
            bands: vec![(10, vec![1, 2]), (11, vec![3, 4]), (12, vec![5, 6])],
            dated: vec![
                Dated::new("long/flat position", false, &[10, 11, 12], &[1.0, 0.0, 1.0]),
                Dated::new("long/flat net return", true, &[10, 11, 12], &[0.01, 0.0, -0.02]),
            ],
        }
    }

    fn day(r: usize) -> String {
        format!("day {r}")
    }

    #[test]
    fn identical_runs_pass_and_each_kind_of_change_is_named() {
        let a = fp();
        let (n, c) = compare(&a, &a.clone(), Cutoff::Test, 11, &day);
        assert!(c.is_empty() && n == 1 + 3 + 3 + 2 + 1 + 2 + 4 + 2 + 1, "{n} {c:?}");
        // a forecast after the cutoff may change; one up to it (inclusive) may not
        let mut b = a.clone();
        b.forecasts[2].1 = 0.0;
        assert!(compare(&a, &b, Cutoff::Test, 11, &day).1.is_empty());
        b.forecasts[1].1 = 101.0 + 1e-12;
        assert_eq!(
            compare(&a, &b, Cutoff::Test, 11, &day).1,
            vec!["the forecast for day 11 changed (101.0000 -> 101.0000)"]
        );
        let mut b = a.clone();
        b.scalers[0].1 = 2.5;
        assert!(compare(&a, &b, Cutoff::Validation, 11, &day).1[0].contains("scaler of input channel 0"));
        let mut b = a.clone();
        b.weights[1].1 = "ce".into();
        assert_eq!(
            compare(&a, &b, Cutoff::Test, 11, &day).1,
            vec!["the trained weights changed (first: rnn.w)"]
        );
        let mut b = a.clone();
        b.val_loss[0] = 0.61;
        assert!(compare(&a, &b, Cutoff::Test, 11, &day).1[0].contains("validation loss of epoch 1"));
        // in the validation part only training may not move: early stopping may
        assert!(compare(&a, &b, Cutoff::Validation, 11, &day).1.is_empty());
        b.train_loss[1] = 0.41;
        assert!(compare(&a, &b, Cutoff::Validation, 11, &day).1[0].contains("training loss of epoch 2"));
        let mut b = a.clone();
        b.interval[0].0 = -0.2;
        assert!(compare(&a, &b, Cutoff::Test, 11, &day).1[0].contains("interval quantiles of step 1"));
        // a band sized with an error from its own day or later: caught up to the cutoff only
        let mut b = a.clone();
        b.bands[2].1[0] = 7;
        assert!(compare(&a, &b, Cutoff::Test, 11, &day).1.is_empty());
        b.bands[1].1[1] = 8;
        assert_eq!(
            compare(&a, &b, Cutoff::Test, 11, &day).1,
            vec!["the step-2 forecast or its prediction bands (a method or level) from the forecast made for day 11 changed"]
        );
        // a position is fixed the evening before: the cutoff day's may not change; a day's
        // return uses its own close: the cutoff day's may
        let mut b = a.clone();
        b.dated[1].values[1].1 = 0.5;
        b.dated[0].values[2].1 = -1.0;
        assert!(compare(&a, &b, Cutoff::Test, 11, &day).1.is_empty());
        b.dated[0].values[1].1 = 1.0;
        b.dated[1].values[0].1 = 0.011;
        assert_eq!(
            compare(&a, &b, Cutoff::Test, 11, &day).1,
            vec![
                "the long/flat position of day 11 changed (0.000000 -> 1.000000)",
                "the long/flat net return of day 10 changed (0.010000 -> 0.011000)"
            ]
        );
        // and the bands' digest sees one bit
        assert_ne!(band_digest([(0.1, 0.2)]), band_digest([(0.1, 0.2f64.next_up())]));
        assert_eq!(band_digest([(0.1, 0.2)]), band_digest([(0.1, 0.2)]));
        let mut b = a.clone();
        b.weights.pop();
        assert_eq!(
            compare(&a, &b, Cutoff::Test, 11, &day).1,
            vec!["the number of trained variables changed (2 -> 1)"]
        );
        let mut b = a.clone();
        b.train_loss.push(0.2);
        b.val_loss.push(0.6);
        assert!(compare(&a, &b, Cutoff::Test, 11, &day).1[0].contains("4 epochs instead of 3"));
    }
}
