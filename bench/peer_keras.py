#!/usr/bin/env python3
"""This project's Keras peer for the standard workload (WORKLOAD.md): Keras 3 on TensorFlow,
the same windows as `lstm-stock bench`, one JSON line with the same keys."""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workload as wl  # noqa: E402


def main():
    a = wl.args(__doc__)
    import numpy as np
    import tensorflow as tf
    import keras

    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(a.seed)
    _, prices = wl.closes(a.csv)
    d = wl.windows(prices, a.window)
    x = np.asarray(d["x_train"], dtype="float32")[..., None]
    y = np.asarray(d["y_train"], dtype="float32")[:, None]
    cell = keras.layers.LSTM if a.model == "lstm" else keras.layers.GRU
    layers = [keras.Input((a.window, 1))]
    layers += [cell(a.hidden, return_sequences=i + 1 < a.layers) for i in range(a.layers)]
    net = keras.Sequential(layers + [keras.layers.Dense(1)])
    net.compile(optimizer=keras.optimizers.Adam(a.lr, epsilon=1e-8), loss="mse")

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_s.append(time.perf_counter() - self.t0)

    epoch_s = []
    net.fit(x, y, batch_size=a.batch, epochs=a.epochs, shuffle=True, verbose=0, callbacks=[Timer()])
    pred = net.predict(np.asarray(d["x_test"], dtype="float32")[..., None], batch_size=4096, verbose=0)[:, 0].tolist()
    print(json.dumps(wl.report("keras", f"keras {keras.__version__} (tensorflow {tf.__version__})", a, d, epoch_s, pred, net.count_params())), flush=True)


if __name__ == "__main__":
    main()
