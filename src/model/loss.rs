//! What a network's output means, and so how its training loss is scored: a value regressed
//! with squared error, or a logit of a yes/no outcome (a panel's "above the day's median")
//! scored with binary cross-entropy, as a two-class softmax would be.

use serde::{Deserialize, Serialize};
use tch::{Kind, Reduction, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// Mean squared error: the output is the forecast value.
    #[default]
    Squared,
    /// Binary cross-entropy on a logit: the output is `log(p / (1 - p))` of a 0/1 target.
    Logistic,
}

impl Loss {
    /// The loss of `out` against `y`, recorded for autograd (`Mean` or `Sum` over elements).
    pub fn of(self, out: &Tensor, y: &Tensor, reduction: Reduction) -> Tensor {
        match self {
            Loss::Squared => out.mse_loss(y, reduction),
            Loss::Logistic => out.binary_cross_entropy_with_logits::<Tensor>(y, None, None, reduction),
        }
    }

    /// The mean loss of `out` against `y` and its gradient with respect to `out`, for the
    /// hand-written training steps (no graph recorded).
    pub fn value_and_gradient(self, out: &Tensor, y: &Tensor) -> (Tensor, Tensor) {
        let n = y.numel() as f64;
        match self {
            Loss::Squared => {
                let diff = out - y;
                (diff.square().mean(Kind::Float), diff * (2.0 / n))
            }
            Loss::Logistic => {
                let loss = self.of(out, y, Reduction::Mean);
                (loss, (out.sigmoid() - y) / n)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written gradient of each loss matches autograd's, and the logistic loss matches
    /// a hand-worked value: logits (0, ln 3) against targets (1, 0) cost
    /// `(ln 2 + ln 4) / 2 = 1.5 ln 2`.
    #[test]
    fn hand_gradients_match_autograd_and_the_logistic_loss_a_hand_worked_value() {
        let y = Tensor::from_slice(&[1.0f32, 0.0, 1.0, 0.0]).view([2, 2]);
        for loss in [Loss::Squared, Loss::Logistic] {
            let out = Tensor::from_slice(&[0.3f32, -1.2, 2.0, 0.1]).view([2, 2]).set_requires_grad(true);
            let auto = loss.of(&out, &y, Reduction::Mean);
            auto.backward();
            let (value, grad) = tch::no_grad(|| loss.value_and_gradient(&out, &y));
            assert!((value.double_value(&[]) - auto.double_value(&[])).abs() < 1e-6, "{loss:?}");
            let diff = (grad - out.grad()).abs().max().double_value(&[]);
            assert!(diff < 1e-6, "{loss:?}: {diff}");
        }
        let out = Tensor::from_slice(&[0.0f32, 3f32.ln()]);
        let y = Tensor::from_slice(&[1.0f32, 0.0]);
        let v = Loss::Logistic.of(&out, &y, Reduction::Mean).double_value(&[]);
        assert!((v - 1.5 * 2f64.ln()).abs() < 1e-6, "{v}");
    }
}
