//! The Adam method: gradient descent on the composed function, for objectives
//! the greedy theorem does not cover (docs/MATH.md §5).
//!
//! ```
//! use polar_coeffs::adam::{optimise, AdamSettings, Arithmetic, LrSchedule};
//! use polar_coeffs::adam::objective::{Layout, Objective, ObjectiveKind, Penalties};
//!
//! // One shared quintic row, 5 steps, mean of the 5 largest |f − 1| on 200 points.
//! let layout = Layout { degrees: vec![5; 5], shared: true, fixed: vec![None], root: 2 };
//! let objective = Objective { kind: ObjectiveKind::TopK { k: 5, grid: 200 }, lower: 1e-3, upper: 1.0, penalties: Penalties::default() };
//! let settings = AdamSettings { iterations: 300, polish_iterations: 0, ..AdamSettings::default() };
//! let start = vec![vec!["3.4445".to_string(), "-4.7750".into(), "2.0315".into()]];
//! let run = optimise(&layout, &objective, &start, &settings, std::rc::Rc::new(polar_coeffs::progress::Silent)).unwrap();
//! assert!(run.final_loss <= run.initial_loss);
//! ```
//!
//! The optimiser is an argmin [`Solver`] (one Adam step per `next_iter`);
//! argmin's `Executor` runs the loop, stops on the iteration cap or a target
//! cost, and feeds observers (loss history, progress). Gradients are exact
//! (reverse mode through the composition, [`objective`]). It explores in f64
//! and polishes at the working precision in rug::Float, or runs in rug::Float
//! throughout. Deterministic: no randomness but the seeded matrix samples.

pub mod objective;
pub mod real;
pub mod spec;

use std::cell::RefCell;
use std::rc::Rc;

use crate::progress::Progress;

use argmin::core::observers::{Observe, ObserverMode};
use argmin::core::{CostFunction, Error, Executor, Gradient, IterState, KV, Problem, Solver, State};
use rug::Float;
use serde::{Deserialize, Serialize};

use objective::{Evaluation, Layout, Objective};
use real::Real;

/// Learning-rate schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LrSchedule {
    /// Constant.
    Constant,
    /// Cosine decay from the learning rate to `final_ratio` times it.
    Cosine,
    /// Exponential decay to `final_ratio` times it.
    Exponential,
}

/// Where the iterations run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arithmetic {
    /// Explore in f64, then polish in rug::Float at the working precision.
    F64ThenMpfr,
    /// rug::Float at the working precision throughout.
    Mpfr,
}

/// Target type the final rows must be representable in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Representable {
    /// IEEE binary64.
    F64,
    /// IEEE binary32.
    F32,
    /// bfloat16.
    Bf16,
}

/// The target loss that is never reached.
fn never() -> f64 {
    f64::NEG_INFINITY
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_never(v: &f64) -> bool {
    *v == f64::NEG_INFINITY
}

/// Adam's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdamSettings {
    /// Iterations of the main run (f64 exploration, or MPFR).
    pub iterations: u64,
    /// Extra iterations at the working precision after an f64 exploration.
    pub polish_iterations: u64,
    /// Initial learning rate.
    pub learning_rate: f64,
    /// Learning rate of the polish, relative to the final main learning rate.
    pub polish_learning_rate_ratio: f64,
    /// Schedule.
    pub schedule: LrSchedule,
    /// Final learning rate as a fraction of the first.
    pub final_ratio: f64,
    /// β₁.
    pub beta1: f64,
    /// β₂.
    pub beta2: f64,
    /// ε of the denominator.
    pub epsilon: f64,
    /// Stop when the loss reaches this (−∞, never, is left out of JSON,
    /// which has no infinities).
    #[serde(default = "never", skip_serializing_if = "is_never")]
    pub target_loss: f64,
    /// Where the iterations run.
    pub arithmetic: Arithmetic,
    /// Working precision (bits) of MPFR iterations and of the final scoring.
    pub precision: u32,
    /// Round the final rows to this type and re-score them.
    pub representable: Option<Representable>,
    /// Seed (matrix samples of the `rms_matrix` objective).
    pub seed: u64,
    /// Loss history points kept in the output.
    pub history_points: usize,
}

impl Default for AdamSettings {
    fn default() -> Self {
        Self {
            iterations: 20_000,
            polish_iterations: 200,
            learning_rate: 1e-3,
            polish_learning_rate_ratio: 1.0,
            schedule: LrSchedule::Cosine,
            final_ratio: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-12,
            target_loss: f64::NEG_INFINITY,
            arithmetic: Arithmetic::F64ThenMpfr,
            precision: crate::precision::DEFAULT_PRECISION,
            representable: None,
            seed: 0,
            history_points: 500,
        }
    }
}

/// The result of an optimisation.
#[derive(Debug, Clone)]
pub struct AdamRun {
    /// Best rows found (after rounding to the representable type, if any).
    pub rows: Vec<Vec<Float>>,
    /// Loss (objective + penalties) of the starting rows, at working precision.
    pub initial_loss: f64,
    /// Loss of `rows` at working precision.
    pub final_loss: f64,
    /// The objective alone for `rows`.
    pub final_objective: f64,
    /// Loss before rounding to the representable type (equal to final_loss without one).
    pub loss_before_rounding: f64,
    /// (iteration, loss) samples, f64 phase then polish.
    pub history: Vec<(u64, f64)>,
    /// Iterations run in total.
    pub iterations: u64,
    /// Why the main run stopped.
    pub termination: String,
}

/// Why an optimisation could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdamError {
    /// Bad settings or rows.
    #[error("{0}")]
    Invalid(String),
    /// argmin reported an error.
    #[error("optimiser: {0}")]
    Solver(String),
}

/// The problem argmin sees: loss and gradient of a parameter vector.
struct LossProblem<'a, R: Real> {
    layout: &'a Layout,
    objective: &'a Objective,
    prec: u32,
    like: R,
}

impl<R: Real> LossProblem<'_, R> {
    fn evaluate(&self, p: &[R]) -> Evaluation<R> {
        self.objective.evaluate(self.layout, p, self.prec, &self.like)
    }
}

impl<R: Real> CostFunction for LossProblem<'_, R> {
    type Param = Vec<R>;
    type Output = f64;
    fn cost(&self, p: &Self::Param) -> Result<f64, Error> {
        Ok(self.evaluate(p).loss.to_f64())
    }
}

impl<R: Real> Gradient for LossProblem<'_, R> {
    type Param = Vec<R>;
    type Gradient = Vec<R>;
    fn gradient(&self, p: &Self::Param) -> Result<Vec<R>, Error> {
        Ok(self.evaluate(p).gradient)
    }
}

/// Adam as an argmin solver: one step per iteration. The iterate lives in
/// the solver; the state records (iterate, loss) pairs evaluated together, so
/// argmin's best-so-far tracking is exact.
struct AdamSolver<R> {
    current: Vec<R>,
    m: Vec<f64>,
    v: Vec<f64>,
    step: u64,
    settings: AdamSettings,
    lr0: f64,
    total: u64,
}

impl<R: Real> AdamSolver<R> {
    fn learning_rate(&self) -> f64 {
        let frac = if self.total <= 1 { 0.0 } else { self.step as f64 / (self.total - 1) as f64 };
        let r = self.settings.final_ratio;
        match self.settings.schedule {
            LrSchedule::Constant => self.lr0,
            LrSchedule::Cosine => self.lr0 * (r + (1.0 - r) * 0.5 * (1.0 + (std::f64::consts::PI * frac).cos())),
            LrSchedule::Exponential => self.lr0 * r.powf(frac),
        }
    }
}

impl<'a, R: Real> Solver<LossProblem<'a, R>, IterState<Vec<R>, Vec<R>, (), (), (), f64>> for AdamSolver<R> {
    fn name(&self) -> &str {
        "Adam"
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<LossProblem<'a, R>>,
        state: IterState<Vec<R>, Vec<R>, (), (), (), f64>,
    ) -> Result<(IterState<Vec<R>, Vec<R>, (), (), (), f64>, Option<KV>), Error> {
        let current = self.current.clone();
        let e = problem.problem("loss_and_gradient", |p| Ok(p.evaluate(&current)))?;
        let lr = self.learning_rate();
        self.step += 1;
        let (b1, b2) = (self.settings.beta1, self.settings.beta2);
        let c1 = 1.0 - b1.powf(self.step as f64);
        let c2 = 1.0 - b2.powf(self.step as f64);
        // Moments in f64 (they only scale the step); the iterate itself keeps
        // the working precision.
        for (i, g) in e.gradient.iter().enumerate() {
            let g = g.to_f64();
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g;
            let delta = lr * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + self.settings.epsilon);
            self.current[i] = self.current[i].sub(&R::from_f64(delta, &self.current[i]));
        }
        Ok((state.param(current).gradient(e.gradient).cost(e.loss.to_f64()), None))
    }
}

/// Records the loss history (an argmin observer run every `every` iterations).
struct History {
    offset: u64,
    points: Rc<RefCell<Vec<(u64, f64)>>>,
}

impl<R: Real> Observe<IterState<Vec<R>, Vec<R>, (), (), (), f64>> for History {
    fn observe_iter(&mut self, state: &IterState<Vec<R>, Vec<R>, (), (), (), f64>, _kv: &KV) -> Result<(), Error> {
        self.points.borrow_mut().push((self.offset + state.get_iter(), state.get_cost()));
        Ok(())
    }
}

/// Reports the iteration and loss to the caller's [`Progress`].
struct ProgressObserver {
    offset: u64,
    progress: Rc<dyn Progress>,
}

impl<R: Real> Observe<IterState<Vec<R>, Vec<R>, (), (), (), f64>> for ProgressObserver {
    fn observe_iter(&mut self, state: &IterState<Vec<R>, Vec<R>, (), (), (), f64>, _kv: &KV) -> Result<(), Error> {
        self.progress.set_position(self.offset + state.get_iter());
        self.progress.set_message(&format!("loss {:.6e}", state.get_cost()));
        Ok(())
    }
}

/// Iterations between progress reports.
const PROGRESS_EVERY: u64 = 50;

/// Runs Adam from `start` rows: returns the best rows and losses.
///
/// `progress` receives the iteration count (its length is set here) and the
/// loss; pass [`Silent`](crate::progress::Silent) for none.
///
/// # Errors
///
/// [`AdamError`] for rows that do not match the layout, or a solver failure.
pub fn optimise(
    layout: &Layout,
    objective: &Objective,
    start: &[Vec<String>],
    settings: &AdamSettings,
    progress: Rc<dyn Progress>,
) -> Result<AdamRun, AdamError> {
    if start.len() != layout.rows() {
        return Err(AdamError::Invalid(format!(
            "{} starting rows given, the layout has {}",
            start.len(),
            layout.rows()
        )));
    }
    for (r, row) in start.iter().enumerate() {
        if row.len() != layout.row_len(r) {
            return Err(AdamError::Invalid(format!(
                "starting row {} has {} coefficients, degree {} needs {}",
                r + 1,
                row.len(),
                layout.degrees[r],
                layout.row_len(r)
            )));
        }
    }
    let fixed = layout.fixed.iter().flatten();
    if let Some(bad) = start.iter().chain(fixed).flatten().find(|c| !crate::rows::is_finite_decimal(c)) {
        return Err(AdamError::Invalid(format!("coefficient {bad:?} is not a finite decimal number")));
    }
    let prec = settings.precision;
    let like = Float::with_val(prec, 0);
    let start_rows: Vec<Vec<Float>> =
        start.iter().map(|r| r.iter().map(|c| Float::from_decimal(c, prec)).collect()).collect();
    let start_params = layout.params_of(&start_rows);
    let score = |p: &[Float]| objective.evaluate(layout, p, prec, &like);
    let initial_loss = score(&start_params).loss.to_f64();
    if !initial_loss.is_finite() {
        return Err(AdamError::Invalid(format!(
            "the loss of the starting rows is {initial_loss}: they diverge on [lower, upper]; start from rows that \
             converge (an `init` preset such as jordan, or init rows)"
        )));
    }
    let history = Rc::new(RefCell::new(Vec::new()));
    progress.set_length(
        settings.iterations
            + if settings.arithmetic == Arithmetic::F64ThenMpfr { settings.polish_iterations } else { 0 },
    );
    let every =
        (settings.iterations + settings.polish_iterations).div_ceil(settings.history_points.max(1) as u64).max(1);
    let (best, termination, iterations) = match settings.arithmetic {
        Arithmetic::F64ThenMpfr => {
            let p64: Vec<f64> = start_params.iter().map(|c| c.to_f64()).collect();
            let (best64, term, it) = run_solver(
                layout,
                objective,
                p64,
                0.0f64,
                53,
                settings,
                settings.iterations,
                settings.learning_rate,
                0,
                every,
                &history,
                &progress,
            )?;
            let lr_end = settings.learning_rate * settings.final_ratio * settings.polish_learning_rate_ratio;
            let best_f: Vec<Float> = best64.iter().map(|v| Float::with_val(prec, *v)).collect();
            // Keep the better of the f64 result and the start (f64 may not improve a
            // start that is already optimal at working precision).
            let best_f = if score(&best_f).loss <= score(&start_params).loss { best_f } else { start_params.clone() };
            if settings.polish_iterations > 0 {
                let polish = AdamSettings { schedule: LrSchedule::Constant, ..settings.clone() };
                let (best_p, _, it2) = run_solver(
                    layout,
                    objective,
                    best_f.clone(),
                    like.clone(),
                    prec,
                    &polish,
                    settings.polish_iterations,
                    lr_end,
                    it,
                    every,
                    &history,
                    &progress,
                )?;
                let chosen = if score(&best_p).loss <= score(&best_f).loss { best_p } else { best_f };
                (chosen, term, it + it2)
            } else {
                (best_f, term, it)
            }
        }
        Arithmetic::Mpfr => run_solver(
            layout,
            objective,
            start_params.clone(),
            like.clone(),
            prec,
            settings,
            settings.iterations,
            settings.learning_rate,
            0,
            every,
            &history,
            &progress,
        )?,
    };
    let mut rows = layout.rows_of(&best, prec);
    let before = score(&layout.params_of(&rows));
    let loss_before_rounding = before.loss.to_f64();
    if let Some(target) = settings.representable {
        rows = objective::round_rows(&rows, target);
    }
    let after = score(&layout.params_of(&rows));
    if !after.loss.to_f64().is_finite() {
        return Err(AdamError::Invalid(format!(
            "the final loss is {}: the run diverged; lower the learning rate or start from other rows",
            after.loss.to_f64()
        )));
    }
    // JSON has no infinities: a sample where the loss overflowed is left out.
    let mut history: Vec<(u64, f64)> = history.borrow().iter().copied().filter(|(_, l)| l.is_finite()).collect();
    history.push((iterations, after.loss.to_f64()));
    progress.set_position(iterations);
    Ok(AdamRun {
        rows,
        initial_loss,
        final_loss: after.loss.to_f64(),
        final_objective: after.objective.to_f64(),
        loss_before_rounding,
        history,
        iterations,
        termination,
    })
}

/// One argmin run; returns the best parameters, the termination reason and
/// the iterations done.
#[allow(clippy::too_many_arguments)]
fn run_solver<R: Real + 'static>(
    layout: &Layout,
    objective: &Objective,
    start: Vec<R>,
    like: R,
    prec: u32,
    settings: &AdamSettings,
    iterations: u64,
    lr: f64,
    offset: u64,
    every: u64,
    history: &Rc<RefCell<Vec<(u64, f64)>>>,
    progress: &Rc<dyn Progress>,
) -> Result<(Vec<R>, String, u64), AdamError> {
    let n = start.len();
    let problem = LossProblem { layout, objective, prec, like };
    let solver = AdamSolver {
        current: start.clone(),
        m: vec![0.0; n],
        v: vec![0.0; n],
        step: 0,
        settings: settings.clone(),
        lr0: lr,
        total: iterations,
    };
    let history = History { offset, points: Rc::clone(history) };
    let progress = ProgressObserver { offset, progress: Rc::clone(progress) };
    let result = Executor::new(problem, solver)
        .configure(|s| s.param(start).max_iters(iterations).target_cost(settings.target_loss))
        .add_observer(history, ObserverMode::Every(every))
        .add_observer(progress, ObserverMode::Every(PROGRESS_EVERY))
        .run()
        .map_err(|e| AdamError::Solver(e.to_string()))?;
    let state = result.state();
    let best = state.get_best_param().cloned().ok_or_else(|| AdamError::Solver("no iterate was evaluated".into()))?;
    let reason = state.get_termination_reason().map_or_else(|| "unknown".to_string(), |r| r.to_string());
    Ok((best, reason, state.get_iter()))
}
