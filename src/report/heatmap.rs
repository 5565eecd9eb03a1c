//! `gates.png`: the gate activations and cell state of a recurrent layer over one input
//! window, as heatmaps (units down, days across) in the tutorial's order: the tutorial's
//! explanation on real data.
//!
//! A trained gate sits near its own level for most of a window (one unit always near 0.9,
//! another near 0.1), so on a fixed 0..1 scale every panel is one flat colour. Each panel
//! therefore shows how far each unit moves from its own median over the window, on a diverging
//! scale centred on zero, and says the range of those medians and the scale in its caption.
//! The first days of a window, where the state fills up from zero, move far more than the rest:
//! they are greyed as the warm-up (see [`crate::eval::gate_activity`]), and the medians and the
//! scale (the 95th percentile of the moves) come from the days after it.

use std::path::Path;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::plots::{draw_title, plot_err, render, title_height, FONT};
use crate::eval::gate_activity::{medians, quantile, reach_text, GateActivity};

/// One heatmap: `values[unit][step]`, drawn over the colour range `range`.
#[derive(Debug, Clone)]
pub struct Panel {
    pub title: String,
    pub values: Vec<Vec<f32>>,
    pub range: (f32, f32),
}

/// Stacks the panels vertically under a common title, each with its colour bar on the right;
/// `x_label` names the steps; the first `warm_up` steps are hatched grey and labelled.
pub fn heatmaps_png(path: &Path, title: &str, x_label: &str, panels: &[Panel], warm_up: usize) -> Result<()> {
    let head = title_height(title, 22, 1200) + 8;
    let height = head + 10 + 250 * panels.len() as u32;
    render(path, (1200, height), |root| {
        let (top, rest) = root.split_vertically(head);
        draw_title(&top, title, 22)?;
        for (area, panel) in rest.split_evenly((panels.len(), 1)).iter().zip(panels) {
            let (map, bar) = area.split_horizontally(1200 - 130);
            heatmap(&map, panel, x_label, warm_up)?;
            colour_bar(&bar, panel.range)?;
        }
        Ok(())
    })
}

fn heatmap(
    area: &DrawingArea<BitMapBackend, Shift>,
    panel: &Panel,
    x_label: &str,
    warm_up: usize,
) -> Result<()> {
    let units = panel.values.len();
    let steps = panel.values.first().map_or(0, |r| r.len());
    let top = draw_title(area, &panel.title, 16)?;
    let mut ch = ChartBuilder::on(area)
        .margin(8)
        .margin_top(top + 4)
        .x_label_area_size(30)
        .y_label_area_size(55)
        .build_cartesian_2d(0..steps, 0..units)
        .map_err(plot_err)?;
    ch.configure_mesh()
        .disable_mesh()
        .x_desc(x_label)
        .y_desc("unit")
        .label_style((FONT, 13))
        .draw()
        .map_err(plot_err)?;
    let (lo, hi) = panel.range;
    ch.draw_series(panel.values.iter().enumerate().flat_map(|(u, row)| {
        row.iter()
            .enumerate()
            .map(move |(t, &v)| Rectangle::new([(t, u), (t + 1, u + 1)], diverging(v, lo, hi).filled()))
    }))
    .map_err(plot_err)?;
    if warm_up > 0 && units > 0 {
        // greyed, so that the saturated start-up reads as what it is
        ch.draw_series([Rectangle::new(
            [(0, 0), (warm_up, units)],
            RGBColor(128, 128, 128).mix(0.55).filled(),
        )])
        .map_err(plot_err)?;
        // the word fits four days' cells; a shorter warm-up is greyed and named in the title
        if warm_up >= 4 {
            ch.draw_series([Text::new("warm-up", (0, units * 9 / 10), (FONT, 14).into_font().color(&BLACK))])
                .map_err(plot_err)?;
        }
    }
    Ok(())
}

/// A vertical strip of the colour scale with its values marked.
fn colour_bar(area: &DrawingArea<BitMapBackend, Shift>, (lo, hi): (f32, f32)) -> Result<()> {
    let (lo, hi) = (lo as f64, hi as f64);
    let mut ch = ChartBuilder::on(area)
        .margin_top(38)
        .margin_bottom(38)
        .margin_right(10)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..1.0, lo..hi)
        .map_err(plot_err)?;
    ch.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(5)
        .y_label_formatter(&|v| signed_label(*v, hi))
        .label_style((FONT, 12))
        .draw()
        .map_err(plot_err)?;
    let n = 100;
    ch.draw_series((0..n).map(|k| {
        let (a, b) = (lo + (hi - lo) * k as f64 / n as f64, lo + (hi - lo) * (k + 1) as f64 / n as f64);
        let c = diverging(((a + b) / 2.0) as f32, lo as f32, hi as f32);
        Rectangle::new([(0.0, a), (1.0, b)], c.filled())
    }))
    .map_err(plot_err)?;
    Ok(())
}

/// A colour-bar label with the decimals the scale's reach needs, and no `-0.00`.
fn signed_label(v: f64, reach: f64) -> String {
    let decimals = (1 - reach.abs().max(1e-12).log10().floor() as i64).clamp(1, 6) as usize;
    let s = format!("{v:+.decimals$}");
    if s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Blue below the middle of `lo..hi`, white at it, red above: the sign of a deviation reads at
/// a glance.
pub fn diverging(v: f32, lo: f32, hi: f32) -> RGBColor {
    let mid = (lo + hi) / 2.0;
    let half = ((hi - lo) / 2.0).max(1e-12);
    let t = ((v - mid) / half).clamp(-1.0, 1.0);
    let (end, t) = if t < 0.0 { ((33.0, 102.0, 172.0), -t) } else { ((178.0, 24.0, 43.0), t) };
    let mix = |e: f32| (255.0 + (e - 255.0) * t).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// A panel's values centred on each unit's median: the centred values, the symmetric colour
/// range, and the smallest and largest of the medians.
type Centred = (Vec<Vec<f32>>, (f32, f32), (f32, f32));

/// Each unit's values minus its own median over the days after `warm_up`, the symmetric colour
/// range (the 95th percentile of those days' moves), and the smallest and largest of the
/// medians. The warm-up days are centred too, but do not set the scale.
pub fn centre_on_unit_medians(values: &[Vec<f32>], warm_up: usize) -> Centred {
    let medians = medians(values, warm_up);
    let centred: Vec<Vec<f32>> =
        values.iter().zip(&medians).map(|(row, m)| row.iter().map(|v| v - m).collect()).collect();
    let sizes: Vec<f32> =
        centred.iter().flat_map(|row| row[warm_up.min(row.len())..].iter().map(|v| v.abs())).collect();
    let reach = quantile(sizes, 0.95).max(1e-6);
    let span = medians.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &m| (a.min(m), b.max(m)));
    (centred, (-reach, reach), span)
}

/// The panels of [`gate_panels`] and what they show in numbers.
pub struct GateView {
    pub panels: Vec<Panel>,
    pub activity: GateActivity,
}

/// The heatmap panels of a network's gates over one window (see `model::gates`), in the
/// tutorial's order and terms. `gates` is LSTM f, i, g, o or GRU r, z, n; `state` is the LSTM's
/// cell state c or the GRU's hidden state h.
pub fn gate_panels(lstm: bool, gates: &[Vec<Vec<f32>>], state: &[Vec<f32>]) -> GateView {
    let names: &[&str] = if lstm {
        &[
            "step 1: forget gate f (1 = keep the old cell state)",
            "step 2: input gate i (1 = let the candidate in)",
            "step 2: candidate g (the new content, -1 .. 1)",
            "step 4: output gate o (1 = expose the cell state as h)",
        ]
    } else {
        &[
            "reset gate r (1 = the candidate sees the previous state)",
            "update gate z (1 = keep the previous state)",
            "candidate n (the new content, -1 .. 1)",
        ]
    };
    // the candidate is the third of both cells' lists; the rest are sigmoid gates
    let sigmoid: Vec<&[Vec<f32>]> =
        gates.iter().enumerate().filter(|(k, _)| *k != 2).map(|(_, g)| g.as_slice()).collect();
    let others: Vec<&[Vec<f32>]> = gates.get(2).map(|g| g.as_slice()).into_iter().chain([state]).collect();
    let activity = GateActivity::of(&sigmoid, &others);
    let state_name = if lstm {
        "step 3: cell state c = f * c_prev + i * g"
    } else {
        "hidden state h = (1 - z) * n + z * h_prev"
    };
    let panel = |name: &str, values: &[Vec<f32>]| {
        let (centred, range, (m0, m1)) = centre_on_unit_medians(values, activity.warm_up);
        Panel {
            title: format!(
                "{name}; each unit minus its median ({m0:.2} .. {m1:.2}); scale ±{}",
                reach_text(range.1)
            ),
            values: centred,
            range,
        }
    };
    let mut panels: Vec<Panel> = names.iter().zip(gates).map(|(n, v)| panel(n, v)).collect();
    // the LSTM's cell update is step 3, between the candidate and the output gate
    let at = if lstm { 3.min(panels.len()) } else { panels.len() };
    panels.insert(at, panel(state_name, state));
    GateView { panels, activity }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_follow_the_tutorial_and_name_each_cells_gates() {
        let g = |v: f32| vec![vec![v, v + 0.1], vec![v + 0.2, v + 0.3]];
        let lstm = gate_panels(true, &[g(0.1), g(0.2), g(0.3), g(0.4)], &g(0.5)).panels;
        let steps: Vec<&str> = lstm.iter().map(|p| &p.title[..6]).collect();
        assert_eq!(steps, ["step 1", "step 2", "step 2", "step 3", "step 4"]);
        assert!(lstm[2].title.contains("candidate") && lstm[3].title.contains("cell state"));
        let gru = gate_panels(false, &[g(0.1), g(0.2), g(0.3)], &g(0.5)).panels;
        let first: Vec<&str> = gru.iter().map(|p| p.title.split(' ').next().unwrap()).collect();
        assert_eq!(first, ["reset", "update", "candidate", "hidden"]);
        assert!(gru.iter().all(|p| !p.title.contains("forget") && !p.title.contains("output")));
    }

    /// A unit that sits near 0.9 and moves by 0.02 fills the scale once its median is removed;
    /// on the raw 0..1 scale the same movement would be one colour. A start-up jump on the first
    /// day does not set the scale.
    #[test]
    fn centring_shows_a_small_movement_around_a_high_level() {
        let mut high: Vec<f32> = (0..40).map(|t| 0.90 + 0.02 * ((t % 3) as f32 - 1.0)).collect();
        high[0] = 0.3; // the state starting from zero
        let low: Vec<f32> = (0..40).map(|t| 0.10 + 0.01 * ((t % 3) as f32 - 1.0)).collect();
        let (centred, (lo, hi), (m0, m1)) = centre_on_unit_medians(&[high, low], 0);
        assert!((m0 - 0.10).abs() < 1e-6 && (m1 - 0.90).abs() < 1e-6, "{m0} {m1}");
        assert!((hi - 0.02).abs() < 1e-6 && (lo + 0.02).abs() < 1e-6, "{lo} {hi}");
        assert!((centred[0][0] + 0.6).abs() < 1e-6 && (centred[1][2] - 0.01).abs() < 1e-6);
        assert_eq!(signed_label(0.0, 0.02), "0.000");
        assert_eq!(signed_label(-0.02, 0.02), "-0.020");
        assert_eq!(signed_label(0.15, 0.2), "+0.15");
        // the extremes take the ends of the scale, zero takes white
        assert_eq!(diverging(hi, lo, hi), RGBColor(178, 24, 43));
        assert_eq!(diverging(lo, lo, hi), RGBColor(33, 102, 172));
        assert_eq!(diverging(0.0, lo, hi), RGBColor(255, 255, 255));
    }
}
