//! `compare`'s trading evaluation: each model's strategies over its seeds (mean and spread on
//! the pooled walk-forward test days), and the deflated Sharpe ratio over every try, so that the
//! best of many runs is not mistaken for skill.

use serde::Serialize;

use super::stats::mean_sd;
use super::trading::{
    daily_sharpe, deflated_sharpe, expected_max_sharpe, skew_kurtosis, BreakEven, Rule, RuleFigures, Trading,
    YEAR,
};

/// Mean and standard deviation over seeds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub sd: f64,
}

impl Spread {
    fn of(v: &[f64]) -> Spread {
        let (mean, sd) = mean_sd(v);
        Spread { mean, sd }
    }
}

/// One strategy of one model over its seeds.
#[derive(Debug, Clone, Serialize)]
pub struct RuleOverSeeds {
    pub rule: Rule,
    pub gross_total: Spread,
    pub net_total: Spread,
    pub net_annual: Spread,
    /// Annualised; a seed whose returns are constant counts as 0.
    pub net_sharpe: Spread,
    pub net_max_drawdown: Spread,
    pub turnover_per_year: Spread,
    /// Each seed's break-even cost and p-value against holding.
    pub break_even: Vec<BreakEven>,
    pub p_vs_hold: Vec<Option<f64>>,
}

impl RuleOverSeeds {
    /// Break-even costs in words: the mean of the seeds that have one, and how many never do.
    pub fn break_even_words(&self) -> String {
        let bps: Vec<f64> = self
            .break_even
            .iter()
            .filter_map(|b| match b {
                BreakEven::Bps { bps } => Some(*bps),
                _ => None,
            })
            .collect();
        let above = self.break_even.iter().filter(|b| matches!(b, BreakEven::Above { .. })).count();
        let n = self.break_even.len();
        let mut parts = Vec::new();
        match bps.len() {
            0 => {}
            k if k == n => parts.push(format!("{:.1} bp", bps.iter().sum::<f64>() / k as f64)),
            k => parts.push(format!("{:.1} bp in {k} of {n} seeds", bps.iter().sum::<f64>() / k as f64)),
        }
        if above > 0 {
            parts.push(format!("ahead at any cost in {above} of {n}"));
        }
        if parts.is_empty() {
            "never ahead".into()
        } else {
            parts.join("; ")
        }
    }

    /// The seeds' p-values as a range, `0.41` or `0.21-0.77`.
    pub fn p_words(&self) -> String {
        let ps: Vec<f64> = self.p_vs_hold.iter().flatten().copied().collect();
        if ps.is_empty() {
            return "-".into();
        }
        let (lo, hi) = ps.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &p| (a.min(p), b.max(p)));
        if hi - lo < 0.005 {
            format!("{lo:.2}")
        } else {
            format!("{lo:.2}-{hi:.2}")
        }
    }
}

/// The figures of `rule` in every seed's evaluation.
pub fn over_seeds(per_seed: &[&Trading], rule: Rule) -> RuleOverSeeds {
    let figs: Vec<&RuleFigures> = per_seed.iter().map(|t| t.rule(rule)).collect();
    let col = |f: fn(&RuleFigures) -> f64| Spread::of(&figs.iter().map(|r| f(r)).collect::<Vec<_>>());
    RuleOverSeeds {
        rule,
        gross_total: col(|r| r.gross.total_return),
        net_total: col(|r| r.net.total_return),
        net_annual: col(|r| r.net.annual_return),
        net_sharpe: col(|r| r.net.sharpe.unwrap_or(0.0)),
        net_max_drawdown: col(|r| r.net.max_drawdown),
        turnover_per_year: col(|r| r.net.turnover_per_year),
        break_even: figs.iter().map(|r| r.break_even.unwrap_or(BreakEven::Never)).collect(),
        p_vs_hold: figs.iter().map(|r| r.p_vs_hold).collect(),
    }
}

/// One try: a model, a seed and a strategy, with its daily net returns.
pub struct Try<'a> {
    pub label: String,
    pub seed: u64,
    pub rule: Rule,
    pub returns: &'a [f64],
}

/// The deflated Sharpe ratio of the best of every try.
#[derive(Debug, Clone, Serialize)]
pub struct Deflated {
    pub trials: usize,
    pub best_label: String,
    pub best_seed: u64,
    pub best_rule: Rule,
    /// Annualised Sharpe ratio of the best try, net of costs.
    pub best_sharpe: f64,
    /// Annualised Sharpe ratio the best of this many tries would reach by luck alone.
    pub expected_max_sharpe: f64,
    pub skew: f64,
    pub kurtosis: f64,
    /// The probability that the best try's true Sharpe ratio is above what luck gives.
    pub deflated_sharpe: f64,
}

/// The deflated Sharpe ratio of the best of `tries` (Bailey and López de Prado 2014), with the
/// variance of the tries' Sharpe ratios taken from the tries themselves; `None` for no tries.
pub fn deflate(tries: &[Try]) -> Option<Deflated> {
    let sharpes: Vec<f64> = tries.iter().map(|t| daily_sharpe(t.returns).unwrap_or(0.0)).collect();
    let best = (0..tries.len()).max_by(|&a, &b| sharpes[a].total_cmp(&sharpes[b]))?;
    let variance = if tries.len() > 1 { mean_sd(&sharpes).1.powi(2) } else { 0.0 };
    let b = &tries[best];
    let (skew, kurtosis) = skew_kurtosis(b.returns);
    Some(Deflated {
        trials: tries.len(),
        best_label: b.label.clone(),
        best_seed: b.seed,
        best_rule: b.rule,
        best_sharpe: sharpes[best] * YEAR.sqrt(),
        expected_max_sharpe: expected_max_sharpe(variance, tries.len()) * YEAR.sqrt(),
        skew,
        kurtosis,
        deflated_sharpe: deflated_sharpe(
            sharpes[best],
            variance,
            tries.len(),
            b.returns.len(),
            skew,
            kurtosis,
        ),
    })
}

impl Deflated {
    /// In words, beside holding's Sharpe ratio on the same days (the deflated ratio tests
    /// against zero, not against holding).
    pub fn sentence(&self, hold_sharpe: Option<f64>) -> String {
        let judged = if self.deflated_sharpe >= 0.95 {
            "a positive Sharpe ratio survives the selection (at the usual 0.95)"
        } else {
            "not established: below the usual 0.95, so the best try's Sharpe ratio may be the luck of the draw"
        };
        format!(
            "deflated Sharpe ratio: the best of {} distinct tries (models x seeds x strategies, identical trades counted once), {} seed {} {}, has a net Sharpe ratio of {:.2} a year, where luck alone would give the best of {} about {:.2}; the probability that its true Sharpe ratio is above zero, allowing for the selection, is {:.2}: {judged}; holding had {} on the same days",
            self.trials,
            self.best_label,
            self.best_seed,
            self.best_rule.name(),
            self.best_sharpe,
            self.trials,
            self.expected_max_sharpe,
            self.deflated_sharpe,
            hold_sharpe.map_or("no Sharpe ratio".into(), |s| format!("{s:.2}"))
        )
    }
}

/// `compare`'s trading section: the rule baselines (the same for every model), each model's
/// strategies over its seeds, and the deflated Sharpe ratio of the best try.
#[derive(Debug, Clone, Serialize)]
pub struct CompareTrading {
    pub cost_bps: f64,
    pub days: usize,
    pub first: chrono::NaiveDate,
    pub last: chrono::NaiveDate,
    pub timing: &'static str,
    pub mean_block: usize,
    pub resamples: usize,
    /// Buy-and-hold, momentum and contrarian on the pooled days.
    pub baselines: Vec<RuleFigures>,
    /// Per model label, its forecast's strategies over seeds.
    pub models: Vec<(String, Vec<RuleOverSeeds>)>,
    pub deflated: Option<Deflated>,
    pub verdicts: Vec<String>,
}

/// Summarises every model's per-seed evaluations (`(label, [(seed, trading)])`); `None` when
/// there are none (`--no-trading`).
pub fn summarise(models: &[(String, &[(u64, Trading)])]) -> Option<CompareTrading> {
    let first = models.iter().find_map(|(_, s)| s.first())?.1.clone();
    let strategies = Rule::STRATEGIES;
    let hold_net = first.rule(Rule::Hold).net.total_return;
    let mut verdicts = Vec::new();
    let per_model: Vec<(String, Vec<RuleOverSeeds>)> = models
        .iter()
        .map(|(label, seeds)| {
            let trades: Vec<&Trading> = seeds.iter().map(|(_, t)| t).collect();
            let rules: Vec<RuleOverSeeds> = strategies.iter().map(|&r| over_seeds(&trades, r)).collect();
            verdicts.extend(rules.iter().map(|r| verdict(label, r, hold_net)));
            (label.clone(), rules)
        })
        .collect();
    let mut tries: Vec<Try> = Vec::new();
    for (label, seeds) in models {
        for (seed, t) in seeds.iter() {
            for &rule in &strategies {
                let returns = &t.rule(rule).net_returns;
                // a strategy that made exactly the trades of another (three copies of
                // buy-and-hold from a forecast that always calls a rise) is one try, not several
                if !tries.iter().any(|t: &Try| t.returns == &returns[..]) {
                    tries.push(Try { label: label.clone(), seed: *seed, rule, returns });
                }
            }
        }
    }
    let deflated = deflate(&tries);
    let hold_sharpe = first.rule(Rule::Hold).net.sharpe;
    verdicts.extend(deflated.as_ref().map(|d| d.sentence(hold_sharpe)));
    Some(CompareTrading {
        cost_bps: first.cost_bps,
        days: first.days,
        first: first.first,
        last: first.last,
        timing: first.timing,
        mean_block: first.mean_block,
        resamples: first.resamples,
        baselines: first.rules.iter().filter(|r| !r.rule.uses_forecast()).cloned().collect(),
        models: per_model,
        deflated,
        verdicts,
    })
}

/// The verdict on one model's strategy over seeds, in plain words.
pub fn verdict(label: &str, r: &RuleOverSeeds, hold_net: f64) -> String {
    let ps: Vec<f64> = r.p_vs_hold.iter().flatten().copied().collect();
    let evidence = if ps.is_empty() {
        "too few days to test it against holding".to_string()
    } else if ps.iter().all(|&p| p < 0.05) {
        format!("evidence that it beats holding in every seed (p {})", r.p_words())
    } else if ps.iter().any(|&p| p < 0.05) {
        format!(
            "evidence that it beats holding in {} of {} seeds only (p {})",
            ps.iter().filter(|&&p| p < 0.05).count(),
            ps.len(),
            r.p_words()
        )
    } else {
        format!("no evidence that it beats holding in any seed (p {})", r.p_words())
    };
    format!(
        "trading the {label} {} would have returned {:.1}% net (mean of {} seeds, sd {:.1} points; {:.1}% before costs) against {:.1}% for holding; {evidence}",
        r.rule.name(),
        100.0 * r.net_total.mean,
        r.break_even.len(),
        100.0 * r.net_total.sd,
        100.0 * r.gross_total.mean,
        100.0 * hold_net
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    /// Zero-mean daily returns of about 1%.
    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SmallRng::seed_from_u64(seed);
        (0..n).map(|_| (0..12).map(|_| rng.random::<f64>()).sum::<f64>() / 100.0 - 0.06).collect()
    }

    /// Many tries with no skill: the best looks good, the deflated ratio does not believe it.
    /// One try with real skill: believed.
    #[test]
    fn the_best_of_many_lucky_tries_is_deflated() {
        let series: Vec<Vec<f64>> = (0..40).map(|k| noise(500, k)).collect();
        let tries: Vec<Try> = series
            .iter()
            .enumerate()
            .map(|(k, r)| Try { label: format!("M{k}"), seed: k as u64, rule: Rule::LongFlat, returns: r })
            .collect();
        let d = deflate(&tries).unwrap();
        assert_eq!(d.trials, 40);
        // the benchmark from the daily (not annualised) Sharpe ratios' variance, annualised after
        let daily: Vec<f64> = series.iter().map(|r| daily_sharpe(r).unwrap()).collect();
        let var = mean_sd(&daily).1.powi(2);
        let want = expected_max_sharpe(var, 40) * YEAR.sqrt();
        assert!((d.expected_max_sharpe - want).abs() < 1e-12, "{} {want}", d.expected_max_sharpe);
        assert!(d.deflated_sharpe < 0.95, "{d:?}");
        assert!(d.expected_max_sharpe > 0.0);
        let skilled: Vec<f64> = noise(500, 3).iter().map(|x| x + 0.004).collect();
        let one = [Try { label: "S".into(), seed: 1, rule: Rule::LongShort, returns: &skilled }];
        let d = deflate(&one).unwrap();
        assert!(d.deflated_sharpe > 0.99 && d.expected_max_sharpe == 0.0, "{d:?}");
        assert!(d.sentence(Some(1.0)).contains("survives the selection"), "{}", d.sentence(Some(1.0)));
        assert!(deflate(&[]).is_none());
    }

    /// Two models whose forecasts made the very same trades (both held the stock every day)
    /// are one try, not six: the deflated Sharpe ratio is not told it beat five others.
    #[test]
    fn identical_trades_count_as_one_try() {
        use crate::eval::trading::{evaluate, Days};
        let dates: Vec<chrono::NaiveDate> = (0..120)
            .map(|i| chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(i))
            .collect();
        let mut prices = vec![100.0];
        for r in noise(119, 2) {
            prices.push(prices.last().unwrap() * (1.0 + r));
        }
        let rows: Vec<usize> = (2..120).collect();
        let up: Vec<f64> = rows.iter().map(|&t| prices[t - 1] * 1.01).collect();
        let t = evaluate(&Days::from_series(&dates, &prices, &rows, &up), 5.0, 1);
        let seeds = [(1u64, t.clone())];
        let c = summarise(&[("A".into(), &seeds[..]), ("B".into(), &seeds[..])]).unwrap();
        assert_eq!(c.deflated.unwrap().trials, 1);
        // a forecast that trades differently is a second try
        let mixed: Vec<f64> =
            rows.iter().map(|&t| prices[t - 1] * if t % 3 == 0 { 0.99 } else { 1.01 }).collect();
        let other = [(2u64, evaluate(&Days::from_series(&dates, &prices, &rows, &mixed), 5.0, 1))];
        let c = summarise(&[("A".into(), &seeds[..]), ("B".into(), &other[..])]).unwrap();
        assert!(c.deflated.unwrap().trials > 1);
    }

    #[test]
    fn break_even_and_p_values_read_over_seeds() {
        let r = RuleOverSeeds {
            rule: Rule::LongFlat,
            gross_total: Spread { mean: 0.1, sd: 0.01 },
            net_total: Spread { mean: 0.09, sd: 0.01 },
            net_annual: Spread { mean: 0.09, sd: 0.01 },
            net_sharpe: Spread { mean: 0.5, sd: 0.1 },
            net_max_drawdown: Spread { mean: 0.1, sd: 0.01 },
            turnover_per_year: Spread { mean: 20.0, sd: 1.0 },
            break_even: vec![BreakEven::Bps { bps: 10.0 }, BreakEven::Never, BreakEven::Bps { bps: 20.0 }],
            p_vs_hold: vec![Some(0.2), Some(0.04), Some(0.5)],
        };
        assert_eq!(r.break_even_words(), "15.0 bp in 2 of 3 seeds");
        let mut r2 = r.clone();
        r2.break_even[1] = BreakEven::Above { bps: 1000.0 };
        assert_eq!(r2.break_even_words(), "15.0 bp in 2 of 3 seeds; ahead at any cost in 1 of 3");
        assert_eq!(r.p_words(), "0.04-0.50");
        let v = verdict("GRU", &r, 0.14);
        assert!(
            v.contains("9.0% net (mean of 3 seeds, sd 1.0 points; 10.0% before costs) against 14.0%"),
            "{v}"
        );
        assert!(v.contains("in 1 of 3 seeds only"), "{v}");
    }
}
