//! Customer segments: k-means (linfa-clustering) on standardised log-RFM, engagement and
//! sentiment, with k chosen by the silhouette over a configured range (computed on a seeded
//! sample so it stays fast at 100,000 customers), and segments named from their centroids
//! in an account manager's words (champions, loyal, promising, needs attention, at risk,
//! hibernating, lost). Deterministic for the same data and seed: clusters are ordered by a
//! value score, so segment ids and names stay put across retrains on the same data.

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::{Array2, Axis};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::{Xoshiro256Plus, Xoshiro256PlusPlus};
use serde::{Deserialize, Serialize};

use super::math::Standardizer;
use super::{ModelError, Result};

/// One customer's inputs to segmentation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SegmentInput {
    /// Days since the last purchase (use a large value, e.g. tenure, for none).
    pub recency_days: f64,
    /// Number of purchases.
    pub frequency: f64,
    /// Total amount spent.
    pub monetary: f64,
    /// Logins and purchases in the last 30 days.
    pub engagement: f64,
    /// Mean chat sentiment in [-1, 1] (0 when unknown).
    pub sentiment: f64,
}

/// Names of the transformed segmentation columns.
pub const SEGMENT_COLUMNS: [&str; 5] = [
    "log_recency",
    "log_frequency",
    "log_monetary",
    "log_engagement",
    "sentiment",
];

impl SegmentInput {
    fn transformed(&self) -> [f64; 5] {
        [
            self.recency_days.max(0.0).ln_1p(),
            self.frequency.max(0.0).ln_1p(),
            self.monetary.max(0.0).ln_1p(),
            self.engagement.max(0.0).ln_1p(),
            self.sentiment.clamp(-1.0, 1.0),
        ]
    }
}

/// Segmentation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentSettings {
    /// Smallest k tried.
    pub k_min: usize,
    /// Largest k tried.
    pub k_max: usize,
    /// Points in the silhouette sample.
    pub silhouette_sample: usize,
    /// The k search fits k-means on at most this many points (a seeded sample); the chosen
    /// k is then fitted on all points.
    pub search_sample: usize,
    /// k-means restarts per k.
    pub n_runs: usize,
    pub seed: u64,
}

impl Default for SegmentSettings {
    fn default() -> Self {
        SegmentSettings {
            k_min: 3,
            k_max: 8,
            silhouette_sample: 2000,
            search_sample: 20_000,
            n_runs: 3,
            seed: 42,
        }
    }
}

/// One segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub id: usize,
    /// Account-manager name, e.g. "champions".
    pub name: String,
    /// What the centroid looks like, in words.
    pub description: String,
    /// Centroid in standardised space (z-scores of [`SEGMENT_COLUMNS`]).
    pub centroid: Vec<f64>,
    /// Customers in the segment at training time.
    pub size: usize,
}

/// A fitted segmentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentModel {
    pub scaler: Standardizer,
    pub segments: Vec<Segment>,
    /// Silhouette of each k tried.
    pub silhouettes: Vec<(usize, f64)>,
    pub k: usize,
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Mean silhouette of `labels` over the rows `sample` of `z` (each point compared with
/// every other sampled point).
pub fn silhouette(z: &Array2<f64>, labels: &[usize], k: usize, sample: &[usize]) -> f64 {
    let rows: Vec<Vec<f64>> = sample.iter().map(|&i| z.row(i).to_vec()).collect();
    let lab: Vec<usize> = sample.iter().map(|&i| labels[i]).collect();
    let mut total = 0.0;
    let mut counted = 0usize;
    let mut sums = vec![0.0; k];
    let mut counts = vec![0usize; k];
    for count in counts.iter_mut() {
        *count = 0;
    }
    for &l in &lab {
        counts[l] += 1;
    }
    for i in 0..rows.len() {
        sums.iter_mut().for_each(|s| *s = 0.0);
        for j in 0..rows.len() {
            if i != j {
                sums[lab[j]] += dist2(&rows[i], &rows[j]).sqrt();
            }
        }
        let own = lab[i];
        if counts[own] <= 1 {
            counted += 1; // silhouette 0 for singletons
            continue;
        }
        let a = sums[own] / (counts[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && counts[c] > 0)
            .map(|c| sums[c] / counts[c] as f64)
            .fold(f64::INFINITY, f64::min);
        if b.is_finite() {
            total += (b - a) / a.max(b).max(1e-12);
        }
        counted += 1;
    }
    total / counted.max(1) as f64
}

/// Account-manager names with the centroid (z-scores of recency, frequency, spend,
/// engagement) that best fits each; clusters get names by closest fit, each name once.
const PROTOTYPES: [(&str, [f64; 4]); 8] = [
    ("champions", [-1.0, 1.2, 1.2, 1.0]),
    ("loyal", [-0.3, 0.8, 0.5, 0.2]),
    ("promising", [-1.0, -0.5, -0.3, 0.3]),
    ("needs attention", [0.0, 0.0, 0.0, 0.0]),
    ("at risk", [0.8, 0.5, 0.5, -0.5]),
    ("cannot lose them", [1.0, 1.2, 1.5, -1.0]),
    ("hibernating", [0.8, -0.5, -0.5, -0.5]),
    ("lost", [1.5, -1.0, -1.0, -1.0]),
];

/// The segment names clustering can give (a ninth cluster or more gets one of these with a
/// number); config that names a segment is checked against them.
pub fn segment_names() -> impl Iterator<Item = &'static str> {
    PROTOTYPES.iter().map(|(name, _)| *name)
}

fn describe(c: &[f64]) -> String {
    let (r, f, m, e) = (c[0], c[1], c[2], c[3]);
    let level = |z: f64| {
        if z > 0.5 {
            "high"
        } else if z < -0.5 {
            "low"
        } else {
            "average"
        }
    };
    let recent = if r < -0.5 {
        "bought recently"
    } else if r > 0.5 {
        "not bought for a long time"
    } else {
        "bought a while ago"
    };
    format!(
        "{recent}; {} purchase frequency, {} spend, {} recent activity",
        level(f),
        level(m),
        level(e)
    )
}

/// Names for centroids: closest (cluster, prototype) pairs first, each name used once;
/// clusters beyond the prototypes get the nearest name with a number.
fn name_centroids(cents: &[Vec<f64>]) -> Vec<String> {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (i, c) in cents.iter().enumerate() {
        for (j, (_, p)) in PROTOTYPES.iter().enumerate() {
            pairs.push((dist2(&c[..4], p), i, j));
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut names: Vec<Option<String>> = vec![None; cents.len()];
    let mut used = [false; PROTOTYPES.len()];
    for &(_, i, j) in &pairs {
        if names[i].is_none() && !used[j] {
            names[i] = Some(PROTOTYPES[j].0.to_string());
            used[j] = true;
        }
    }
    let mut out = Vec::with_capacity(cents.len());
    for (i, n) in names.into_iter().enumerate() {
        out.push(n.unwrap_or_else(|| {
            let j = pairs.iter().find(|p| p.1 == i).map_or(3, |p| p.2);
            format!("{} {}", PROTOTYPES[j].0, i + 1)
        }));
    }
    out
}

fn value_score(c: &[f64]) -> f64 {
    -c[0] + c[1] + c[2] + 0.5 * c[3] + 0.25 * c[4]
}

impl SegmentModel {
    /// Fits the segmentation on `inputs`.
    pub fn fit(inputs: &[SegmentInput], s: &SegmentSettings) -> Result<SegmentModel> {
        if s.k_min < 2 || s.k_max < s.k_min {
            return Err(ModelError::invalid(
                "segments",
                format!("need 2 <= k_min <= k_max, got {}..{}", s.k_min, s.k_max),
            ));
        }
        if inputs.len() < s.k_max.max(2) * 2 {
            return Err(ModelError::invalid(
                "segments",
                format!(
                    "{} customers are too few for up to {} segments",
                    inputs.len(),
                    s.k_max
                ),
            ));
        }
        let raw = Array2::from_shape_fn((inputs.len(), 5), |(i, j)| inputs[i].transformed()[j]);
        let scaler = Standardizer::fit(&raw);
        let z = scaler.transform(&raw);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(s.seed);
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        order.shuffle(&mut rng);
        // Search rows stay in shuffled order, so their first points are a random sample
        // for the silhouette.
        let search_rows = &order[..s.search_sample.max(s.k_max * 2).min(order.len())];
        let zsearch = z.select(Axis(0), search_rows);
        let sample: Vec<usize> = (0..s.silhouette_sample.min(search_rows.len())).collect();
        let kmeans = |k: usize, data: &Array2<f64>| {
            KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(s.seed))
                .n_runs(s.n_runs)
                .max_n_iterations(200)
                .tolerance(1e-6)
                .fit(&DatasetBase::from(data.clone()))
                .map_err(|e| ModelError::fit("k-means", e))
        };
        let mut silhouettes = Vec::new();
        let mut best: Option<(f64, usize, Array2<f64>)> = None;
        for k in s.k_min..=s.k_max {
            let model = kmeans(k, &zsearch)?;
            let labels = model.predict(&zsearch).to_vec();
            let sil = silhouette(&zsearch, &labels, k, &sample);
            silhouettes.push((k, sil));
            if best.as_ref().is_none_or(|(b, _, _)| sil > *b) {
                best = Some((sil, k, model.centroids().clone()));
            }
        }
        let (_, k, search_centroids) = best.expect("at least one k tried");
        let centroids = if search_rows.len() < order.len() {
            kmeans(k, &z)?.centroids().clone()
        } else {
            search_centroids
        };
        let mut cents: Vec<Vec<f64>> = centroids.rows().into_iter().map(|r| r.to_vec()).collect();
        cents.sort_by(|a, b| {
            value_score(b).total_cmp(&value_score(a)).then_with(|| {
                a.iter()
                    .map(|v| v.to_bits())
                    .cmp(b.iter().map(|v| v.to_bits()))
            })
        });
        let mut sizes = vec![0usize; k];
        for row in z.rows() {
            sizes[nearest(&cents, row.as_slice().expect("standard layout"))] += 1;
        }
        let names = name_centroids(&cents);
        let segments = cents
            .into_iter()
            .zip(names)
            .enumerate()
            .map(|(id, (centroid, name))| Segment {
                id,
                name,
                description: describe(&centroid),
                centroid,
                size: sizes[id],
            })
            .collect();
        Ok(SegmentModel {
            scaler,
            segments,
            silhouettes,
            k,
        })
    }

    /// The segment of one customer.
    pub fn assign(&self, input: &SegmentInput) -> &Segment {
        let t = input.transformed();
        let z: Vec<f64> = (0..5).map(|j| self.scaler.scale(j, t[j])).collect();
        let cents: Vec<&[f64]> = self
            .segments
            .iter()
            .map(|s| s.centroid.as_slice())
            .collect();
        &self.segments[nearest(&cents, &z)]
    }
}

fn nearest<C: AsRef<[f64]>>(cents: &[C], z: &[f64]) -> usize {
    let mut best = (f64::INFINITY, 0);
    for (i, c) in cents.iter().enumerate() {
        let d = dist2(c.as_ref(), z);
        if d < best.0 {
            best = (d, i);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Three planted groups: recent big spenders, lapsed one-timers, middling regulars.
    pub(crate) fn synthetic(n: usize, seed: u64) -> Vec<SegmentInput> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n)
            .map(|i| {
                let j = |rng: &mut Xoshiro256PlusPlus| 0.8 + 0.4 * rng.r#gen::<f64>();
                match i % 3 {
                    0 => SegmentInput {
                        recency_days: 5.0 * j(&mut rng),
                        frequency: 30.0 * j(&mut rng),
                        monetary: 3000.0 * j(&mut rng),
                        engagement: 20.0 * j(&mut rng),
                        sentiment: 0.5,
                    },
                    1 => SegmentInput {
                        recency_days: 400.0 * j(&mut rng),
                        frequency: 1.0,
                        monetary: 30.0 * j(&mut rng),
                        engagement: 0.0,
                        sentiment: -0.2,
                    },
                    _ => SegmentInput {
                        recency_days: 60.0 * j(&mut rng),
                        frequency: 6.0 * j(&mut rng),
                        monetary: 400.0 * j(&mut rng),
                        engagement: 3.0 * j(&mut rng),
                        sentiment: 0.1,
                    },
                }
            })
            .collect()
    }

    #[test]
    fn finds_planted_groups_and_names_them() {
        let data = synthetic(900, 1);
        let s = SegmentSettings {
            k_min: 2,
            k_max: 5,
            ..SegmentSettings::default()
        };
        let m = SegmentModel::fit(&data, &s).unwrap();
        assert_eq!(m.k, 3, "{:?}", m.silhouettes);
        assert_eq!(m.assign(&data[0]).name, "champions");
        assert_eq!(m.assign(&data[1]).name, "lost");
        assert_eq!(m.segments.iter().map(|s| s.size).sum::<usize>(), 900);
    }

    #[test]
    fn same_data_and_seed_give_the_same_segments() {
        let data = synthetic(1500, 2);
        let s = SegmentSettings {
            k_max: 5,
            ..SegmentSettings::default()
        };
        let a = SegmentModel::fit(&data, &s).unwrap();
        let b = SegmentModel::fit(&data, &s).unwrap();
        assert_eq!(a, b);
        assert!(data.iter().all(|d| a.assign(d).id == b.assign(d).id));
        // With the k search on a sample and the final fit on all points.
        let s = SegmentSettings {
            search_sample: 500,
            ..s
        };
        let a = SegmentModel::fit(&data, &s).unwrap();
        let b = SegmentModel::fit(&data, &s).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.k, 3, "{:?}", a.silhouettes);
    }

    #[test]
    fn silhouette_of_separated_blobs_is_near_one() {
        let z = Array2::from_shape_vec((4, 1), vec![0.0, 0.1, 10.0, 10.1]).unwrap();
        let s = silhouette(&z, &[0, 0, 1, 1], 2, &[0, 1, 2, 3]);
        assert!(s > 0.98);
    }
}
