//! Progress reports from long computations, as a trait the caller implements
//! (a terminal bar, a log, nothing): engines never name a progress-bar crate.
//!
//! ```
//! use std::cell::Cell;
//! use polar_coeffs::progress::Progress;
//!
//! struct Count(Cell<u64>);
//! impl Progress for Count {
//!     fn set_position(&self, done: u64) { self.0.set(done); }
//! }
//! let c = Count(Cell::new(0));
//! c.set_position(7);
//! assert_eq!(c.0.get(), 7);
//! ```

/// Receives progress; every method defaults to doing nothing.
pub trait Progress {
    /// The amount of work, when it becomes known.
    fn set_length(&self, _total: u64) {}
    /// Work done so far.
    fn set_position(&self, _done: u64) {}
    /// What is happening now.
    fn set_message(&self, _message: &str) {}
    /// The work is over (a terminal bar clears itself).
    fn finish(&self) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
