//! What a run leaves behind: PNG charts, JSON and CSV files, each written atomically.

pub mod bands;
pub mod compare_plots;
pub mod files;
pub mod heatmap;
pub mod lines;
pub mod plots;
