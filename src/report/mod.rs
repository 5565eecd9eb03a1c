//! What a run leaves behind: PNG charts, JSON and CSV files, each written atomically.

pub mod bands;
pub mod compare_md;
pub mod compare_plots;
pub mod files;
pub mod forecast_table;
pub mod heatmap;
pub mod html;
pub mod legend;
pub mod lines;
pub mod loss;
pub mod panel_plots;
pub mod plots;
pub mod stock_tables;
pub mod ticks;
pub mod trading;
pub mod tune_md;
pub mod tune_plot;
