//! What an experiment hands back: its [`Claim`]s, each a [`ClaimKind`], inside
//! a [`FigureOutput`].

use serde::{Deserialize, Serialize};

/// Whether a failed claim is a defect or a reported observation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// Must hold: a mathematical fact or a protocol-independent property that
    /// the engine reproduces. `gdshrink reproduce` exits non-zero if one fails.
    Hard,
    /// The paper's empirical statement, checked against a stated criterion and
    /// reported with its numbers; a failure is a finding, not a defect.
    Observation,
}

/// One checked statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Stable identifier, e.g. `fig2.grey_zone_flow`.
    pub id: String,
    /// Experiment id (`fig2` …).
    pub figure: String,
    /// Hard claim or observation.
    pub kind: ClaimKind,
    /// What the paper or SPEC says.
    pub statement: String,
    /// How it is checked (threshold and range).
    pub criterion: String,
    /// What was measured, in words and numbers.
    pub measured: String,
    /// The numbers behind `measured`.
    pub numbers: serde_json::Value,
    /// Whether the criterion is met.
    pub passed: bool,
}

impl Claim {
    /// Starts a claim: `figure` is taken from the id's prefix. The criterion,
    /// the measurement and the verdict follow:
    ///
    /// ```text
    /// Claim::new("fig2.x", ClaimKind::Hard, "what the paper says")
    ///     .criterion("how it is checked")
    ///     .measured("what was measured", json!({...}))
    ///     .passed_if(ok)
    /// ```
    ///
    /// Until [`Claim::passed_if`] is called the claim does not pass.
    pub fn new(id: &str, kind: ClaimKind, statement: impl Into<String>) -> Self {
        Claim {
            id: id.to_string(),
            figure: id.split('.').next().unwrap_or(id).to_string(),
            kind,
            statement: statement.into(),
            criterion: String::new(),
            measured: String::new(),
            numbers: serde_json::Value::Null,
            passed: false,
        }
    }

    /// Sets how the claim is checked (threshold and range).
    #[must_use]
    pub fn criterion(mut self, criterion: impl Into<String>) -> Self {
        self.criterion = criterion.into();
        self
    }

    /// Sets what was measured, in words and the numbers behind them.
    #[must_use]
    pub fn measured(mut self, text: impl Into<String>, numbers: serde_json::Value) -> Self {
        self.measured = text.into();
        self.numbers = numbers;
        self
    }

    /// Sets the verdict: whether the criterion is met.
    #[must_use]
    pub fn passed_if(mut self, passed: bool) -> Self {
        self.passed = passed;
        self
    }

    /// "pass" or "FAIL".
    pub fn verdict(&self) -> &'static str {
        if self.passed { "pass" } else { "FAIL" }
    }
}

/// What one experiment produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FigureOutput {
    /// Experiment id (`fig6` …).
    pub id: String,
    /// Title.
    pub title: String,
    /// One paragraph: what is shown and how it was computed.
    pub description: String,
    /// Data files, relative to the output directory.
    pub data_files: Vec<String>,
    /// Plots (PNG; an SVG with the same stem sits beside each), relative to the output directory.
    pub plots: Vec<String>,
    /// The checked claims.
    pub claims: Vec<Claim>,
    /// Parameters used.
    pub config: serde_json::Value,
    /// Remarks (conventions, unreachable cases, what differs from the paper).
    pub notes: Vec<String>,
    /// How the spectra were computed, one line each (`top-K (K=128, …) for …`,
    /// `dense SVD (reason) for …`); empty for figures without a large spectrum.
    #[serde(default)]
    pub routes: Vec<String>,
    /// Wall time in seconds.
    pub seconds: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_sets_every_field() {
        let c = Claim::new("fig2.x", ClaimKind::Observation, "s")
            .criterion("c")
            .measured("m", serde_json::json!({"v": 1}))
            .passed_if(true);
        assert_eq!(c.figure, "fig2");
        assert_eq!((c.criterion.as_str(), c.measured.as_str()), ("c", "m"));
        assert_eq!(c.numbers["v"], 1);
        assert_eq!(c.verdict(), "pass");
        assert_eq!(Claim::new("x", ClaimKind::Hard, "s").verdict(), "FAIL");
    }
}
