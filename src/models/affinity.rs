//! Product affinity: association rules X → y with support, confidence and lift, mined
//! exactly (every frequent itemset) with Eclat over per-item transaction bitsets, and a
//! "customers who bought X also bought Y" lookup over the rules.
//!
//! Eclat gives exactly the frequent itemsets Apriori or FP-growth give; it is chosen because
//! on baskets of this size (10^4–10^5 baskets, 10^2–10^3 products) intersecting bitsets is
//! both the simplest exact method and the fastest.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{ModelError, Result};

/// Mining thresholds, as in arules' `apriori(parameter = list(supp, conf, maxlen))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleSettings {
    /// Minimum share of baskets containing the whole rule (X and y).
    pub min_support: f64,
    /// Minimum share of baskets with X that also have y.
    pub min_confidence: f64,
    /// Largest itemset (X plus y) considered.
    pub max_len: usize,
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            min_support: 0.001,
            min_confidence: 0.5,
            max_len: 10,
        }
    }
}

/// One rule "baskets with all of `antecedent` also have `consequent`".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// The items X, sorted; empty for the rule {} → y.
    pub antecedent: Vec<String>,
    /// The one item y on the right-hand side.
    pub consequent: String,
    /// Share of baskets with X and y.
    pub support: f64,
    /// Share of baskets with X that also have y.
    pub confidence: f64,
    /// Confidence over the share of baskets with y: > 1 means X makes y more likely.
    pub lift: f64,
    /// Number of baskets with X and y.
    pub count: u32,
}

/// The mined rules of one basket set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    pub settings: RuleSettings,
    pub n_baskets: usize,
    pub n_items: usize,
    /// Number of frequent itemsets found (of every length).
    pub n_frequent_itemsets: usize,
    /// Rules sorted by lift, then confidence, then support (descending), then by text.
    pub rules: Vec<Rule>,
}

fn popcount_and(a: &[u64], b: &[u64], out: &mut Vec<u64>) -> u32 {
    out.clear();
    let mut n = 0;
    for (x, y) in a.iter().zip(b) {
        let v = x & y;
        n += v.count_ones();
        out.push(v);
    }
    n
}

/// Mines the association rules with one item on the right of `baskets` (each a list of
/// item names; repeats within a basket count once; names are trimmed; empty names dropped).
pub fn mine_rules<S: AsRef<str>>(baskets: &[Vec<S>], settings: &RuleSettings) -> Result<RuleSet> {
    if !(0.0..=1.0).contains(&settings.min_support)
        || !(0.0..=1.0).contains(&settings.min_confidence)
    {
        return Err(ModelError::invalid(
            "association rules",
            format!(
                "min_support and min_confidence must be in [0, 1], got {} and {}",
                settings.min_support, settings.min_confidence
            ),
        ));
    }
    let n = baskets.len();
    if n == 0 {
        return Err(ModelError::invalid("association rules", "no baskets"));
    }
    // Item ids in name order, so the output is deterministic.
    let names: BTreeSet<&str> = baskets
        .iter()
        .flat_map(|b| b.iter().map(|s| s.as_ref().trim()))
        .filter(|s| !s.is_empty())
        .collect();
    let names: Vec<&str> = names.into_iter().collect();
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let words = n.div_ceil(64);
    let mut bits = vec![vec![0u64; words]; names.len()];
    for (t, b) in baskets.iter().enumerate() {
        for s in b {
            let s = s.as_ref().trim();
            if let Some(&i) = index.get(s) {
                bits[i][t / 64] |= 1 << (t % 64);
            }
        }
    }
    let item_count: Vec<u32> = bits
        .iter()
        .map(|b| b.iter().map(|w| w.count_ones()).sum())
        .collect();
    // Smallest count that reaches min_support (tolerant of float noise at the boundary).
    let min_count = ((settings.min_support * n as f64) - 1e-9).ceil().max(1.0) as u32;

    // Eclat, depth first. `frequent` maps each frequent itemset (sorted ids) to its count.
    let mut frequent: HashMap<Vec<u32>, u32> = HashMap::new();
    let roots: Vec<(u32, Vec<u64>, u32)> = (0..names.len())
        .filter(|&i| item_count[i] >= min_count)
        .map(|i| (i as u32, bits[i].clone(), item_count[i]))
        .collect();
    fn grow(
        prefix: &mut Vec<u32>,
        class: &[(u32, Vec<u64>, u32)],
        min_count: u32,
        max_len: usize,
        frequent: &mut HashMap<Vec<u32>, u32>,
    ) {
        for (k, (item, tids, count)) in class.iter().enumerate() {
            prefix.push(*item);
            frequent.insert(prefix.clone(), *count);
            if prefix.len() < max_len {
                let mut next = Vec::new();
                let mut buf = Vec::with_capacity(tids.len());
                for (other, otids, _) in &class[k + 1..] {
                    let c = popcount_and(tids, otids, &mut buf);
                    if c >= min_count {
                        next.push((*other, buf.clone(), c));
                    }
                }
                if !next.is_empty() {
                    grow(prefix, &next, min_count, max_len, frequent);
                }
            }
            prefix.pop();
        }
    }
    grow(
        &mut Vec::new(),
        &roots,
        min_count,
        settings.max_len.max(1),
        &mut frequent,
    );

    let nf = n as f64;
    let mut rules = Vec::new();
    let mut lhs = Vec::new();
    for (set, &count) in &frequent {
        for (pos, &y) in set.iter().enumerate() {
            lhs.clear();
            lhs.extend(
                set.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != pos)
                    .map(|(_, v)| *v),
            );
            let lhs_count = if lhs.is_empty() {
                n as u32
            } else {
                frequent[&lhs]
            };
            let confidence = count as f64 / lhs_count as f64;
            if confidence + 1e-12 < settings.min_confidence {
                continue;
            }
            let support_y = item_count[y as usize] as f64 / nf;
            rules.push(Rule {
                antecedent: lhs.iter().map(|&i| names[i as usize].to_string()).collect(),
                consequent: names[y as usize].to_string(),
                support: count as f64 / nf,
                confidence,
                lift: confidence / support_y,
                count,
            });
        }
    }
    rules.sort_by(|a, b| {
        b.lift
            .total_cmp(&a.lift)
            .then(b.confidence.total_cmp(&a.confidence))
            .then(b.support.total_cmp(&a.support))
            .then_with(|| a.antecedent.cmp(&b.antecedent))
            .then_with(|| a.consequent.cmp(&b.consequent))
    });
    Ok(RuleSet {
        settings: *settings,
        n_baskets: n,
        n_items: names.len(),
        n_frequent_itemsets: frequent.len(),
        rules,
    })
}

/// A product suggested for a customer, with the rule that suggests it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub product: String,
    pub because_of: Vec<String>,
    pub confidence: f64,
    pub lift: f64,
}

impl RuleSet {
    /// "Customers who bought X also bought Y": products not in `bought` from rules whose
    /// left side is all in `bought` and whose lift is above 1, best lift first, one per product.
    pub fn also_bought<S: AsRef<str>>(&self, bought: &[S], limit: usize) -> Vec<Recommendation> {
        let have: BTreeSet<&str> = bought.iter().map(|s| s.as_ref().trim()).collect();
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for r in &self.rules {
            if out.len() >= limit {
                break;
            }
            if r.lift <= 1.0
                || r.antecedent.is_empty()
                || have.contains(r.consequent.as_str())
                || !r.antecedent.iter().all(|a| have.contains(a.as_str()))
                || !seen.insert(r.consequent.clone())
            {
                continue;
            }
            out.push(Recommendation {
                product: r.consequent.clone(),
                because_of: r.antecedent.clone(),
                confidence: r.confidence,
                lift: r.lift,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baskets() -> Vec<Vec<&'static str>> {
        vec![
            vec!["bread", "milk"],
            vec!["bread", "diapers", "beer", "eggs"],
            vec!["milk", "diapers", "beer", "cola"],
            vec!["bread", "milk", "diapers", "beer"],
            vec!["bread", "milk", "diapers", "cola"],
        ]
    }

    fn find<'a>(rs: &'a RuleSet, lhs: &[&str], rhs: &str) -> Option<&'a Rule> {
        rs.rules
            .iter()
            .find(|r| r.antecedent == lhs && r.consequent == rhs)
    }

    #[test]
    fn textbook_baskets_give_known_support_confidence_lift() {
        let s = RuleSettings {
            min_support: 0.4,
            min_confidence: 0.6,
            max_len: 10,
        };
        let rs = mine_rules(&baskets(), &s).unwrap();
        // {milk, diapers} -> beer: support 2/5, confidence 2/3, lift (2/3)/(3/5) = 10/9.
        let r = find(&rs, &["diapers", "milk"], "beer").unwrap();
        assert!((r.support - 0.4).abs() < 1e-12);
        assert!((r.confidence - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.lift - 10.0 / 9.0).abs() < 1e-12);
        // beer -> diapers: support 3/5, confidence 1, lift 1/(4/5) = 1.25.
        let r = find(&rs, &["beer"], "diapers").unwrap();
        assert!(
            (r.support - 0.6).abs() < 1e-12 && r.confidence == 1.0 && (r.lift - 1.25).abs() < 1e-12
        );
        // {} -> bread (support 4/5 >= 0.6 confidence), as arules reports it.
        assert!(find(&rs, &[], "bread").is_some());
        // eggs is below support, so no rule mentions it.
        assert!(
            rs.rules
                .iter()
                .all(|r| r.consequent != "eggs" && !r.antecedent.contains(&"eggs".to_string()))
        );
        // Below confidence: bread -> beer has confidence 2/4.
        assert!(find(&rs, &["bread"], "beer").is_none());
        let rec = rs.also_bought(&["beer"], 3);
        assert_eq!(rec[0].product, "diapers");
    }

    #[test]
    fn brute_force_agrees_on_rule_count() {
        let b = baskets();
        let s = RuleSettings {
            min_support: 0.2,
            min_confidence: 0.5,
            max_len: 10,
        };
        let rs = mine_rules(&b, &s).unwrap();
        // Brute force over every subset of the 6 items.
        let items = ["beer", "bread", "cola", "diapers", "eggs", "milk"];
        let count = |mask: u32| {
            b.iter()
                .filter(|bk| (0..6).all(|i| mask & (1 << i) == 0 || bk.contains(&items[i])))
                .count()
        };
        let mut expected = 0;
        for mask in 1u32..64 {
            if count(mask) * 5 < 5 {
                continue;
            }
            for y in 0..6 {
                if mask & (1 << y) != 0
                    && count(mask) as f64 / count(mask & !(1 << y)) as f64 >= 0.5
                {
                    expected += 1;
                }
            }
        }
        assert_eq!(rs.rules.len(), expected);
    }
}
