//! From a price file to training tensors' raw material: loading, splitting, scaling, windowing.
//!
//! Everything here works on plain slices; tensors appear only in `model` and `train`.

pub mod load;
pub mod scale;
pub mod split;
pub mod window;

pub use load::{load_prices, LoadOptions, PriceSeries};
pub use scale::MinMaxScaler;
pub use split::Split;
