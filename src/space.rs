//! The search space of `tune`: which values of which settings a search may try, read from a
//! flag (`hidden=16,32;lr=0.001,0.003`) or a small TOML file, and the settings drawn from it
//! (every point of the grid, or random points), the base settings always first.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::bail_input;
use crate::data::{Feature, TargetKind};

/// One setting of a search: what it changes from the base settings (`None`: the base's value).
/// The empty setting is the base itself, the untuned default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropout: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<Feature>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetKind>,
}

impl Setting {
    /// The setting in words: `hidden 32, window 40, lr 0.003`, or `defaults`.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        let mut add = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k} {v}"));
            }
        };
        add("hidden", self.hidden.map(|v| v.to_string()));
        add("layers", self.layers.map(|v| v.to_string()));
        add("window", self.window.map(|v| v.to_string()));
        add("dropout", self.dropout.map(|v| v.to_string()));
        add("lr", self.lr.map(|v| v.to_string()));
        add(
            "features",
            self.features.as_ref().map(|f| match crate::data::features::names(f) {
                n if n.is_empty() => "none".to_string(),
                n => n.replace(", ", "+"),
            }),
        );
        add("target", self.target.map(|t| t.name().to_string()));
        if parts.is_empty() {
            "defaults".into()
        } else {
            parts.join(", ")
        }
    }
}

/// The values a search may try for each setting; a setting left empty keeps the base's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Space {
    #[serde(default)]
    pub hidden: Vec<i64>,
    #[serde(default)]
    pub layers: Vec<i64>,
    #[serde(default)]
    pub window: Vec<usize>,
    #[serde(default)]
    pub dropout: Vec<f64>,
    #[serde(default)]
    pub lr: Vec<f64>,
    /// Feature sets, each as `--features` takes it (`none` for no extra inputs).
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub target: Vec<TargetKind>,
}

/// The keys a space may name, for error messages.
const KEYS: &str = "hidden, layers, window, dropout, lr, features, target";

/// The space `tune` searches when none is given: sizes, windows, dropout and learning rates
/// at and below the defaults of `stock` (so that no trial costs more than the defaults' and a
/// search of a few thousand rows runs in minutes), 108 settings in all.
pub fn default_space() -> Space {
    Space {
        hidden: vec![16, 32, 64],
        layers: vec![1, 2],
        window: vec![20, 40, 60],
        dropout: vec![0.0, 0.2],
        lr: vec![0.0003, 0.001, 0.003],
        features: vec![],
        target: vec![],
    }
}

impl Space {
    /// `--space`: a TOML file (a name ending in `.toml`) or the inline form
    /// `hidden=16,32; layers=1,2; features=none|volume,hl_range; target=log-return,price`.
    pub fn parse(text: &str) -> Result<Space> {
        let space = if text.trim().ends_with(".toml") {
            let path = Path::new(text.trim());
            let body = std::fs::read_to_string(path).map_err(|e| {
                crate::error::input_error(format!("--space {}: cannot read the file: {e}", path.display()))
            })?;
            toml::from_str::<Space>(&body).map_err(|e| {
                let first = e.to_string().lines().next().unwrap_or("").to_string();
                crate::error::input_error(format!(
                    "--space {}: not a search space ({}); keys are {KEYS}, each a list such as hidden = [16, 32]",
                    path.display(),
                    first.trim()
                ))
            })?
        } else {
            Space::inline(text)?
        };
        space.check()?;
        Ok(space)
    }

    fn inline(text: &str) -> Result<Space> {
        let mut s = Space::default();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, values)) = part.split_once('=') else {
                bail_input!("--space \"{part}\": expected key=value,value (keys: {KEYS})");
            };
            let (key, values) = (key.trim(), values.trim());
            fn list<T: std::str::FromStr>(key: &str, values: &str) -> Result<Vec<T>> {
                values
                    .split(',')
                    .map(|v| {
                        v.trim().parse::<T>().map_err(|_| {
                            crate::error::input_error(format!(
                                "--space {key}={values}: \"{}\" is not a value of {key}",
                                v.trim()
                            ))
                        })
                    })
                    .collect()
            }
            match key {
                "hidden" => s.hidden = list(key, values)?,
                "layers" => s.layers = list(key, values)?,
                "window" => s.window = list(key, values)?,
                "dropout" => s.dropout = list(key, values)?,
                "lr" => s.lr = list(key, values)?,
                "features" => s.features = values.split('|').map(|v| v.trim().to_string()).collect(),
                "target" => {
                    s.target = values
                        .split(',')
                        .map(|v| {
                            <TargetKind as clap::ValueEnum>::from_str(v.trim(), true).map_err(|_| {
                                crate::error::input_error(format!(
                                    "--space target={values}: \"{}\" is not a target; choose from price, return, log-return",
                                    v.trim()
                                ))
                            })
                        })
                        .collect::<Result<_>>()?
                }
                _ => bail_input!("--space: unknown key \"{key}\"; keys are {KEYS}"),
            }
        }
        Ok(s)
    }

    /// Every value within the bounds its flag has, each refused naming the key and value.
    fn check(&self) -> Result<()> {
        use crate::limits;
        let bad = |key: &str, v: &dyn std::fmt::Display, why: &str| -> Result<()> {
            bail_input!("--space {key}={v}: {why}")
        };
        for &h in &self.hidden {
            if !(1..=limits::HIDDEN).contains(&h) {
                bad("hidden", &h, &format!("must be from 1 to {}", limits::HIDDEN))?;
            }
        }
        for &l in &self.layers {
            if !(1..=limits::LAYERS).contains(&l) {
                bad("layers", &l, &format!("must be from 1 to {}", limits::LAYERS))?;
            }
        }
        for &w in &self.window {
            if !(1..=limits::WINDOW).contains(&w) {
                bad("window", &w, &format!("must be from 1 to {} days", limits::WINDOW))?;
            }
        }
        for &d in &self.dropout {
            if !(0.0..1.0).contains(&d) {
                bad("dropout", &d, "must be in [0, 1)")?;
            }
        }
        for &r in &self.lr {
            if !(r.is_finite() && r > 0.0) {
                bad("lr", &r, "must be a positive number such as 0.001")?;
            }
        }
        for f in &self.features {
            feature_set(f)?;
        }
        let text = |v: &dyn std::fmt::Debug| format!("{v:?}");
        let keys: [(&str, Vec<String>); 7] = [
            ("hidden", self.hidden.iter().map(|v| text(v)).collect()),
            ("layers", self.layers.iter().map(|v| text(v)).collect()),
            ("window", self.window.iter().map(|v| text(v)).collect()),
            ("dropout", self.dropout.iter().map(|v| text(v)).collect()),
            ("lr", self.lr.iter().map(|v| text(v)).collect()),
            (
                "features",
                self.features.iter().map(|f| text(&feature_set(f).expect("checked above"))).collect(),
            ),
            ("target", self.target.iter().map(|v| text(v)).collect()),
        ];
        for (key, values) in keys {
            if let Some(v) = values.iter().enumerate().find(|(i, v)| values[..*i].contains(v)).map(|(_, v)| v)
            {
                bail_input!(
                    "--space {key}: the value {} appears twice; give each value once",
                    v.trim_matches('"')
                );
            }
        }
        if self.size() == 0 {
            bail_input!("--space: names no value; give at least one key, e.g. --space \"hidden=16,32\"");
        }
        Ok(())
    }

    /// Points in the grid (each key's values once; a key with none counts once).
    pub fn size(&self) -> usize {
        let n = |k: usize| k.max(1);
        let all = [
            self.hidden.len(),
            self.layers.len(),
            self.window.len(),
            self.dropout.len(),
            self.lr.len(),
            self.features.len(),
            self.target.len(),
        ];
        if all.iter().all(|&k| k == 0) {
            return 0;
        }
        all.iter().map(|&k| n(k)).fold(1usize, |a, b| a.saturating_mul(b))
    }

    /// Grid point `i` (`0..size()`), the last key varying fastest.
    fn point(&self, mut i: usize) -> Setting {
        fn pick<T: Clone>(values: &[T], i: &mut usize) -> Option<T> {
            if values.is_empty() {
                return None;
            }
            let v = values[*i % values.len()].clone();
            *i /= values.len();
            Some(v)
        }
        // picked from the last key to the first, so the last varies fastest
        let target = pick(&self.target, &mut i);
        let features = pick(&self.features, &mut i).map(|f| feature_set(&f).expect("checked by parse"));
        let lr = pick(&self.lr, &mut i);
        let dropout = pick(&self.dropout, &mut i);
        let window = pick(&self.window, &mut i);
        let layers = pick(&self.layers, &mut i);
        let hidden = pick(&self.hidden, &mut i);
        Setting { hidden, layers, window, dropout, lr, features, target }
    }
}

/// A `--features` list (`none` or empty for no extra inputs).
fn feature_set(text: &str) -> Result<Vec<Feature>> {
    if text.trim().eq_ignore_ascii_case("none") || text.trim().is_empty() {
        return Ok(vec![]);
    }
    text.split(',')
        .map(|f| {
            f.parse::<Feature>()
                .map_err(|e| crate::error::input_error(format!("--space features={text}: {e}")))
        })
        .collect()
}

/// How a search picks its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Search {
    /// `--trials` settings drawn at random from the grid (without repeats).
    #[default]
    Random,
    /// Every point of the grid (refused when there are more than `--trials`).
    Grid,
}

/// The settings a search tries: the base settings first (the untuned default), then every grid
/// point (`Grid`) or `trials - 1` distinct random points drawn from `seed` (`Random`); a point
/// that changes nothing from `base` (the default itself) is not tried twice.
pub fn settings(
    space: &Space,
    search: Search,
    trials: usize,
    seed: u64,
    base: &Setting,
) -> Result<Vec<Setting>> {
    if trials == 0 {
        bail_input!("--trials 0: must be at least 1 (the defaults are the first trial)");
    }
    let size = space.size();
    let mut out = vec![Setting::default()];
    let same_as_base = |s: &Setting| is_base(s, base);
    match search {
        Search::Grid => {
            if size > trials {
                bail_input!(
                    "--search grid: the space's grid is {size} settings, more than --trials {trials}; raise --trials to {} or use --search random",
                    size.saturating_add(1)
                );
            }
            out.extend((0..size).map(|i| space.point(i)).filter(|s| !same_as_base(s)));
            if out.len() > trials {
                bail_input!(
                    "--search grid: the space's grid with the defaults is {} settings, more than --trials {trials}; raise --trials to {} or use --search random",
                    out.len(),
                    out.len()
                );
            }
        }
        Search::Random => {
            use rand::SeedableRng;
            let mut rng = rand::rngs::SmallRng::seed_from_u64(seed ^ 0x7475_6e65);
            // distinct grid points in a random order (one of them may be the defaults' own)
            let order = rand::seq::index::sample(&mut rng, size, size.min(trials.saturating_add(1)));
            let drawn = order.into_iter().map(|i| space.point(i)).filter(|s| !same_as_base(s));
            out.extend(drawn.take(trials - 1));
        }
    }
    Ok(out)
}

/// Whether `s` is the base settings themselves: every value it sets equals `base`'s.
fn is_base(s: &Setting, base: &Setting) -> bool {
    fn same<T: PartialEq>(v: &Option<T>, b: &Option<T>) -> bool {
        v.is_none() || v == b
    }
    same(&s.hidden, &base.hidden)
        && same(&s.layers, &base.layers)
        && same(&s.window, &base.window)
        && same(&s.dropout, &base.dropout)
        && same(&s.lr, &base.lr)
        && same(&s.features, &base.features)
        && same(&s.target, &base.target)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn base() -> Setting {
        Setting {
            hidden: Some(64),
            layers: Some(2),
            window: Some(60),
            dropout: Some(0.0),
            lr: Some(0.001),
            features: Some(vec![]),
            target: Some(TargetKind::LogReturn),
        }
    }

    #[test]
    fn the_inline_form_and_the_toml_file_read_the_same_space() {
        let inline =
            Space::parse("hidden=16,32; layers=1; features=none|volume,hl_range; target=price,log-return")
                .unwrap();
        let dir = std::env::temp_dir().join(format!("lstm-stock-space-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("space.toml");
        std::fs::write(
            &file,
            "hidden = [16, 32]\nlayers = [1]\nfeatures = [\"none\", \"volume,hl_range\"]\ntarget = [\"price\", \"log-return\"]\n",
        )
        .unwrap();
        assert_eq!(Space::parse(file.to_str().unwrap()).unwrap(), inline);
        assert_eq!(inline.size(), 8);
        // every point once
        let points: Vec<String> = (0..8).map(|i| inline.point(i).label()).collect();
        let distinct: BTreeSet<&String> = points.iter().collect();
        assert_eq!(distinct.len(), 8, "{points:?}");
        assert_eq!(points[0], "hidden 16, layers 1, features none, target price");
        assert_eq!(points[7], "hidden 32, layers 1, features volume+hl_range, target log-return");
        // a wrong key in the file names the file and the keys
        std::fs::write(&file, "hiden = [16]\n").unwrap();
        let e = format!("{:#}", Space::parse(file.to_str().unwrap()).unwrap_err());
        assert!(e.contains("space.toml") && e.contains("keys are hidden"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_spaces_are_one_line_naming_the_key_and_value() {
        for (text, expect) in [
            ("hidden=0", "--space hidden=0: must be from 1"),
            ("hidden=16,x", "\"x\" is not a value of hidden"),
            ("dropout=1", "--space dropout=1: must be in [0, 1)"),
            ("lr=-1", "--space lr=-1"),
            ("window=0", "--space window=0"),
            ("depth=3", "unknown key \"depth\""),
            ("hidden", "expected key=value"),
            ("features=volume|wind", "--space features=wind"),
            ("target=level", "\"level\" is not a target"),
            ("", "names no value"),
            ("hidden=16,32,16", "--space hidden: the value 16 appears twice"),
            ("features=none|volume|", "--space features: the value [] appears twice"),
            ("missing.toml", "missing.toml: cannot read the file"),
        ] {
            let e = format!("{:#}", Space::parse(text).unwrap_err());
            assert!(e.contains(expect), "{text}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }

    #[test]
    fn searches_start_with_the_defaults_and_never_repeat_a_setting() {
        let space = default_space();
        let random = settings(&space, Search::Random, 8, 42, &base()).unwrap();
        assert_eq!(random.len(), 8);
        assert_eq!(random[0], Setting::default());
        let labels: BTreeSet<String> = random.iter().map(Setting::label).collect();
        assert_eq!(labels.len(), 8, "{labels:?}");
        // the base's own point is never drawn again as a "new" setting
        assert!(random[1..].iter().all(|s| !is_base(s, &base())));
        // the same seed draws the same settings, another seed others
        assert_eq!(settings(&space, Search::Random, 8, 42, &base()).unwrap(), random);
        assert_ne!(settings(&space, Search::Random, 8, 7, &base()).unwrap(), random);
        // asking for more than the grid holds gives the whole grid
        let small = Space::parse("hidden=16,64; lr=0.001,0.01").unwrap();
        let all = settings(&small, Search::Random, 50, 1, &base()).unwrap();
        // (hidden 64, lr 0.001) is the base itself
        assert_eq!(all.len(), 4, "{all:?}");
        // a grid: every point, the base's once
        assert_eq!(settings(&small, Search::Grid, 10, 1, &base()).unwrap().len(), 4);
        let e = format!("{:#}", settings(&space, Search::Grid, 8, 1, &base()).unwrap_err());
        assert!(
            e.contains("grid is 108 settings") && e.contains("raise --trials to 109 or use --search random"),
            "{e}"
        );
        assert!(settings(&space, Search::Random, 0, 1, &base()).is_err());
    }
}
