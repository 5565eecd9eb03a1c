//! Charts of `panel`: each contender's skill per ticker, and its daily rank IC summed over the
//! test days.

use std::path::Path;

use anyhow::Result;
use chrono::NaiveDate;
use plotters::prelude::*;

use super::compare_plots::{category_label, colours};
use super::plots::{
    bounds, date_chart, date_corner, distinct_swatches, draw_legend, draw_title, legend_line, plot_err,
    points, render, DateAxes, FONT, NAIVE,
};
use crate::eval::panel::{ContenderScore, CrossSection};

/// `skill.png`: one column per contender, a point per ticker at its skill against naive (above
/// 0: closer than naive on that ticker), its median marked; naive's 0 dashed across.
pub fn skill_png(path: &Path, title: &str, scores: &[ContenderScore]) -> Result<()> {
    let colour = colours(scores.len());
    distinct_swatches(colour.iter().map(|&c| (c, false)))?;
    let skills: Vec<Vec<f64>> = scores
        .iter()
        .map(|s| s.tickers.iter().map(|t| t.skill).filter(|v| v.is_finite()).collect())
        .collect();
    let (lo, hi) = bounds(skills.iter().flatten().chain([0.0].iter()));
    render(path, (1300, 650), |root| {
        let top = draw_title(root, title, 22)?;
        let n = scores.len();
        let mut ch = ChartBuilder::on(root)
            .margin(12)
            .margin_top(top + 6)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..n as f64, lo..hi)
            .map_err(plot_err)?;
        let names: Vec<String> = scores.iter().map(|s| s.contender.clone()).collect();
        ch.configure_mesh()
            .disable_x_mesh()
            .x_labels(2 * n + 1)
            .x_label_formatter(&|x| category_label(&names, *x))
            .y_desc("skill vs naive per ticker (1 - RMSE / naive's RMSE)")
            .label_style((FONT, 13))
            .draw()
            .map_err(plot_err)?;
        ch.draw_series(DashedLineSeries::new([(0.0, 0.0), (n as f64, 0.0)], 8, 5, NAIVE.stroke_width(2)))
            .map_err(plot_err)?;
        for (i, (s, c)) in skills.iter().zip(&colour).enumerate() {
            let c = *c;
            // spread sideways by rank so that equal skills stay visible
            let k = s.len().max(1) as f64;
            ch.draw_series(
                s.iter()
                    .enumerate()
                    .map(|(j, &v)| Circle::new((i as f64 + 0.2 + 0.6 * j as f64 / k, v), 3, c.filled())),
            )
            .map_err(plot_err)?;
            let mut sorted = s.clone();
            sorted.sort_by(|a, b| a.total_cmp(b));
            if let Some(&m) = sorted.get(sorted.len() / 2) {
                ch.draw_series(LineSeries::new(
                    [(i as f64 + 0.1, m), (i as f64 + 0.9, m)],
                    c.stroke_width(3),
                ))
                .map_err(plot_err)?;
            }
        }
        Ok(())
    })
}

/// `ic.png`: each contender's daily rank IC summed over the test days: a line that rises where
/// its ranking of tomorrow's returns was right and falls where it was wrong (a ranking with no
/// information wanders around 0).
pub fn ic_png(path: &Path, title: &str, sections: &[CrossSection]) -> Result<()> {
    let colour = colours(sections.len());
    distinct_swatches(colour.iter().map(|&c| (c, false)))?;
    let sums: Vec<(Vec<NaiveDate>, Vec<f64>)> = sections
        .iter()
        .map(|x| {
            let mut total = 0.0;
            x.days
                .iter()
                .map(|d| {
                    total += d.rank_ic.unwrap_or(0.0);
                    (d.date, total)
                })
                .unzip()
        })
        .collect();
    let all: Vec<NaiveDate> = sums.iter().flat_map(|s| s.0.iter().copied()).collect();
    let (Some(&first), Some(&last)) = (all.iter().min(), all.iter().max()) else { return Ok(()) };
    let (lo, hi) = bounds(sums.iter().flat_map(|s| s.1.iter()).chain([0.0].iter()));
    render(path, (1300, 650), |root| {
        let axes = DateAxes {
            title: title.to_string(),
            dates: (first, last),
            prices: (lo, hi),
            y_label: "daily rank IC, summed",
            date_format: "%Y-%m-%d",
            x_labels: 8,
        };
        let mut ch = date_chart(root, &axes)?;
        ch.draw_series(DashedLineSeries::new([(first, 0.0), (last, 0.0)], 8, 5, NAIVE.stroke_width(1)))
            .map_err(plot_err)?;
        for ((x, (d, v)), c) in sections.iter().zip(&sums).zip(&colour) {
            ch.draw_series(LineSeries::new(points(d, v), c.stroke_width(2)))
                .map_err(plot_err)?
                .label(x.contender.as_str())
                .legend(legend_line(*c));
        }
        let drawn = sums.iter().flat_map(|(d, v)| points(d, v));
        draw_legend(&mut ch, date_corner(&axes, drawn))
    })
}
