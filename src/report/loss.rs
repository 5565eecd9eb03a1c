//! `loss.png`: training and validation loss per epoch on a log axis whose labelled ticks reach
//! past the data, with the epoch whose weights were kept marked on each validation curve.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;

use super::legend::emptiest_corner;
use super::plots::{draw_legend, draw_title, plot_err, render, FONT};
use super::ticks::{counting_ticks, log_label, log_ticks, whole_label};

/// One network's curves.
pub struct LossCurve<'a> {
    /// Prefixes the legend entries (empty for a single network).
    pub label: String,
    pub train: &'a [f64],
    pub val: &'a [f64],
    /// 1-based.
    pub best_epoch: usize,
    pub train_color: RGBColor,
    pub val_color: RGBColor,
}

/// Draws every curve: training solid, validation dashed, the kept epoch a ringed dot.
pub fn loss_png(path: &Path, title: &str, curves: &[LossCurve]) -> Result<()> {
    let positive = || {
        curves.iter().flat_map(|c| c.train.iter().chain(c.val)).copied().filter(|v| v.is_finite() && *v > 0.0)
    };
    let lo = positive().fold(f64::INFINITY, f64::min);
    let hi = positive().fold(0.0, f64::max);
    let ticks = if lo.is_finite() { log_ticks(lo, hi) } else { log_ticks(1e-3, 1.0) };
    let (y0, y1) = (ticks[0], ticks[ticks.len() - 1]);
    let n = curves.iter().map(|c| c.train.len().max(c.val.len())).max().unwrap_or(1).max(2) as f64;
    let epochs = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .filter(|(_, l)| l.is_finite() && **l > 0.0)
            .map(|(i, &l)| ((i + 1) as f64, l))
            .collect()
    };
    render(path, (1100, 620), |root| {
        let top = draw_title(root, title, 22)?;
        let mut ch = ChartBuilder::on(root)
            .margin(12)
            .margin_top(top + 6)
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(1.0..n, (y0..y1).log_scale().with_key_points(ticks.clone()))
            .map_err(plot_err)?;
        ch.configure_mesh()
            .x_desc("epoch")
            .y_desc("MSE on the scaled target (log scale)")
            .label_style((FONT, 15))
            .x_labels(counting_ticks(1.0, n))
            .x_label_formatter(&|x| whole_label(*x))
            .y_label_formatter(&|y| log_label(*y))
            .draw()
            .map_err(plot_err)?;
        let name = |c: &LossCurve, what: &str| {
            if c.label.is_empty() {
                what.to_string()
            } else {
                format!("{} {what}", c.label)
            }
        };
        for c in curves {
            let (tc, vc) = (c.train_color, c.val_color);
            ch.draw_series(LineSeries::new(epochs(c.train), tc.stroke_width(2)))
                .map_err(plot_err)?
                .label(name(c, "training"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], tc.stroke_width(3)));
            ch.draw_series(DashedLineSeries::new(epochs(c.val), 7, 4, vc.stroke_width(2)))
                .map_err(plot_err)?
                .label(name(c, "validation (dashed)"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], vc.stroke_width(3)));
            if let Some(&v) = c.val.get(c.best_epoch.wrapping_sub(1)).filter(|v| v.is_finite() && **v > 0.0) {
                let at = (c.best_epoch as f64, v);
                ch.draw_series([Circle::new(at, 7, BLACK.stroke_width(2)), Circle::new(at, 4, vc.filled())])
                    .map_err(plot_err)?
                    .label(name(c, &format!("kept weights (epoch {})", c.best_epoch)))
                    .legend(move |(x, y)| Circle::new((x + 10, y), 5, BLACK.stroke_width(2)));
            }
        }
        let all = curves.iter().flat_map(|c| epochs(c.train).into_iter().chain(epochs(c.val)));
        let log_points = all.map(|(e, v)| (e, v.log10()));
        draw_legend(&mut ch, emptiest_corner(log_points, (1.0, n), (y0.log10(), y1.log10())))
    })
}
