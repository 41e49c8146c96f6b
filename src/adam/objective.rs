//! Objectives on the composed function f = p_T ∘ … ∘ p_1 and their exact
//! gradients (reverse mode through the composition), in any [`Real`].

use rug::Float;

use super::real::Real;
use crate::poly::OddPoly;

/// How coefficients map to steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Degree of each step (its length is the step count).
    pub degrees: Vec<u32>,
    /// One row shared by all steps (all degrees equal).
    pub shared: bool,
    /// Rows held fixed (decimal coefficients), by row index.
    pub fixed: Vec<Option<Vec<String>>>,
    /// Exponent step r of every row's polynomial x·q(x^r) (2: msign).
    pub root: u32,
}

impl Layout {
    /// Number of distinct rows (1 when shared).
    pub fn rows(&self) -> usize {
        if self.shared { 1 } else { self.degrees.len() }
    }

    /// The row step t applies.
    pub fn row_of(&self, t: usize) -> usize {
        if self.shared { 0 } else { t }
    }

    /// Coefficients in row r.
    pub fn row_len(&self, r: usize) -> usize {
        ((self.degrees[r] - 1) / self.root) as usize + 1
    }

    /// Offsets of the free rows' coefficients in the parameter vector
    /// (`None` for a fixed row).
    pub fn offsets(&self) -> Vec<Option<usize>> {
        let mut at = 0;
        (0..self.rows())
            .map(|r| {
                if self.fixed.get(r).is_some_and(Option::is_some) {
                    None
                } else {
                    let o = at;
                    at += self.row_len(r);
                    Some(o)
                }
            })
            .collect()
    }

    /// Length of the parameter vector.
    pub fn params(&self) -> usize {
        (0..self.rows()).filter(|&r| !self.fixed.get(r).is_some_and(Option::is_some)).map(|r| self.row_len(r)).sum()
    }

    /// The rows for a parameter vector (fixed rows parsed at `like`'s precision).
    pub fn rows_of<R: Real>(&self, params: &[R], prec: u32) -> Vec<Vec<R>> {
        let offsets = self.offsets();
        (0..self.rows())
            .map(|r| match (&self.fixed.get(r).cloned().flatten(), offsets[r]) {
                (Some(fixed), _) => fixed.iter().map(|c| R::from_decimal(c, prec)).collect(),
                (None, Some(o)) => params[o..o + self.row_len(r)].to_vec(),
                (None, None) => unreachable!("a row is fixed or free"),
            })
            .collect()
    }

    /// The parameter vector of full rows (fixed rows skipped).
    pub fn params_of<R: Real>(&self, rows: &[Vec<R>]) -> Vec<R> {
        let offsets = self.offsets();
        rows.iter()
            .enumerate()
            .filter(|(r, _)| offsets[*r].is_some())
            .flat_map(|(_, row)| row.iter().cloned())
            .collect()
    }
}

/// What the optimiser minimises.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectiveKind {
    /// max over [ℓ, u] of |1 − f|, exactly from interval images.
    WorstCase,
    /// Mean of the k largest |f(x) − 1| over x = u·i/N, i = 1..N.
    TopK {
        /// k.
        k: usize,
        /// N.
        grid: usize,
    },
    /// RMS of f(x) − 1 over x = u·i/N, i = 1..N, or over given samples.
    Rms {
        /// The sample points.
        points: Vec<f64>,
    },
    /// Mean squared excess of |f(x) − 1| beyond δ over x = u·i/N.
    Band {
        /// δ.
        delta: f64,
        /// N.
        grid: usize,
    },
}

/// Penalties added to the objective.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Penalties {
    /// Weight of min(0, min f over (0, ℓ])²: no sign flip below ℓ.
    pub no_sign_flip: Option<f64>,
    /// (r, weight): weight · max(0, max f over (0, u] − (1 + r))².
    pub overshoot: Option<(f64, f64)>,
}

/// Fraction of ℓ (or u) where the exact images for penalties start: f(0) = 0,
/// so the images are taken over [ℓ·PENALTY_START, ·].
pub const PENALTY_START: f64 = 1e-6;

/// An objective with its interval and penalties.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    /// What is minimised.
    pub kind: ObjectiveKind,
    /// ℓ.
    pub lower: f64,
    /// u.
    pub upper: f64,
    /// Penalties.
    pub penalties: Penalties,
}

/// y^r (y·y for msign, as always).
fn power<R: Real>(y: &R, root: u32) -> R {
    let mut t = y.clone();
    for _ in 1..root {
        t = t.mul(y);
    }
    t
}

/// p(y) for p = y·q(y^r) (Horner in y^r).
fn eval<R: Real>(row: &[R], y: &R, root: u32) -> R {
    let t = power(y, root);
    let mut acc = row[row.len() - 1].clone();
    for c in row.iter().rev().skip(1) {
        acc = acc.mul(&t).add(c);
    }
    acc.mul(y)
}

/// p′(y) = Σ (1 + kr) c_k y^(kr).
fn eval_derivative<R: Real>(row: &[R], y: &R, root: u32) -> R {
    let t = power(y, root);
    let q = row.len() - 1;
    let r = root as usize;
    let mut acc = row[q].mul(&R::from_f64((r * q + 1) as f64, y));
    for k in (0..q).rev() {
        acc = acc.mul(&t).add(&row[k].mul(&R::from_f64((r * k + 1) as f64, y)));
    }
    acc
}

/// Positive critical points of p (where p′ changes sign).
fn critical_points<R: Real>(row: &[R], prec: u32, root: u32) -> Vec<R> {
    let like = &row[0];
    let p = OddPoly::with_root(row.iter().map(|c| c.to_float(prec)).collect(), root);
    p.positive_critical_points().iter().map(|c| R::from_float(c, like)).collect()
}

/// A loss and its gradient in the parameters.
#[derive(Debug, Clone)]
pub struct Evaluation<R> {
    /// The objective plus penalties.
    pub loss: R,
    /// The objective alone.
    pub objective: R,
    /// ∂loss/∂params.
    pub gradient: Vec<R>,
}

impl Objective {
    /// The loss of `params` and its exact gradient, at precision `prec`
    /// (ignored by f64).
    pub fn evaluate<R: Real>(&self, layout: &Layout, params: &[R], prec: u32, like: &R) -> Evaluation<R> {
        let rows = layout.rows_of(params, prec);
        let mut grad_rows: Vec<Vec<R>> = rows.iter().map(|r| vec![R::from_f64(0.0, like); r.len()]).collect();
        let objective = match &self.kind {
            ObjectiveKind::WorstCase => self.worst_case(layout, &rows, &mut grad_rows, prec, like),
            ObjectiveKind::TopK { k, grid } => {
                let points = grid_points(*grid, self.upper);
                let f = forward_all(layout, &rows, &points, like);
                let mut idx: Vec<usize> = (0..points.len()).collect();
                let dev: Vec<f64> = f.iter().map(|v| (v.to_f64() - 1.0).abs()).collect();
                let k = (*k).min(points.len());
                idx.select_nth_unstable_by(k.saturating_sub(1), |&a, &b| dev[b].total_cmp(&dev[a]).then(a.cmp(&b)));
                let chosen = &idx[..k];
                let inv_k = R::from_f64(1.0 / k as f64, like);
                let mut total = R::from_f64(0.0, like);
                let one = R::from_f64(1.0, like);
                for &i in chosen {
                    let d = f[i].sub(&one);
                    total = total.add(&d.abs());
                    let sign = R::from_f64(if d.is_negative() { -1.0 } else { 1.0 }, like);
                    backward(layout, &rows, &R::from_f64(points[i], like), &sign.mul(&inv_k), &mut grad_rows);
                }
                total.mul(&inv_k)
            }
            ObjectiveKind::Rms { points } => {
                let f = forward_all(layout, &rows, points, like);
                let one = R::from_f64(1.0, like);
                let n = R::from_f64(points.len() as f64, like);
                let mut sum = R::from_f64(0.0, like);
                for v in &f {
                    let d = v.sub(&one);
                    sum = sum.add(&d.mul(&d));
                }
                let rms = sum.div(&n).sqrt();
                if rms.to_f64() > 0.0 {
                    let scale = one.div(&n.mul(&rms));
                    for (i, v) in f.iter().enumerate() {
                        let g = v.sub(&one).mul(&scale);
                        backward(layout, &rows, &R::from_f64(points[i], like), &g, &mut grad_rows);
                    }
                }
                rms
            }
            ObjectiveKind::Band { delta, grid } => {
                let points = grid_points(*grid, self.upper);
                let f = forward_all(layout, &rows, &points, like);
                let one = R::from_f64(1.0, like);
                let d = R::from_f64(*delta, like);
                let n = R::from_f64(points.len() as f64, like);
                let mut sum = R::from_f64(0.0, like);
                for (i, v) in f.iter().enumerate() {
                    let dev = v.sub(&one);
                    let excess = dev.abs().sub(&d);
                    if excess.to_f64() > 0.0 {
                        sum = sum.add(&excess.mul(&excess));
                        let sign = R::from_f64(if dev.is_negative() { -2.0 } else { 2.0 }, like);
                        let g = sign.mul(&excess).div(&n);
                        backward(layout, &rows, &R::from_f64(points[i], like), &g, &mut grad_rows);
                    }
                }
                sum.div(&n)
            }
        };
        let mut loss = objective.clone();
        if let Some(w) = self.penalties.no_sign_flip {
            let (lo, _, glo, _) =
                image_with_gradients(layout, &rows, self.lower * PENALTY_START, self.lower, prec, like);
            if lo.is_negative() {
                let wr = R::from_f64(w, like);
                loss = loss.add(&wr.mul(&lo).mul(&lo));
                let factor = wr.mul(&R::from_f64(2.0, like)).mul(&lo);
                add_scaled(&mut grad_rows, &glo, &factor);
            }
        }
        if let Some((r, w)) = self.penalties.overshoot {
            let (_, hi, _, ghi) =
                image_with_gradients(layout, &rows, self.upper * PENALTY_START, self.upper, prec, like);
            let excess = hi.sub(&R::from_f64(1.0 + r, like));
            if excess.to_f64() > 0.0 {
                let wr = R::from_f64(w, like);
                loss = loss.add(&wr.mul(&excess).mul(&excess));
                let factor = wr.mul(&R::from_f64(2.0, like)).mul(&excess);
                add_scaled(&mut grad_rows, &ghi, &factor);
            }
        }
        Evaluation { loss, objective, gradient: layout.params_of(&grad_rows) }
    }

    /// max |1 − f| over [ℓ, u] from exact images, and its subgradient.
    fn worst_case<R: Real>(
        &self,
        layout: &Layout,
        rows: &[Vec<R>],
        grad_rows: &mut [Vec<R>],
        prec: u32,
        like: &R,
    ) -> R {
        let (lo, hi, glo, ghi) = image_with_gradients(layout, rows, self.lower, self.upper, prec, like);
        let one = R::from_f64(1.0, like);
        let below = one.sub(&lo);
        let above = hi.sub(&one);
        if below >= above {
            add_scaled(grad_rows, &glo, &R::from_f64(-1.0, like));
            below
        } else {
            add_scaled(grad_rows, &ghi, &one);
            above
        }
    }
}

fn add_scaled<R: Real>(acc: &mut [Vec<R>], g: &[Vec<R>], s: &R) {
    for (a, b) in acc.iter_mut().zip(g) {
        for (x, y) in a.iter_mut().zip(b) {
            *x = x.add(&y.mul(s));
        }
    }
}

/// x = u·i/N, i = 1..N.
pub fn grid_points(n: usize, upper: f64) -> Vec<f64> {
    (1..=n).map(|i| upper * i as f64 / n as f64).collect()
}

/// f at every point.
fn forward_all<R: Real>(layout: &Layout, rows: &[Vec<R>], points: &[f64], like: &R) -> Vec<R> {
    points
        .iter()
        .map(|&x| {
            let mut y = R::from_f64(x, like);
            for t in 0..layout.degrees.len() {
                y = eval(&rows[layout.row_of(t)], &y, layout.root);
            }
            y
        })
        .collect()
}

/// Adds g · ∂f(x)/∂rows into `grad_rows` (reverse mode through the steps).
fn backward<R: Real>(layout: &Layout, rows: &[Vec<R>], x: &R, g: &R, grad_rows: &mut [Vec<R>]) {
    let steps = layout.degrees.len();
    let mut ys = Vec::with_capacity(steps);
    let mut y = x.clone();
    for t in 0..steps {
        ys.push(y.clone());
        y = eval(&rows[layout.row_of(t)], &y, layout.root);
    }
    let mut g = g.clone();
    for t in (0..steps).rev() {
        let r = layout.row_of(t);
        let y = &ys[t];
        let t2 = power(y, layout.root);
        let mut at = y.clone();
        for gk in grad_rows[r].iter_mut() {
            *gk = gk.add(&g.mul(&at));
            at = at.mul(&t2);
        }
        g = g.mul(&eval_derivative(&rows[r], y, layout.root));
    }
}

/// The exact image [lo, hi] of [a, b] under the composition, with the
/// gradients of lo and hi in the rows (envelope theorem at interior critical
/// points, chain rule through interval ends).
fn image_with_gradients<R: Real>(
    layout: &Layout,
    rows: &[Vec<R>],
    a: f64,
    b: f64,
    prec: u32,
    like: &R,
) -> (R, R, Vec<Vec<R>>, Vec<Vec<R>>) {
    let zero_rows = || -> Vec<Vec<R>> { rows.iter().map(|r| vec![R::from_f64(0.0, like); r.len()]).collect() };
    let crit: Vec<Vec<R>> = rows.iter().map(|r| critical_points(r, prec.max(64), layout.root)).collect();
    let mut lo = R::from_f64(a, like);
    let mut hi = R::from_f64(b, like);
    let mut glo = zero_rows();
    let mut ghi = zero_rows();
    for t in 0..layout.degrees.len() {
        let r = layout.row_of(t);
        let row = &rows[r];
        // Candidates: the ends (carrying their gradients) and the critical points inside.
        let mut candidates: Vec<(R, Vec<Vec<R>>)> = Vec::new();
        for (y, gy) in [(&lo, &glo), (&hi, &ghi)] {
            let mut g = zero_rows();
            let slope = eval_derivative(row, y, layout.root);
            add_scaled(&mut g, gy, &slope);
            partial_in_row(&mut g[r], y);
            candidates.push((eval(row, y, layout.root), g));
        }
        for c in crit[r].iter().filter(|c| **c > lo && **c < hi) {
            let mut g = zero_rows();
            partial_in_row(&mut g[r], c);
            candidates.push((eval(row, c, layout.root), g));
        }
        let (mut ilo, mut ihi) = (0, 0);
        for (i, (v, _)) in candidates.iter().enumerate() {
            if *v < candidates[ilo].0 {
                ilo = i;
            }
            if *v > candidates[ihi].0 {
                ihi = i;
            }
        }
        lo = candidates[ilo].0.clone();
        hi = candidates[ihi].0.clone();
        glo = candidates[ilo].1.clone();
        ghi = candidates[ihi].1.clone();
    }
    (lo, hi, glo, ghi)
}

/// Adds ∂p(y)/∂c_k = y^(2k+1) to a row's gradient.
fn partial_in_row<R: Real>(g: &mut [R], y: &R) {
    let t2 = y.mul(y);
    let mut power = y.clone();
    for gk in g.iter_mut() {
        *gk = gk.add(&power);
        power = power.mul(&t2);
    }
}

/// The rows rounded to a machine type and back (for re-scoring).
pub fn round_rows(rows: &[Vec<Float>], target: super::Representable) -> Vec<Vec<Float>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|c| {
                    let v = match target {
                        super::Representable::F32 => f64::from(crate::precision::to_f32(c)),
                        super::Representable::Bf16 => {
                            f64::from(half::bf16::from_f64(crate::precision::to_f64(c)).to_f32())
                        }
                        super::Representable::F64 => crate::precision::to_f64(c),
                    };
                    Float::with_val(c.prec(), v)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(degrees: Vec<u32>, shared: bool) -> Layout {
        let n = if shared { 1 } else { degrees.len() };
        Layout { degrees, shared, fixed: vec![None; n], root: 2 }
    }

    /// The gradient matches central differences for every objective.
    #[test]
    fn gradients_match_finite_differences() {
        let l = layout(vec![5, 5, 3], false);
        let params: Vec<f64> = vec![3.0, -4.0, 1.8, 2.5, -2.0, 0.6, 1.5, -0.5];
        let objectives = [
            ObjectiveKind::TopK { k: 7, grid: 200 },
            ObjectiveKind::Rms { points: grid_points(150, 1.0) },
            ObjectiveKind::Band { delta: 0.1, grid: 180 },
            ObjectiveKind::WorstCase,
        ];
        for kind in objectives {
            let o = Objective {
                kind: kind.clone(),
                lower: 0.01,
                upper: 1.0,
                penalties: Penalties { no_sign_flip: Some(10.0), overshoot: Some((0.2, 5.0)) },
            };
            let e = o.evaluate(&l, &params, 53, &0.0);
            for i in 0..params.len() {
                let h = 1e-6;
                let (mut a, mut b) = (params.clone(), params.clone());
                a[i] += h;
                b[i] -= h;
                let fd = (o.evaluate(&l, &a, 53, &0.0).loss - o.evaluate(&l, &b, 53, &0.0).loss) / (2.0 * h);
                let g = e.gradient[i];
                assert!((fd - g).abs() <= 1e-4 * (1.0 + g.abs()), "{kind:?} param {i}: {g} vs {fd}");
            }
        }
    }

    #[test]
    fn shared_layout_accumulates_every_step() {
        let l = layout(vec![5; 3], true);
        assert_eq!(l.params(), 3);
        let fixed = Layout {
            degrees: vec![5, 5],
            shared: false,
            fixed: vec![None, Some(vec!["1.875".into(), "-1.25".into(), "0.375".into()])],
            root: 2,
        };
        assert_eq!(fixed.params(), 3);
        let rows = fixed.rows_of(&[1.0, 2.0, 3.0], 53);
        assert_eq!(rows[1], vec![1.875, -1.25, 0.375]);
    }
}
