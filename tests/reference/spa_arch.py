#!/usr/bin/env python3
"""Reference p-values of Hansen's test for superior predictive ability (SPA) and of the model
confidence set (Hansen, Lunde and Nason; the R method) from the `arch` package, for the fixed
loss tables below; `src/eval/spa.rs` and `src/eval/mcs.rs` check theirs against them within the
bootstraps' sampling error.

Run: python3 -m pip install arch==7.2.0 "pandas<3" && python3 tests/reference/spa_arch.py > tests/reference/spa_arch.json

The tables are drawn here with NumPy's PCG64 at fixed seeds and written out whole, so the Rust
test needs no NumPy: 250 days, a benchmark loss and 12 models' losses per table, each model's
loss the benchmark's plus its own noise and a shift (negative: better than the benchmark).
"""
import json

import arch
import numpy as np
from arch.bootstrap import MCS, SPA

REPS = 20000
BLOCK = 10


def table(seed, shifts):
    rng = np.random.default_rng(seed)
    n = 250
    bench = rng.chisquare(1, n)
    common = rng.standard_normal(n)
    models = np.column_stack([bench + s + 0.5 * (0.6 * common + 0.8 * rng.standard_normal(n)) for s in shifts])
    # as written to the JSON, so that both sides test the same numbers
    return np.round(bench, 6), np.round(models, 6)


CASES = [
    ("all as good as the benchmark", 1, [0.0] * 12),
    ("all worse", 2, [0.3] * 12),
    ("one clearly better", 3, [0.0] * 11 + [-0.25]),
    ("one a little better among worse", 4, [0.2] * 11 + [-0.08]),
    ("some a little worse, inside the consistent bound", 5, [0.02] * 6 + [0.3] * 5 + [-0.03]),
]

out = {"arch": arch.__version__, "numpy": np.__version__, "reps": REPS, "block": BLOCK, "cases": []}
for name, seed, shifts in CASES:
    bench, models = table(seed, shifts)
    spa = SPA(bench, models, block_size=BLOCK, reps=REPS, bootstrap="stationary", seed=seed)
    spa.compute()
    p = spa.pvalues
    # what the consistent p-value rests on: each model's variance and whether it is recentred
    variances = [float(v) for v in spa._loss_diff_var]
    valid = [bool(v) for v in spa._valid_columns]
    # the model confidence set over the benchmark and every model (column 0: the benchmark)
    mcs = MCS(np.column_stack([bench, models]), size=0.1, block_size=BLOCK, reps=REPS, method="R", seed=seed)
    mcs.compute()
    mcs_p = mcs.pvalues["Pvalue"].sort_index()
    out["cases"].append({
        "mcs_pvalues": [float(v) for v in mcs_p.values],
        "variances": variances,
        "recentred": valid,
        "name": name,
        "benchmark": bench.tolist(),
        "models": models.T.tolist(),
        "lower": float(p["lower"]),
        "consistent": float(p["consistent"]),
        "upper": float(p["upper"]),
    })
print(json.dumps(out))
