//! Hostile input, generated: invocations of every command (sweep and merge
//! with bad files, folders and overrides too) with values a
//! careless script or a hostile user would pass — sizes and counts at and
//! beyond every bound, values at the f64 limits, negative numbers as
//! separate words, missing files, folders, dangling links, files of NaN,
//! ±1e308 or zeros, unwritable outputs — run under a memory cap with a
//! time limit each. Every invocation must end with exit 0, or with exit 1
//! and a message that names one of the flags or files it was given: never a
//! panic, an abort (a signal, e.g. a failed allocation), a hang (the time
//! limit reached without an announced estimate), or a temporary file left
//! behind.
//!
//! CI runs a seeded subset (`GDSHRINK_HOSTILE_COUNT`, default 150); the full
//! run is
//!
//! ```text
//! GDSHRINK_HOSTILE_COUNT=10000 GDSHRINK_HOSTILE_SEED=1 \
//!   cargo test --release --test it hostile -- --nocapture
//! ```
//!
//! (`GDSHRINK_HOSTILE_MEM_KB` sets the cap, default 8 GiB of address space;
//! `GDSHRINK_HOSTILE_TIMEOUT` the limit per invocation, default 60 s;
//! `GDSHRINK_HOSTILE_BIN` another gdshrink binary to run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Files and folders the hostile values point at.
struct Fixtures {
    dir: PathBuf,
    missing: String,
    folder: String,
    dangling: String,
    empty: String,
    huge: String,
    nan: String,
    zeros: String,
    short: String,
    file: String,
    sweep: String,
    sweep_bad: String,
    sweep_huge: String,
}

impl Fixtures {
    fn new(dir: &Path) -> Self {
        let p = |name: &str| dir.join(name).display().to_string();
        std::fs::create_dir_all(dir.join("folder")).unwrap();
        let n16 = |v: &str| vec![v; 16].join("\n");
        std::fs::write(dir.join("empty.csv"), "").unwrap();
        std::fs::write(dir.join("huge.txt"), n16("1e308")).unwrap();
        std::fs::write(dir.join("nan.txt"), n16("nan")).unwrap();
        std::fs::write(dir.join("zeros.txt"), n16("0")).unwrap();
        std::fs::write(dir.join("short.txt"), "1\n2\n3\n").unwrap();
        std::fs::write(dir.join("plain"), "x").unwrap();
        // Sweep files: a small valid one, one with an unknown key, one whose
        // A cannot fit anywhere.
        let sweep = |body: &str| {
            format!(
                "[fixed]\n{body}\nactivation = \"tanh\"\nsignal = \"blocks\"\ndevice = \"cpu\"\n[checkpoints]\nq = [1, 10]\n"
            )
        };
        std::fs::write(dir.join("sweep.toml"), sweep("n = 16\nm = 16")).unwrap();
        std::fs::write(
            dir.join("sweep-bad.toml"),
            sweep("n = 16\nm = 16\nwidht = 3"),
        )
        .unwrap();
        std::fs::write(
            dir.join("sweep-huge.toml"),
            sweep("n = 1000000000\nm = 1000000000"),
        )
        .unwrap();
        let dangling = dir.join("dangling.csv");
        let _ = std::fs::remove_file(&dangling);
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("nowhere.csv"), &dangling).unwrap();
        Fixtures {
            dir: dir.to_path_buf(),
            missing: p("missing.csv"),
            folder: p("folder"),
            dangling: p("dangling.csv"),
            empty: p("empty.csv"),
            huge: p("huge.txt"),
            nan: p("nan.txt"),
            zeros: p("zeros.txt"),
            short: p("short.txt"),
            file: p("plain"),
            sweep: p("sweep.toml"),
            sweep_bad: p("sweep-bad.toml"),
            sweep_huge: p("sweep-huge.toml"),
        }
    }

    fn data_files(&self) -> Vec<String> {
        vec![
            self.missing.clone(),
            self.folder.clone(),
            self.dangling.clone(),
            self.empty.clone(),
            self.huge.clone(),
            self.nan.clone(),
            self.zeros.clone(),
            self.short.clone(),
        ]
    }

    /// Sweep files a user may hand over: every bad data file and the bad sweeps.
    fn sweep_files(&self) -> Vec<String> {
        let mut v = self.data_files();
        v.extend([
            self.sweep_bad.clone(),
            self.sweep_huge.clone(),
            self.file.clone(),
        ]);
        v
    }

    fn outputs(&self, ext: &str) -> Vec<String> {
        vec![
            format!("/nonexistent-gdshrink/x.{ext}"),
            format!("{}/x.{ext}", self.file),
            self.folder.clone(),
            format!("{}/out/x.{ext}", self.dir.display()),
            "x.xlsx".into(),
            String::new(),
        ]
    }
}

const SIZES: &[&str] = &[
    "0",
    "-1",
    "18446744073709551615",
    "99999999999999999999",
    "1000000000",
    "1000001",
    "40000",
    "1e3",
    "abc",
    "",
];
const COUNTS: &[&str] = &[
    "0",
    "-5",
    "1000000000",
    "18446744073709551615",
    "nan",
    "1.5",
    "100000000",
];
const QS: &[&str] = &[
    "-1",
    "1e12",
    "1e18",
    "1e19",
    "log:1:5:1000000000",
    "log:0:1:1",
    "log:5:1:3",
    "log:1:18446744073709551615:3",
    "nan",
    "inf",
    "1,,2",
    "",
    "0",
];
const ALPHAS: &[&str] = &[
    "-1", "0", "5e-324", "1e-320", "1e308", "inf", "nan", "-inf", "1e-8", "abc", "3",
];
const SIGMAS: &[&str] = &[
    "1e-320", "1e308", "-inf", "-1", "0", "nan", "1e-300", "1e200", "1e150",
];
const REALS: &[&str] = &["-1", "nan", "inf", "-inf", "1e308", "5e-324", "0"];
const ACTIVATIONS: &[&str] = &[
    "spline:8",
    "spline:0",
    "spline:99999999999",
    "relu2",
    "x",
    "",
];

/// One generated invocation: its words, and the names (flags without
/// dashes, file paths) an error message may cite.
struct Invocation {
    args: Vec<String>,
    names: Vec<String>,
}

impl Invocation {
    fn new(cmd: &str) -> Self {
        Invocation {
            args: vec![cmd.into()],
            names: Vec::new(),
        }
    }

    /// Adds a hostile `flag value` pair.
    fn hostile(&mut self, flag: &str, value: &str) {
        self.args.push(flag.into());
        self.args.push(value.into());
        self.names
            .push(flag.trim_start_matches('-').replace('-', " "));
        self.names.push(flag.trim_start_matches('-').to_string());
        if !value.is_empty() {
            self.names.push(value.to_string());
        }
    }

    /// Adds a hostile positional word (a file, a folder, a sweep override
    /// KEY=V): a message may cite the word, or an override's `KEY =`.
    fn positional(&mut self, word: &str) {
        self.args.push(word.into());
        if !word.is_empty() {
            self.names.push(word.into());
        }
        if let Some((key, _)) = word.split_once('=') {
            self.names.push(format!("{} =", key.trim_end_matches('+')));
        }
    }

    /// Adds a harmless `flag value` pair (keeps valid runs short); a
    /// message may cite it as `--flag`, or its path.
    fn base(&mut self, flag: &str, value: &str) {
        if !self.args.iter().any(|a| a == flag) {
            self.args.push(flag.into());
            self.args.push(value.into());
            if flag.starts_with("--") {
                self.names.push(flag.into());
            }
            if value.contains('/') {
                self.names.push(value.into());
            }
        }
    }
}

fn pick<'a>(rng: &mut ChaCha8Rng, v: &'a [&'a str]) -> &'a str {
    v.choose(rng).copied().unwrap_or("")
}

/// The flags only `cmd` has, with their hostile values.
fn extra_flags(cmd: &str) -> &'static [(&'static str, &'static [&'static str])] {
    match cmd {
        "spectrum" => &[("--top", COUNTS), ("--vectors", COUNTS), ("--k", COUNTS)],
        "shrink" => &[("--ridge", REALS), ("--kappa", REALS), ("--pca-k", COUNTS)],
        "qk" => &[("--k-max", COUNTS)],
        "gd" => &[
            ("--eval-points", COUNTS),
            ("--device", &["gpu", "cpu", "tpu"]),
            ("--strategy", &["dual", "matrix-free", "bogus"]),
            ("--adapter", &["", "nosuchadapter", "99"]),
            ("--memory-budget", COUNTS),
        ],
        "validate" => &[
            ("--show-directions", COUNTS),
            ("--eval-points", COUNTS),
            ("--tol-scale", REALS),
            ("--device", &["gpu", "cpu"]),
            ("--suite", &["ci", "bogus"]),
            ("--cpu-check", &["-1", "1e30", "none", "x"]),
        ],
        "compare" => &[
            ("--sizes", COUNTS),
            ("--repeats", COUNTS),
            ("--engines", &["cpu", "gpu", "tpu", ""]),
        ],
        "reproduce" => &[
            ("--width", COUNTS),
            ("--length", COUNTS),
            ("--row", COUNTS),
            ("--only", &["fig6", "fig99", ""]),
            ("--signal", &["blocks", "nosuch"]),
        ],
        "devices" => &[("--adapter", &["", "nosuchadapter", "99"])],
        "sweep" => &[
            ("--shard", &["0/4", "5/4", "1/0", "x", "auto", "", "-1/2"]),
            ("--progress-interval", REALS),
            ("--adapter", &["", "nosuchadapter"]),
        ],
        "penalty" => &[
            (
                "--fit-band",
                &["0:1", "1:0.5", "0.05:1e308", "nan:1", "1e-300:1e-299"],
            ),
            ("--k-band", &["0:10", "1:3", "1:1000000", "5:2", "x", ""]),
            ("--floor", REALS),
        ],
        "design-activation" => &[
            (
                "--penalty",
                &[
                    "power:0",
                    "power:1e308",
                    "power:4:1e-300",
                    "exp:nan",
                    "exp:1e-300",
                    "band:1e308",
                    "band:40",
                    "band:1e-3",
                    "table:",
                    "x",
                    "",
                ],
            ),
            ("--points", &["0", "1000", "1048576", "-1", "nan"]),
            ("--spacing", REALS),
            (
                "--band",
                &["0:1", "1:0.5", "0.1:1e308", "nan:1", "1e-300:1e-299"],
            ),
            ("--k-max", COUNTS),
            ("--compare", ACTIVATIONS),
        ],
        _ => &[],
    }
}

/// Flags with hostile values for `cmd` (every command has its own list).
fn flag_pool(cmd: &str, fx: &Fixtures) -> Vec<(String, Vec<String>)> {
    let own = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    let mut pool: Vec<(String, Vec<String>)> = Vec::new();
    let network = !["devices", "sweep", "merge"].contains(&cmd);
    if network && cmd != "reproduce" {
        pool.push(("-n".into(), own(SIZES)));
        pool.push(("-m".into(), own(SIZES)));
        pool.push(("--sigma".into(), own(SIGMAS)));
        pool.push(("--grid".into(), fx.data_files()));
        pool.push(("--bias-grid".into(), fx.data_files()));
        if cmd != "design-activation" {
            pool.push(("--activation".into(), own(ACTIVATIONS)));
            // Tabulated activations from every bad file.
            pool.push((
                "--activation".into(),
                fx.data_files()
                    .iter()
                    .map(|f| format!("table:{f}"))
                    .collect(),
            ));
        }
    }
    if ["shrink", "gd", "validate", "compare"].contains(&cmd) {
        pool.push(("--q".into(), own(QS)));
        pool.push(("--alpha".into(), own(ALPHAS)));
        pool.push(("--signal".into(), fx.data_files()));
    }
    if [
        "spectrum", "shrink", "qk", "gd", "validate", "compare", "penalty",
    ]
    .contains(&cmd)
    {
        pool.push(("--out".into(), fx.outputs("npy")));
        pool.push(("--out".into(), fx.outputs("csv")));
    }
    let extra = extra_flags(cmd);
    for (flag, values) in extra {
        pool.push(((*flag).to_string(), own(values)));
    }
    match cmd {
        "validate" | "penalty" => pool.push(("--plot".into(), fx.outputs("png"))),
        "sweep" | "merge" => pool.push((
            "--out".into(),
            vec![
                fx.file.clone(),
                format!("{}/x", fx.file),
                "/nonexistent-gdshrink/x".into(),
            ],
        )),
        "reproduce" => {
            pool.push(("--image".into(), fx.data_files()));
            pool.push(("--out".into(), vec![fx.file.clone(), fx.folder.clone()]));
        }
        "design-activation" => {
            pool.push(("--save".into(), fx.outputs("csv")));
            pool.push((
                "--penalty".into(),
                fx.data_files()
                    .iter()
                    .map(|f| format!("table:{f}"))
                    .collect(),
            ));
        }
        _ => {}
    }
    pool
}

/// The `i`-th invocation of a seeded run: one to three hostile flags on a
/// command, the rest small and valid.
fn generate(rng: &mut ChaCha8Rng, fx: &Fixtures) -> Invocation {
    const COMMANDS: &[&str] = &[
        "spectrum",
        "shrink",
        "qk",
        "gd",
        "validate",
        "compare",
        "reproduce",
        "devices",
        "design-activation",
        "penalty",
        "sweep",
        "merge",
    ];
    /// Overrides of a sweep file: out-of-range, unknown, malformed.
    const OVERRIDES: &[&str] = &[
        "n=1e12",
        "m=-1",
        "m=4000000000",
        "n=100000000",
        "q=log:1:5:1000000000",
        "q=-1",
        "k=0",
        "sigma=nan",
        "activation=bogus",
        "alpha=inf",
        "nosuchkey=1",
        "m+=abc",
        "signal=/nonexistent/y.csv",
        "device=tpu",
        "memory_budget=-1",
        "=1",
        "m",
    ];
    let cmd = pick(rng, COMMANDS);
    let mut inv = Invocation::new(cmd);
    match cmd {
        "sweep" => {
            // The file (hostile one time in three), then 0–2 hostile overrides.
            if rng.random_range(0..3) == 0 {
                let f = fx.sweep_files();
                inv.positional(&f[rng.random_range(0..f.len())]);
            } else {
                inv.positional(&fx.sweep);
            }
            for _ in 0..rng.random_range(0..=2) {
                inv.positional(pick(rng, OVERRIDES));
            }
        }
        "merge" => {
            let mut dirs = fx.data_files();
            dirs.extend([fx.file.clone(), fx.sweep.clone()]);
            for _ in 0..rng.random_range(1..=2) {
                inv.positional(&dirs[rng.random_range(0..dirs.len())]);
            }
        }
        _ => {}
    }
    let pool = flag_pool(cmd, fx);
    // sweep and merge already have their hostile positional words.
    let lo = usize::from(!["sweep", "merge"].contains(&cmd));
    let k = rng.random_range(lo..=3usize).min(pool.len());
    for _ in 0..k {
        let (flag, values) = &pool[rng.random_range(0..pool.len())];
        let v = values.choose(rng).cloned().unwrap_or_default();
        inv.hostile(flag, &v);
    }
    match cmd {
        "spectrum" | "shrink" | "qk" | "gd" | "validate" | "compare" | "penalty" => {
            inv.base("-n", "16");
            inv.base("-m", "16");
            if !["spectrum", "qk", "penalty"].contains(&cmd) {
                inv.base("--q", "1,10");
            }
            if cmd == "qk" {
                inv.base("--k-max", "4");
                inv.base("--activation", "tanh");
            }
            if cmd == "validate" {
                inv.base("--device", "cpu");
            }
            if cmd == "compare" {
                inv.base("--engines", "cpu");
            }
        }
        "design-activation" => {
            inv.base("--penalty", "power:4");
            inv.base("--save", &fx.dir.join("designed.csv").display().to_string());
            inv.base("--points", "256");
            inv.base("-n", "16");
            inv.base("-m", "16");
            inv.base("--k-max", "4");
            inv.base("--q", "1,10");
        }
        "sweep" => {
            let out = fx.dir.join(format!("sweeps/{}", rng.random::<u64>()));
            inv.base("--out", &out.display().to_string());
        }
        "reproduce" => {
            inv.base("--only", "fig6");
            inv.base("--out", &fx.dir.join("repro").display().to_string());
            inv.args.push("--quick".into());
            inv.args.push("--no-progress".into());
        }
        _ => {}
    }
    inv
}

/// How one invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Success,
    /// Long work that announced its estimate, stopped after a grace period.
    Announced,
    Refused,
    RefusedUnnamed,
    Panic,
    Abort,
    Hang,
    Leftover,
}

fn run_one(bin: &Path, inv: &Invocation, cwd: &Path, limits: (u64, Duration)) -> (Outcome, String) {
    let (mem_kb, timeout) = limits;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {mem_kb}; exec \"$0\" \"$@\""))
        .arg(bin)
        .args(&inv.args)
        .current_dir(cwd)
        .env("GDSHRINK_PROGRESS_SECS", "1000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(k) = std::io::Read::read(&mut stderr, &mut buf) {
            if k == 0 {
                break;
            }
            if let Ok(mut s) = sink.lock() {
                s.push_str(&String::from_utf8_lossy(&buf[..k]));
            }
        }
    });
    let start = Instant::now();
    let mut announced: Option<Instant> = None;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if announced.is_none() && text.lock().is_ok_and(|s| s.contains("estimate:")) {
            announced = Some(Instant::now());
        }
        // Long work that announced itself is not a hang: stop it after a
        // grace period instead of waiting for the time limit.
        let grace = announced.is_some_and(|t| t.elapsed() > Duration::from_secs(2));
        if grace || start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = reader.join();
    let err = text.lock().map(|s| s.clone()).unwrap_or_default();
    let outcome = match status {
        None if err.contains("estimate:") => Outcome::Announced,
        None => Outcome::Hang,
        Some(_) if err.contains("panicked") => Outcome::Panic,
        Some(st) if st.success() => Outcome::Success,
        // 1: refused at run time; 2: refused by the flag parser.
        Some(st) if st.code() == Some(1) || st.code() == Some(2) => {
            let lower = err.to_lowercase();
            if inv.names.iter().any(|n| lower.contains(&n.to_lowercase())) {
                Outcome::Refused
            } else {
                Outcome::RefusedUnnamed
            }
        }
        Some(_) => Outcome::Abort,
    };
    (outcome, err)
}

/// Temporary files (`.NAME.tmp-PID-N`) left anywhere under `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            } else if e.file_name().to_string_lossy().contains(".tmp-") {
                out.push(p);
            }
        }
    }
    out
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn hostile_invocations_never_panic_abort_hang_or_leave_partial_files() {
    let count: usize = env_or("GDSHRINK_HOSTILE_COUNT", 150);
    let seed: u64 = env_or("GDSHRINK_HOSTILE_SEED", 13);
    let limits = (
        env_or("GDSHRINK_HOSTILE_MEM_KB", 8u64 << 20),
        Duration::from_secs(env_or("GDSHRINK_HOSTILE_TIMEOUT", 60)),
    );
    let bin = std::env::var_os("GDSHRINK_HOSTILE_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_gdshrink")),
        PathBuf::from,
    );
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixtures::new(dir.path());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let invocations: Vec<Invocation> = (0..count).map(|_| generate(&mut rng, &fx)).collect();
    let mut tally: BTreeMap<Outcome, usize> = BTreeMap::new();
    let mut bad: Vec<String> = Vec::new();
    let cwd = dir.path().join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    for inv in &invocations {
        let (mut outcome, err) = run_one(&bin, inv, &cwd, limits);
        let left = leftovers(dir.path());
        if !left.is_empty() {
            outcome = Outcome::Leftover;
            for p in &left {
                let _ = std::fs::remove_file(p);
            }
        }
        *tally.entry(outcome).or_default() += 1;
        if !matches!(
            outcome,
            Outcome::Success | Outcome::Announced | Outcome::Refused
        ) {
            bad.push(format!(
                "{outcome:?}: gdshrink {}\n  {}",
                inv.args.join(" "),
                err.trim().lines().last().unwrap_or("")
            ));
        }
    }
    eprintln!("hostile invocations (seed {seed}): {count} run: {tally:?}");
    for b in &bad {
        eprintln!("{b}");
    }
    assert!(
        bad.is_empty(),
        "{} of {count} invocations misbehaved",
        bad.len()
    );
}
