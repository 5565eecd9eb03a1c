//! `tune.png`: each trial of a search at its skill on the validation days (across) and on the
//! test days (up). A search that chooses well puts its points near the diagonal; points far
//! below it are settings whose validation skill did not carry over, which is what choosing on
//! validation pays for. Filled points are in the 90% model confidence set, rings are the
//! settings chosen in some fold.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;

use super::compare_plots::colours;
use super::legend::emptiest_corner;
use super::plots::{bounds, distinct_swatches, draw_legend, draw_title, plot_err, render, FONT, NAIVE};
use crate::eval::tune::Report;

/// The lowest skill drawn where it is: an RMSE 25% above naive's.
const FLOOR: f64 = -0.25;

pub fn tune_png(path: &Path, title: &str, r: &Report) -> Result<()> {
    let models: Vec<String> = r.tuned.iter().map(|t| t.model.clone()).collect();
    let colour = colours(models.len());
    distinct_swatches(colour.iter().map(|&c| (c, false)))?;
    // a setting that failed to train (skill -1 and worse) would squash the others into a
    // corner: such points are drawn at the floor, and the title says how many
    let at = |t: &crate::eval::tune::TrialSummary| (t.val_skill.max(FLOOR), t.test_skill.max(FLOOR));
    let off = r.trials.iter().filter(|t| t.val_skill < FLOOR || t.test_skill < FLOOR).count();
    let xs: Vec<f64> = r.trials.iter().map(|t| at(t).0).collect();
    let ys: Vec<f64> = r.trials.iter().map(|t| at(t).1).collect();
    let (xlo, xhi) = bounds(xs.iter().chain([0.0].iter()));
    let (ylo, yhi) = bounds(ys.iter().chain([0.0].iter()));
    let title = match off {
        0 => title.to_string(),
        n => format!(
            "{title} ({n} trial{} with a skill below {FLOOR} drawn at {FLOOR})",
            if n == 1 { "" } else { "s" }
        ),
    };
    render(path, (1100, 800), |root| {
        let top = draw_title(root, &title, 20)?;
        let mut ch = ChartBuilder::on(root)
            .margin(12)
            .margin_top(top + 6)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(xlo..xhi, ylo..yhi)
            .map_err(plot_err)?;
        ch.configure_mesh()
            .x_desc("skill on the validation days (what the choice saw)")
            .y_desc("skill on the test days (1 - RMSE / naive's RMSE)")
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_err)?;
        // naive's 0 on each axis, and the diagonal where test skill equals validation skill
        ch.draw_series(DashedLineSeries::new([(xlo, 0.0), (xhi, 0.0)], 8, 5, NAIVE.stroke_width(2)))
            .map_err(plot_err)?
            .label("naive (tomorrow = today): skill 0")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], NAIVE.stroke_width(2)));
        let (lo, hi) = (xlo.max(ylo), xhi.min(yhi));
        if lo < hi {
            ch.draw_series(LineSeries::new([(lo, lo), (hi, hi)], BLACK.mix(0.3).stroke_width(1)))
                .map_err(plot_err)?
                .label("test skill = validation skill")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.3).stroke_width(1)));
        }
        for (m, (name, &c)) in models.iter().zip(&colour).enumerate() {
            let own: Vec<usize> = (0..r.trials.len()).filter(|&i| r.trials[i].model == *name).collect();
            let chosen = &r.tuned[m].chosen;
            ch.draw_series(own.iter().map(|&i| {
                let t = &r.trials[i];
                let style = if t.in_mcs[0] { c.filled() } else { c.stroke_width(2) };
                Circle::new(at(t), 5, style)
            }))
            .map_err(plot_err)?
            .label(format!("{name} settings (filled: in the 90% model confidence set)"))
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, c.filled()));
            ch.draw_series(
                own.iter()
                    .filter(|&&i| chosen.contains(&r.trials[i].setting))
                    .map(|&i| Circle::new(at(&r.trials[i]), 10, c.stroke_width(2))),
            )
            .map_err(plot_err)?
            .label(format!("{name}: chosen on validation in some fold"))
            .legend(move |(x, y)| Circle::new((x + 10, y), 8, c.stroke_width(2)));
            // each point named by its setting, to find it in tune.md's tables
            ch.draw_series(own.iter().map(|&i| {
                let t = &r.trials[i];
                EmptyElement::at(at(t))
                    + Text::new(format!("#{}", t.setting + 1), (12, -18), (FONT, 13).into_font().color(&c))
            }))
            .map_err(plot_err)?;
        }
        let corner = emptiest_corner(xs.iter().copied().zip(ys.iter().copied()), (xlo, xhi), (ylo, yhi));
        draw_legend(&mut ch, corner)
    })
}
