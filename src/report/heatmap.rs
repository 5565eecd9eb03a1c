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
