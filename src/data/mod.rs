//! From a price file to model-ready windows: loading, splitting, target transforms, features,
//! scaling, windowing.
//!
//! Everything here works on plain slices; tensors appear only in `model` and `train`.

pub mod cross_target;
pub mod dataset;
pub mod features;
pub mod format;
pub mod load;
pub mod panel;
pub mod perturb;
pub mod plant;
#[cfg(test)]
mod proptests;
pub mod scale;
pub mod spikes;
pub mod split;
pub mod target;
pub mod window;

pub use dataset::{Dataset, InputSpec};
pub use features::Feature;
pub use format::Decimal;
pub use load::{load_prices, LoadOptions, PriceSeries, RawColumn};
pub use plant::Plant;
pub use scale::MinMaxScaler;
pub use split::Split;
pub use target::TargetKind;
