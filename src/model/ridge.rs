//! A linear model on the networks' own windows: ridge regression of the scaled target on every
//! value of the input window, the intercept left unpenalised. It is the contender a network must
//! beat to claim it learned more than a weighted average of recent days, and it costs one small
//! linear solve.

/// Penalties tried, each scaled by the number of training windows; the one with the smallest
/// validation MSE is kept.
pub const LAMBDAS: [f64; 7] = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0];

/// A fitted ridge regression: `y = intercept + x . beta`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ridge {
    pub beta: Vec<f64>,
    pub intercept: f64,
    /// The penalty per window it was fitted with.
    pub lambda: f64,
}

impl Ridge {
    /// Fits rows `x` (`p` values each, row-major) to `y` minimising
    /// `sum (y - intercept - x . beta)^2 + lambda * n * |beta|^2`, on centred data (so the
    /// intercept is not penalised), by a Cholesky solve of the normal equations.
    pub fn fit(x: &[f32], y: &[f32], p: usize, lambda: f64) -> Ridge {
        let n = y.len();
        assert_eq!(x.len(), n * p, "windows of {p} values");
        let nf = n.max(1) as f64;
        let mx: Vec<f64> = (0..p).map(|j| (0..n).map(|i| x[i * p + j] as f64).sum::<f64>() / nf).collect();
        let my = y.iter().map(|&v| v as f64).sum::<f64>() / nf;
        let mut a = vec![0.0; p * p];
        let mut b = vec![0.0; p];
        let mut row = vec![0.0; p];
        for i in 0..n {
            for j in 0..p {
                row[j] = x[i * p + j] as f64 - mx[j];
            }
            let yi = y[i] as f64 - my;
            for j in 0..p {
                b[j] += row[j] * yi;
                for k in 0..=j {
                    a[j * p + k] += row[j] * row[k];
                }
            }
        }
        for j in 0..p {
            a[j * p + j] += lambda * nf;
            for k in 0..j {
                a[k * p + j] = a[j * p + k];
            }
        }
        let beta = cholesky_solve(&mut a, &b, p);
        let intercept = my - beta.iter().zip(&mx).map(|(b, m)| b * m).sum::<f64>();
        Ridge { beta, intercept, lambda }
    }

    /// The fit over [`LAMBDAS`] with the smallest mean squared error on the validation windows.
    pub fn choose(train: (&[f32], &[f32]), val: (&[f32], &[f32]), p: usize) -> Ridge {
        LAMBDAS
            .iter()
            .map(|&l| Ridge::fit(train.0, train.1, p, l))
            .map(|r| {
                let pred = r.predict(val.0);
                let mse = pred.iter().zip(val.1).map(|(a, b)| (*a as f64 - *b as f64).powi(2)).sum::<f64>()
                    / val.1.len().max(1) as f64;
                (r, mse)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(r, _)| r)
            .expect("at least one penalty")
    }

    /// Forecasts for rows `x` (`beta.len()` values each).
    pub fn predict(&self, x: &[f32]) -> Vec<f32> {
        let p = self.beta.len().max(1);
        x.chunks(p)
            .map(|w| {
                (self.intercept + w.iter().zip(&self.beta).map(|(v, b)| *v as f64 * b).sum::<f64>()) as f32
            })
            .collect()
    }
}

/// Solves `a x = b` for a symmetric positive definite `a` (`p x p`, row-major, overwritten by
/// its Cholesky factor).
fn cholesky_solve(a: &mut [f64], b: &[f64], p: usize) -> Vec<f64> {
    for j in 0..p {
        let mut d = a[j * p + j];
        for k in 0..j {
            d -= a[j * p + k] * a[j * p + k];
        }
        // ridge's penalty keeps the matrix positive definite; a zero-penalty fit of collinear
        // columns falls back to a tiny jitter rather than NaN
        let d = d.max(1e-12).sqrt();
        a[j * p + j] = d;
        for i in j + 1..p {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= a[i * p + k] * a[j * p + k];
            }
            a[i * p + j] = s / d;
        }
    }
    let mut z = vec![0.0; p];
    for i in 0..p {
        let s = b[i] - (0..i).map(|k| a[i * p + k] * z[k]).sum::<f64>();
        z[i] = s / a[i * p + i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        let s = z[i] - (i + 1..p).map(|k| a[k * p + i] * x[k]).sum::<f64>();
        x[i] = s / a[i * p + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against NumPy 2.x: X the 6 x 2 rows below, y = 2 x1 - x2 + 0.5 plus small noise; centred,
    /// `np.linalg.solve(Xc.T @ Xc + lam * n * I, Xc.T @ yc)` with lam = 0.1 gives
    /// beta = (1.9027713, -0.9036655), intercept 0.5740194; lam = 0 recovers the least-squares
    /// fit (1.9991109, -1.0026256), intercept 0.5172176.
    #[test]
    fn ridge_matches_numpy() {
        let x: Vec<f32> = vec![1.0, 2.0, 2.0, 1.0, 3.0, 4.0, 4.0, 3.0, 5.0, 5.0, 6.0, 2.0];
        let y: Vec<f32> = vec![0.52, 3.49, 2.51, 5.53, 5.48, 10.51];
        for (lambda, beta, intercept) in
            [(0.1, [1.9027713, -0.9036655], 0.5740194), (0.0, [1.9991109, -1.0026256], 0.5172176)]
        {
            let r = Ridge::fit(&x, &y, 2, lambda);
            for (a, b) in r.beta.iter().zip(beta) {
                assert!((a - b).abs() < 1e-5, "lambda {lambda}: {:?}", r);
            }
            assert!((r.intercept - intercept).abs() < 1e-5, "lambda {lambda}: {r:?}");
        }
        // validation picks the small penalty when the relation is exact, and forecasts follow it
        let r = Ridge::choose((&x, &y), (&x, &y), 2);
        assert_eq!(r.lambda, LAMBDAS[0]);
        let f = r.predict(&[10.0, 0.0]);
        assert!((f[0] - 20.4).abs() < 0.2, "{f:?}");
    }
}
