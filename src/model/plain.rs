//! The LSTM cell in plain Rust, no tensor library: the tutorial's numpy cell, for reading.
//!
//! Weights use PyTorch's layout (`w_ih` is `[4H, in]` row-major, gate blocks i, f, g, o), so a
//! cell can be filled from a trained model and checked against the tensor version.

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// One LSTM cell's weights.
#[derive(Debug, Clone)]
pub struct PlainLstmCell {
    pub input: usize,
    pub hidden: usize,
    /// `[4H, input]`, row-major.
    pub w_ih: Vec<f64>,
    /// `[4H, hidden]`, row-major.
    pub w_hh: Vec<f64>,
    pub b_ih: Vec<f64>,
    pub b_hh: Vec<f64>,
}

impl PlainLstmCell {
    /// Pre-activation of gate block `gate` (0 = i, 1 = f, 2 = g, 3 = o) for unit `u`:
    /// `x . w_ih[row] + h . w_hh[row] + b_ih[row] + b_hh[row]`.
    fn pre(&self, gate: usize, u: usize, x: &[f64], h: &[f64]) -> f64 {
        let row = gate * self.hidden + u;
        let wx = &self.w_ih[row * self.input..(row + 1) * self.input];
        let wh = &self.w_hh[row * self.hidden..(row + 1) * self.hidden];
        let dot = |w: &[f64], v: &[f64]| w.iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
        dot(wx, x) + dot(wh, h) + self.b_ih[row] + self.b_hh[row]
    }

    /// One step for one sample: `x` `[input]`, previous `h`, `c` `[hidden]` -> new `(h, c)`.
    pub fn step(&self, x: &[f64], h: &[f64], c: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let mut h_new = vec![0.0; self.hidden];
        let mut c_new = vec![0.0; self.hidden];
        for u in 0..self.hidden {
            // step 1: forget gate
            let f = sigmoid(self.pre(1, u, x, h));
            // step 2: input gate and tanh candidate
            let i = sigmoid(self.pre(0, u, x, h));
            let candidate = self.pre(2, u, x, h).tanh();
            // step 3: cell update
            c_new[u] = f * c[u] + i * candidate;
            // step 4: output gate
            let o = sigmoid(self.pre(3, u, x, h));
            h_new[u] = o * c_new[u].tanh();
        }
        (h_new, c_new)
    }

    /// Runs a whole sequence `[seq][input]` from zero states; returns every step's `h`.
    pub fn sequence(&self, xs: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let (mut h, mut c) = (vec![0.0; self.hidden], vec![0.0; self.hidden]);
        xs.iter()
            .map(|x| {
                (h, c) = self.step(x, &h, &c);
                h.clone()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_unit_by_hand() {
        // input 1, hidden 1, every weight 0.5, biases 0: pre-activation = 0.5 x + 0.5 h
        let cell = PlainLstmCell {
            input: 1,
            hidden: 1,
            w_ih: vec![0.5; 4],
            w_hh: vec![0.5; 4],
            b_ih: vec![0.0; 4],
            b_hh: vec![0.0; 4],
        };
        let (h, c) = cell.step(&[1.0], &[0.0], &[0.0]);
        // f = i = o = sigmoid(0.5), candidate = tanh(0.5); c = i * candidate; h = o * tanh(c)
        let s = 1.0 / (1.0 + (-0.5f64).exp());
        let c_exp = s * 0.5f64.tanh();
        assert!((c[0] - c_exp).abs() < 1e-15);
        assert!((h[0] - s * c_exp.tanh()).abs() < 1e-15);
    }
}
