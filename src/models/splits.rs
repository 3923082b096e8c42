//! Train/test splits that reproduce scikit-learn's exactly: `train_test_split(...,
//! stratify=y, random_state=seed)` and `StratifiedKFold(k, shuffle=True,
//! random_state=seed)`, via numpy's legacy `RandomState` (MT19937, its interval draw and
//! Fisher-Yates shuffle). With the same rows, `eval churn` then scores the very split a
//! scikit-learn reference does, so its AUCs are comparable figure for figure.

/// numpy's legacy `RandomState` stream: MT19937 seeded like `RandomState(seed)`.
pub struct NumpyRandomState {
    mt: [u32; 624],
    pos: usize,
}

impl NumpyRandomState {
    pub fn new(seed: u32) -> Self {
        let mut mt = [0u32; 624];
        mt[0] = seed;
        for i in 1..624 {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        NumpyRandomState { mt, pos: 624 }
    }

    fn twist(&mut self) {
        for i in 0..624 {
            let y = (self.mt[i] & 0x8000_0000) | (self.mt[(i + 1) % 624] & 0x7fff_ffff);
            let mut v = self.mt[(i + 397) % 624] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.mt[i] = v;
        }
        self.pos = 0;
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= 624 {
            self.twist();
        }
        let mut y = self.mt[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }

    /// A uniform integer in 0..=max (numpy's `random_interval`).
    pub fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for s in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> s;
        }
        loop {
            let v = if max <= 0xffff_ffff {
                u64::from(self.next_u32()) & mask
            } else {
                self.next_u64() & mask
            };
            if v <= max {
                return v;
            }
        }
    }

    /// `RandomState.shuffle` of a 1-d array.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.interval(i as u64) as usize;
            v.swap(i, j);
        }
    }

    /// `RandomState.permutation(n)`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        self.shuffle(&mut v);
        v
    }
}

/// scikit-learn's `_approximate_mode`: how many of `n_draws` to take from each class.
fn approximate_mode(counts: &[usize], n_draws: usize, rng: &mut NumpyRandomState) -> Vec<usize> {
    let total: usize = counts.iter().sum();
    let continuous: Vec<f64> = counts
        .iter()
        .map(|&c| c as f64 / total as f64 * n_draws as f64)
        .collect();
    let mut floored: Vec<f64> = continuous.iter().map(|c| c.floor()).collect();
    let mut need = n_draws as i64 - floored.iter().sum::<f64>() as i64;
    if need > 0 {
        let remainder: Vec<f64> = continuous
            .iter()
            .zip(&floored)
            .map(|(c, f)| c - f)
            .collect();
        let mut values = remainder.clone();
        values.sort_by(f64::total_cmp);
        values.dedup();
        values.reverse();
        for value in values {
            let inds: Vec<usize> = (0..remainder.len())
                .filter(|&i| remainder[i] == value)
                .collect();
            let add_now = (inds.len() as i64).min(need) as usize;
            let perm = rng.permutation(inds.len());
            for &p in &perm[..add_now] {
                floored[inds[p]] += 1.0;
            }
            need -= add_now as i64;
            if need == 0 {
                break;
            }
        }
    }
    floored.into_iter().map(|f| f as usize).collect()
}

/// Rows of `y` (binary classes, ordered false < true as numpy sorts them) in scikit-learn's
/// `train_test_split(test_size=test_share, stratify=y, random_state=seed)`:
/// (train, test), each sorted by row.
pub fn sklearn_stratified_split(
    y: &[bool],
    test_share: f64,
    seed: u32,
) -> (Vec<usize>, Vec<usize>) {
    let n = y.len();
    let n_test = ((test_share * n as f64).ceil() as usize).min(n);
    let n_train = n - n_test;
    let class_rows: Vec<Vec<usize>> = [false, true]
        .iter()
        .map(|c| (0..n).filter(|&i| y[i] == *c).collect::<Vec<_>>())
        .filter(|r| !r.is_empty())
        .collect();
    let counts: Vec<usize> = class_rows.iter().map(Vec::len).collect();
    let mut rng = NumpyRandomState::new(seed);
    let n_i = approximate_mode(&counts, n_train, &mut rng);
    let remaining: Vec<usize> = counts.iter().zip(&n_i).map(|(c, t)| c - t).collect();
    let t_i = approximate_mode(&remaining, n_test, &mut rng);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (k, rows) in class_rows.iter().enumerate() {
        let perm = rng.permutation(rows.len());
        let permuted: Vec<usize> = perm.iter().map(|&p| rows[p]).collect();
        train.extend_from_slice(&permuted[..n_i[k]]);
        test.extend_from_slice(&permuted[n_i[k]..n_i[k] + t_i[k]]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Fold of every row in scikit-learn's `StratifiedKFold(k, shuffle=True, random_state=seed)`.
pub fn sklearn_stratified_folds(y: &[bool], k: usize, seed: u32) -> Vec<usize> {
    let n = y.len();
    // Classes are numbered by order of first appearance.
    let first = y.first().copied().unwrap_or(false);
    let enc: Vec<usize> = y.iter().map(|&v| usize::from(v != first)).collect();
    let n_classes = if enc.contains(&1) { 2 } else { 1 };
    let mut order = enc.clone();
    order.sort_unstable();
    let mut rng = NumpyRandomState::new(seed);
    let mut folds = vec![0; n];
    for class in 0..n_classes {
        let mut folds_for_class = Vec::new();
        for f in 0..k {
            let count = order
                .iter()
                .skip(f)
                .step_by(k)
                .filter(|&&c| c == class)
                .count();
            folds_for_class.extend(std::iter::repeat_n(f, count));
        }
        rng.shuffle(&mut folds_for_class);
        let mut it = folds_for_class.into_iter();
        for (i, &c) in enc.iter().enumerate() {
            if c == class {
                folds[i] = it.next().expect("one fold per row of the class");
            }
        }
    }
    folds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_and_scikit_learn() {
        // numpy: np.random.RandomState(42).permutation(10)
        assert_eq!(
            NumpyRandomState::new(42).permutation(10),
            vec![8, 1, 5, 0, 7, 2, 9, 4, 3, 6]
        );
        let y: Vec<bool> = [
            1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0,
        ]
        .iter()
        .map(|&v| v == 1)
        .collect();
        // scikit-learn 1.9: train_test_split(arange(23), test_size=0.2, stratify=y, random_state=42)
        let (train, test) = sklearn_stratified_split(&y, 0.2, 42);
        assert_eq!(test, vec![5, 9, 14, 16, 18]);
        assert_eq!(train.len(), 18);
        // StratifiedKFold(5, shuffle=True, random_state=42)
        assert_eq!(
            sklearn_stratified_folds(&y, 5, 42),
            vec![
                0, 0, 3, 0, 2, 0, 4, 4, 1, 4, 3, 1, 1, 1, 2, 3, 2, 4, 3, 2, 0, 2, 1
            ]
        );
    }
}
