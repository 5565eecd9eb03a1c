#!/usr/bin/env python3
"""Reference values for src/eval/stats.rs, computed independently with NumPy and SciPy.

Run: python3 -m pip install numpy scipy && python3 tests/reference/dm_reference.py
The printed numbers are pasted into the unit tests of src/eval/stats.rs.
"""
import numpy as np
from scipy import special, stats

# Student t two-sided p-values
for t, df in [(0.5, 3), (2.0, 10), (-2.5, 29), (4.0, 100), (1.0, 1)]:
    print(f"t={t} df={df} p={float(2 * stats.t.sf(abs(t), df))!r}")
# ln Gamma
for x in [0.5, 1.0, 3.7, 10.0, 123.4]:
    print(f"lgamma({x}) = {float(special.gammaln(x))!r}")

# Diebold-Mariano with the Harvey-Leybourne-Newbold correction (Harvey et al. 1997)
def dm(e1, e2, h):
    d = np.asarray(e1) ** 2 - np.asarray(e2) ** 2
    n = len(d)
    mean = d.mean()
    def gamma(k):
        return np.sum((d[k:] - mean) * (d[: n - k] - mean)) / n
    var = (gamma(0) + 2 * sum(gamma(k) for k in range(1, h))) / n
    stat = mean / np.sqrt(var) * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return stat, 2 * stats.t.sf(abs(stat), n - 1)

e1 = [0.8, -1.2, 0.3, 1.9, -0.7, 0.2, -1.5, 0.9, 1.1, -0.4, 0.6, -2.0]
e2 = [0.5, -0.9, 0.4, 1.0, -0.6, 0.3, -1.1, 0.8, 0.7, -0.5, 0.2, -1.2]
for h in [1, 2]:
    s, p = dm(e1, e2, h)
    print(f"dm h={h}: stat={float(s)!r} p={float(p)!r}")
