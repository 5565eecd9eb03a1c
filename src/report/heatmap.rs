//! `gates.png`: the gate activations and cell state of a recurrent layer over one input
//! window, as heatmaps (units down, days across): the tutorial's explanation on real data.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

use super::plots::{plot_err, render, FONT};

/// One heatmap: `values[unit][step]`, drawn over the colour range `range`.
pub struct Panel {
    pub title: String,
    pub values: Vec<Vec<f32>>,
    pub range: (f32, f32),
}

/// Stacks the panels vertically under a common title; `x_label` names the steps.
pub fn heatmaps_png(path: &Path, title: &str, x_label: &str, panels: &[Panel]) -> Result<()> {
    let height = 60 + 260 * panels.len() as u32;
    render(path, (1200, height), |root| {
        let (top, rest) = root.split_vertically(50);
        top.titled(title, (FONT, 24)).map_err(plot_err)?;
        for (area, panel) in rest.split_evenly((panels.len(), 1)).iter().zip(panels) {
            let units = panel.values.len();
            let steps = panel.values.first().map_or(0, |r| r.len());
            let (lo, hi) = panel.range;
            let mut ch = ChartBuilder::on(area)
                .caption(format!("{}  (colour: {lo:.2} dark .. {hi:.2} bright)", panel.title), (FONT, 17))
                .margin(8)
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
            ch.draw_series(panel.values.iter().enumerate().flat_map(|(u, row)| {
                row.iter().enumerate().map(move |(t, &v)| {
                    let c = ViridisRGB::get_color_normalized(v.clamp(lo, hi), lo, hi);
                    Rectangle::new([(t, u), (t + 1, u + 1)], c.filled())
                })
            }))
            .map_err(plot_err)?;
        }
        Ok(())
    })
}

/// The four heatmap panels of a network's gates over one window (see `model::gates`), titled
/// in the tutorial's terms: `gates` in the order LSTM f, i, o or GRU z, r, n, then `state`.
pub fn gate_panels(lstm: bool, gates: &[Vec<Vec<f32>>; 3], state: &[Vec<f32>]) -> Vec<Panel> {
    let m = state.iter().flatten().fold(0f32, |a, &v| a.max(v.abs())).max(1e-6);
    let gate = |title: &str, values: &[Vec<f32>]| Panel {
        title: title.to_string(),
        values: values.to_vec(),
        range: (0.0, 1.0),
    };
    let [a, b, c] = gates;
    if lstm {
        vec![
            gate("step 1: forget gate f (1 = keep the old cell state)", a),
            gate("step 2: input gate i (1 = let the candidate in)", b),
            gate("step 4: output gate o (1 = expose the cell state as h)", c),
            Panel {
                title: "step 3: cell state c = f * c_prev + i * candidate".into(),
                values: state.to_vec(),
                range: (-m, m),
            },
        ]
    } else {
        vec![
            gate("update gate z (1 = keep the previous state)", a),
            gate("reset gate r (1 = the candidate sees the previous state)", b),
            Panel { title: "candidate n".into(), values: c.to_vec(), range: (-1.0, 1.0) },
            Panel {
                title: "hidden state h = (1 - z) * n + z * h_prev".into(),
                values: state.to_vec(),
                range: (-m, m),
            },
        ]
    }
}
