//! `validate` against golden data from an independent float64 numpy/LAPACK
//! implementation (tests/data/gd_checkpoints.json, copied from the project's
//! golden set): its literally iterated f64 GD, replayed as an engine, must pass
//! the f64 checks — so the SVD reference, the masks and the comparison agree
//! with an implementation that shares no code with this crate.

use gdshrink::gd::{
    Checkpoint, Engine, EngineInfo, GdBatch, LearningRate, NoProgress, Precision, Problem,
    Progress, RunStatus, Strategy, Summation, Trajectory, half_sq_residual,
};
use gdshrink::studies::StudyConfig;
use gdshrink::studies::validate::{ValidateConfig, validate};
use gdshrink::{Activation, Design, Result};
use serde_json::Value;

use crate::common::load;

/// The golden iterates, replayed: f and w at every recorded q.
struct Golden {
    cps: Vec<(u64, Vec<f64>, Vec<f64>)>,
}

impl Engine for Golden {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            label: "golden numpy f64".into(),
            name: "golden numpy f64".into(),
            device: "recorded".into(),
            adapter: None,
            software: false,
            precision: Precision::F64,
            summation: Summation::Plain,
            strategy: Strategy::Primal,
        }
    }

    fn run(
        &self,
        p: &Problem<'_>,
        batch: &GdBatch,
        _progress: &dyn Progress,
    ) -> Result<Trajectory> {
        let checkpoints = batch
            .checkpoints
            .iter()
            .map(|&q| {
                let (_, f, w) = self.cps.iter().find(|c| c.0 == q).expect("recorded q");
                // f on the evaluation grid from the recorded weights (f64).
                let f_eval = p.eval_matrix().map(|ae| {
                    vec![
                        (0..ae.nrows())
                            .map(|i| (0..ae.ncols()).map(|j| ae[(i, j)] * w[j]).sum())
                            .collect(),
                    ]
                });
                Checkpoint {
                    q,
                    f: vec![f.clone()],
                    loss: vec![half_sq_residual(&batch.y[0], f)],
                    w: Some(vec![w.clone()]),
                    f_eval,
                }
            })
            .collect();
        Ok(Trajectory {
            engine: self.info(),
            checkpoints,
            status: vec![RunStatus::Ok],
        })
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn golden_iterates_pass_the_f64_checks() {
    let data = load("gd_checkpoints.json");
    let cases = data["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for c in cases {
        assert_eq!(c["grid"], "linspace");
        let act: Activation = c["activation"].as_str().unwrap().parse().unwrap();
        let n = c["n"].as_u64().unwrap() as usize;
        let m = c["m"].as_u64().unwrap() as usize;
        let d = Design::spec(act)
            .sigma(c["sigma"].as_f64().unwrap())
            .n(n)
            .m(m)
            .build()
            .unwrap();
        let y = floats(&c["y"]);
        let alpha = c["alpha"].as_f64().unwrap();
        let cps: Vec<(u64, Vec<f64>, Vec<f64>)> = c["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| (k["q"].as_u64().unwrap(), floats(&k["f"]), floats(&k["w"])))
            .collect();
        let qs: Vec<u64> = cps.iter().map(|k| k.0).collect();
        let cfg = ValidateConfig::new(StudyConfig::new(d, y, LearningRate::Value(alpha), qs));
        let r = validate(&cfg, &Golden { cps }, &NoProgress).unwrap();
        let label = format!("{act} alpha*s_max^2 = {}", c["alpha_s_max2"]);
        assert!(r.passed, "{label}: {:#?}", r.failures);
        // Independent f64 implementations agree to ~1e-14 in f, ~1e-13 in w.
        for cp in &r.checkpoints {
            assert!(
                cp.engine.f.err < 1e-12,
                "{label} q={} f {}",
                cp.q,
                cp.engine.f.err
            );
            assert!(
                cp.engine.w.err < 1e-10,
                "{label} q={} w {}",
                cp.q,
                cp.engine.w.err
            );
        }
        assert!((r.alpha_s_max2 - c["alpha_s_max2"].as_f64().unwrap()).abs() < 1e-9);
    }
}
