use super::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, d).unwrap()
}

/// Closes 100, 100 | 110, 99, 108.9: three test days returning +10%, -10%, +10%. Forecasts
/// 105 (up 5%), 110.1 (up 0.09%, less than a 10 bp round trip), 95 (down 4%).
fn three_days() -> Days {
    let dates: Vec<NaiveDate> = (1..=5).map(day).collect();
    Days::from_series(&dates, &[100.0, 100.0, 110.0, 99.0, 108.9], &[2, 3, 4], &[105.0, 110.1, 95.0])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn all_close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(*x, *y))
}

#[test]
fn positions_of_each_rule_by_hand() {
    let d = three_days();
    assert!(all_close(&d.returns(), &[0.1, -0.1, 0.1]));
    let rt = 0.002;
    assert_eq!(d.positions(Rule::LongFlat, rt), [1.0, 1.0, 0.0]);
    assert_eq!(d.positions(Rule::LongShort, rt), [1.0, 1.0, -1.0]);
    assert_eq!(d.positions(Rule::Threshold, rt), [1.0, 0.0, -1.0]);
    assert_eq!(d.positions(Rule::Hold, rt), [1.0, 1.0, 1.0]);
    // yesterday's move: 100 -> 100 (none), 100 -> 110 (up), 110 -> 99 (down)
    assert_eq!(d.positions(Rule::Momentum, rt), [0.0, 1.0, -1.0]);
    assert_eq!(d.positions(Rule::Contrarian, rt), [-0.0, -1.0, 1.0]);
}

#[test]
fn returns_costs_and_drawdown_by_hand() {
    let d = three_days();
    let r = d.returns();
    let cost = 0.001; // 10 bp
                      // long/flat: in on day 1 (pays 10 bp), out after day 2 (pays 10 bp on day 3)
    let lf = strategy_returns(&[1.0, 1.0, 0.0], &r, cost);
    assert!(all_close(&lf, &[0.099, -0.1, -0.001]), "{lf:?}");
    // long/short: the flip from long to short is two units of turnover
    let ls = strategy_returns(&[1.0, 1.0, -1.0], &r, cost);
    assert!(all_close(&ls, &[0.099, -0.1, -0.102]), "{ls:?}");
    assert!(close(turnover(&[1.0, 1.0, -1.0]), 3.0) && close(turnover(&[1.0, 0.0, -1.0]), 3.0));

    let p = performance(&lf, &[1.0, 1.0, 0.0], &d);
    assert!(close(p.total_return, 1.099 * 0.9 * 0.999 - 1.0), "{}", p.total_return);
    // the peak is day 1's close (1.099), the trough day 3's (0.9881109)
    assert!(close(p.max_drawdown, 1.0 - 0.9881109 / 1.099), "{}", p.max_drawdown);
    assert_eq!((p.drawdown_peak, p.drawdown_trough), (day(3), day(5)));
    assert!(close(p.hit_rate.unwrap(), 0.5) && close(p.exposure, 2.0 / 3.0));
    assert!(close(p.turnover_per_year, 2.0 / 3.0 * 252.0));
    assert!(close(p.annual_return, (1.099f64 * 0.9 * 0.999).powf(84.0) - 1.0));
    assert!(close(p.calmar.unwrap(), p.annual_return / p.max_drawdown));

    // holding, before costs: +10%, -10%, +10%; mean 1/30, sample sd sqrt(0.04/3)
    let hold = performance(&r, &[1.0; 3], &d);
    let (mean, sd) = (1.0 / 30.0, (0.04f64 / 3.0).sqrt());
    assert!(close(hold.sharpe.unwrap(), mean / sd * 252f64.sqrt()));
    assert!(close(hold.sortino.unwrap(), mean / (0.01f64 / 3.0).sqrt() * 252f64.sqrt()));
    assert!(close(hold.annual_volatility, sd * 252f64.sqrt()));
    assert!(close(hold.total_return, 1.1 * 0.9 * 1.1 - 1.0));
    assert_eq!((hold.drawdown_peak, hold.drawdown_trough), (day(3), day(4)));
}

/// Returns +10% then -1%: long/flat holds the first day only. It nets (1.1 - c)(1 - c) against
/// holding's (1.1 - c)(0.99), equal at c = 1% = 100 bp.
#[test]
fn break_even_cost_by_hand() {
    let r = [0.1, -0.01];
    match break_even(&[1.0, 0.0], &r) {
        BreakEven::Bps { bps } => assert!((bps - 100.0).abs() < 0.02, "{bps}"),
        other => panic!("{other:?}"),
    }
    // behind holding before costs
    assert_eq!(break_even(&[0.0, 1.0], &r), BreakEven::Never);
    // ahead at any cost searched: it dodges a 60% fall
    assert!(matches!(break_even(&[1.0, 0.0], &[0.1, -0.6]), BreakEven::Above { .. }));
    // ahead before costs while trading no more than holding (short through a fall, or out of
    // it): no cost closes the gap, so it is never "never ahead"
    let falling = [-0.02; 50];
    assert!(matches!(break_even(&[-1.0; 50], &falling), BreakEven::Above { .. }));
    assert!(matches!(break_even(&[0.0; 50], &falling), BreakEven::Above { .. }));
}

/// Pseudo-random daily returns, about 1% a day.
fn noise(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..n).map(|_| (0..12).map(|_| rng.random::<f64>()).sum::<f64>() / 100.0 - 0.06 + 0.0003).collect()
}

#[test]
fn bootstrap_knows_a_copy_from_foresight() {
    let r = noise(400, 3);
    // a strategy identical to holding: no evidence at all
    let p_same = sharpe_gap_p(&r, &r, 500, 1).unwrap();
    assert!(p_same > 0.99, "{p_same}");
    // one that knows tomorrow's sign: overwhelming evidence
    let foresight: Vec<f64> = r.iter().map(|x| x.abs()).collect();
    let p_oracle = sharpe_gap_p(&foresight, &r, 500, 1).unwrap();
    assert!(p_oracle < 0.01, "{p_oracle}");
    // a coin flip: not significant
    let coin: Vec<f64> = r.iter().zip(noise(400, 9)).map(|(x, c)| if c > 0.0003 { *x } else { -x }).collect();
    let p_coin = sharpe_gap_p(&coin, &r, 500, 1).unwrap();
    assert!(p_coin > 0.05, "{p_coin}");
    assert_eq!(mean_block(400), 7);
    // the resamples' blocks: runs of consecutive days averaging the mean block length
    let mut rng = SmallRng::seed_from_u64(4);
    let (mut runs, mut days) = (0usize, 0usize);
    for _ in 0..200 {
        let idx = stationary_indices(400, 7, &mut rng);
        runs += 1 + idx.windows(2).filter(|w| w[1] != (w[0] + 1) % 400).count();
        days += idx.len();
    }
    let mean_run = days as f64 / runs as f64;
    assert!((6.3..7.7).contains(&mean_run), "{mean_run}");
    let iid = stationary_indices(400, 1, &mut rng);
    assert!(iid.windows(2).filter(|w| w[1] == (w[0] + 1) % 400).count() < 10);
    assert_eq!(sharpe_gap_p(&r[..5], &r[..5], 10, 1), None);
}

/// Bailey and López de Prado (2014), section "A numerical example": 100 trials whose annualised
/// Sharpe ratios vary with variance 1/2, the best at 2.5 annualised over 1,250 daily returns
/// with skewness -3 and kurtosis 10. The paper finds an expected maximum of 0.1132 (per day)
/// and a deflated Sharpe ratio of 0.9004.
#[test]
fn deflated_sharpe_matches_the_papers_example() {
    let (sr, var) = (2.5 / 250f64.sqrt(), 0.5 / 250.0);
    assert!((expected_max_sharpe(var, 100) - 0.1132).abs() < 1e-4, "{}", expected_max_sharpe(var, 100));
    let dsr = deflated_sharpe(sr, var, 100, 1250, -3.0, 10.0);
    assert!((dsr - 0.9004).abs() < 5e-4, "{dsr}");
    // more tries, less confidence; one try: the probabilistic Sharpe ratio against zero
    assert!(deflated_sharpe(sr, var, 1000, 1250, -3.0, 10.0) < dsr);
    assert!(deflated_sharpe(sr, var, 1, 1250, -3.0, 10.0) > 0.99);
    assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-8);
    assert!((normal_cdf(1.0) - 0.841_344_746).abs() < 1e-8);
    let (s, k) = skew_kurtosis(&[1.0, 2.0, 3.0, 4.0, 10.0]);
    assert!((s - 1.1384199576606167).abs() < 1e-9 && (k - 2.788).abs() < 1e-9, "{s} {k}");
}

/// No position may use a price from its own day or later. Change one close; every position up
/// to and including that day (decided the evening before) must stay the same. A rule that
/// peeks at the day's own close is caught by the same comparison.
#[test]
fn positions_never_see_their_own_day() {
    let dates: Vec<NaiveDate> = (0..200).map(|i| day(1) + chrono::Days::new(i)).collect();
    let walk = |prices: &mut Vec<f64>| {
        let mut p = 100.0;
        for r in noise(200, 5) {
            p *= 1.0 + r;
            prices.push(p);
        }
    };
    let mut prices = Vec::new();
    walk(&mut prices);
    // a forecast made at close t-1: the last close moved by a function of the closes before it
    let forecast = |p: &[f64], t: usize| p[t - 1] * (1.0 + 0.3 * (p[t - 1] / p[t - 2] - 1.0));
    let rows: Vec<usize> = (2..200).collect();
    let build = |p: &[f64]| {
        let f: Vec<f64> = rows.iter().map(|&t| forecast(p, t)).collect();
        Days::from_series(&dates, p, &rows, &f)
    };
    let changed = 120;
    let moved = |factor: f64| {
        let mut m = prices.clone();
        m[changed] *= factor;
        build(&m)
    };
    let (a, b, c) = (build(&prices), moved(1.5), moved(0.5));
    let upto = rows.iter().position(|&t| t == changed).unwrap();
    for rule in Rule::ALL {
        let (pa, pb, pc) = (a.positions(rule, 0.001), b.positions(rule, 0.001), c.positions(rule, 0.001));
        assert_eq!(pa[..=upto], pb[..=upto], "{rule:?} saw its own day's close");
        assert_eq!(pa[..=upto], pc[..=upto], "{rule:?} saw its own day's close");
        if rule != Rule::Hold {
            assert!(pa != pb || pa != pc, "{rule:?}: the change must matter to some later day");
        }
    }
    // the planted fault: positions from the day's own close
    let peek = |d: &Days| d.actual.iter().zip(&d.prev).map(|(x, p)| sign(x - p)).collect::<Vec<f64>>();
    let caught = peek(&a)[..=upto] != peek(&b)[..=upto] || peek(&a)[..=upto] != peek(&c)[..=upto];
    assert!(caught, "the check must catch a peeking rule");
}

#[test]
fn evaluation_names_every_rule_and_words_the_verdict() {
    let dates: Vec<NaiveDate> = (0..300).map(|i| day(1) + chrono::Days::new(i)).collect();
    let mut prices = vec![100.0];
    for r in noise(299, 7) {
        prices.push(prices.last().unwrap() * (1.0 + r));
    }
    let rows: Vec<usize> = (2..300).collect();
    // the oracle: the forecast is tomorrow's close itself
    let oracle: Vec<f64> = rows.iter().map(|&t| prices[t]).collect();
    let t = evaluate(&Days::from_series(&dates, &prices, &rows, &oracle), 5.0, 1);
    assert_eq!(t.rules.len(), 6);
    assert!(t.rule(Rule::Hold).break_even.is_none() && t.rule(Rule::Hold).p_vs_hold.is_none());
    let ls = t.rule(Rule::LongShort);
    assert!(ls.net.total_return > t.rule(Rule::Hold).net.total_return);
    assert!(ls.gross.total_return > ls.net.total_return);
    assert!(ls.p_vs_hold.unwrap() < 0.01);
    let v = verdict("LSTM", &t, Rule::LongShort);
    assert!(
        v.starts_with("trading the LSTM long/short would have returned")
            && v.contains("evidence that it beats holding, p = 0.0")
            && !v.contains("no evidence"),
        "{v}"
    );
    assert_eq!(t.dates.len(), t.days + 1);
    assert_eq!(verdicts("LSTM", &t).len(), 3);
    // a forecast that always calls a rise holds the asset every day, and says so
    let up: Vec<f64> = rows.iter().map(|&t| prices[t - 1] * 1.01).collect();
    let t = evaluate(&Days::from_series(&dates, &prices, &rows, &up), 5.0, 1);
    assert!(verdict("GRU", &t, Rule::LongFlat).contains("so this is buy-and-hold"));
    let said = verdicts("GRU", &t);
    assert!(said.len() == 1 && said[0].contains("it called a rise every day"), "{said:?}");
    assert!(verdict("GRU", &t, Rule::LongShort).ends_with("no evidence that it beats holding, p = 1.00"));
    // and one that always calls a fall: one line that says the strategies stayed out or shorted
    let down: Vec<f64> = rows.iter().map(|&t| prices[t - 1] * 0.99).collect();
    let t = evaluate(&Days::from_series(&dates, &prices, &rows, &down), 5.0, 1);
    let said = verdicts("GRU", &t);
    assert!(said.len() == 1 && said[0].contains("it called a fall every day"), "{said:?}");
    assert!(
        said[0].contains("long/flat stayed out") && said[0].contains("short on 298 of 298 days"),
        "{said:?}"
    );
    // a forecast that falls on all days but one is judged rule by rule
    let mut mixed = down.clone();
    mixed[10] = prices[10] * 1.01;
    let t = evaluate(&Days::from_series(&dates, &prices, &rows, &mixed), 5.0, 1);
    assert_eq!(verdicts("GRU", &t).len(), 3);
}
