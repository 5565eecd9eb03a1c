"""A notebook's worth of lstm-stock from Python: train a GRU on AAPL, compare LSTM and GRU,
and plot the test period from the returned frames with matplotlib.

Run: .venv/bin/python python/examples/notebook.py [OUT_FOLDER]   (QUICK=1: tiny settings)
"""
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import lstm_stock  # noqa: E402

root = Path(__file__).resolve().parents[2]
out = Path(sys.argv[1] if len(sys.argv) > 1 else "output/notebook")
quick = os.environ.get("QUICK") == "1"
small = {"epochs": 3, "window": 20, "hidden": 16, "layers": 1, "threads": 1} if quick else {}

# 1. train and forecast the test period; the table comes back as a polars DataFrame
run = lstm_stock.stock(root / "data/AAPL.csv", model="gru", out=out / "gru", **small)
p = run.predictions  # polars; .to_pandas() for pandas (with pyarrow installed)
m, n = run.metrics["model"], run.metrics["naive"]
print(f"GRU RMSE {m['rmse']:.4f} against naive's {n['rmse']:.4f}")

# 2. LSTM against GRU over seeds and walk-forward folds: the verdicts in words
cmp = lstm_stock.compare(root / "data/AAPL.csv", out=out / "compare", seeds=2, folds=2, **small)
for v in cmp.verdicts:
    print("-", v)

# 3. the test period, forecast beside tomorrow = today
fig, ax = plt.subplots(figsize=(10, 4))
days = p["date"].to_list()
ax.plot(days, p["actual"].to_list(), label="actual", color="black")
ax.plot(days, p["predicted"].to_list(), label="GRU", color="tab:red")
ax.plot(days, p["naive"].to_list(), label="naive (tomorrow = today)", color="tab:blue", linestyle="--")
ax.set_xticks(days[:: max(1, len(days) // 6)])
ax.legend()
ax.set_title(f"AAPL test period: GRU RMSE {m['rmse']:.3f}, naive {n['rmse']:.3f}")
fig.tight_layout()
fig.savefig(out / "notebook.png")
print("wrote", out / "notebook.png")
