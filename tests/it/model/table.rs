//! Tabulated activations (`table:FILE`): the file formats, the identity of a
//! table (name, content digest, a changed file refused), the interpolation
//! against its rule, and a clear error for every bad table.

use std::path::{Path, PathBuf};

use gdshrink::output::array::write_npy;
use gdshrink::{Activation, Design, Error};

use crate::common::write_table;

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tables");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}-{name}", std::process::id()))
}

fn parse(path: &Path) -> gdshrink::Result<Activation> {
    format!("table:{}", path.display()).parse()
}

fn err(path: &Path) -> String {
    parse(path).unwrap_err().to_string()
}

#[test]
fn csv_and_npy_give_the_same_table() {
    let with_header = scratch("h.csv");
    std::fs::write(&with_header, "z,eta\n-1,0\n0,1\n\n1,4\n").unwrap();
    let bare = scratch("bare.csv");
    std::fs::write(&bare, " -1 , 0\n0,1\n1,4\n").unwrap();
    let c_order = scratch("c.npy");
    write_npy(&c_order, &[3, 2], &[-1.0, 0.0, 0.0, 1.0, 1.0, 4.0]).unwrap();
    let a = parse(&with_header).unwrap();
    for p in [&bare, &c_order] {
        assert_eq!(parse(p).unwrap(), a, "{}", p.display());
    }
    // The same content is one table, named by the first path it was read from.
    assert_eq!(a.name(), format!("table:{}", with_header.display()));
    assert_eq!(a.eval(0.5), 2.5);
    assert_eq!(a.eval(-7.0), 0.0);
    assert_eq!(a.eval(7.0), 4.0);
    assert_eq!(a.base_name(), "table");
    assert_eq!(a.order(), None);
    assert_eq!(a.class(), gdshrink::model::Monotonicity::Monotonic);
}

#[test]
fn names_round_trip_and_the_digest_follows_the_content() {
    let path = scratch("changing.csv");
    std::fs::write(&path, "z,eta\n0,0\n1,1\n2,0\n").unwrap();
    let a = parse(&path).unwrap();
    let id = a.id_name();
    assert!(
        id.starts_with(&format!("table:{}@sha256:", path.display())),
        "{id}"
    );
    assert_eq!(id.parse::<Activation>().unwrap(), a);
    assert_eq!(a.name().parse::<Activation>().unwrap(), a);
    // Serialized as its name (JSON reports), read back by parsing.
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(serde_json::from_str::<Activation>(&json).unwrap(), a);
    // The file changes: a new table, a new id, and the old id is refused.
    std::fs::write(&path, "z,eta\n0,0\n1,2\n2,0\n").unwrap();
    let b = parse(&path).unwrap();
    assert_ne!(a, b);
    assert_ne!(b.id_name(), id);
    let e = id.parse::<Activation>().unwrap_err().to_string();
    assert!(e.contains("changed") && e.contains("changing.csv"), "{e}");
}

#[test]
fn bad_tables_name_the_file_and_the_rule() {
    let cases: [(&str, &str, &str); 7] = [
        ("unsorted.csv", "0,1\n2,1\n1,1\n", "unsorted"),
        ("dup.csv", "0,1\n1,1\n1,2\n", "duplicate z"),
        ("nan.csv", "0,1\n1,nan\n2,1\n", "eta = NaN at row 2"),
        ("inf.csv", "0,1\n1,1\ninf,1\n", "z = inf at row 3"),
        ("short.csv", "z,eta\n0,1\n", "1 points"),
        ("gappy.csv", "0,1\n1,1\n3,1\n", "uniformly spaced"),
        ("cols.csv", "0,1\n1,1,1\n", "not two numbers"),
    ];
    for (name, text, want) in cases {
        let p = scratch(name);
        std::fs::write(&p, text).unwrap();
        let e = err(&p);
        assert!(e.contains(want) && e.contains(name), "{name}: {e}");
    }
    // What is allowed is stated with the rule.
    let e = err(&scratch("short.csv"));
    assert!(
        e.contains("2 to 1048576 points") && e.contains("z,eta"),
        "{e}"
    );
    let three = scratch("three.npy");
    write_npy(&three, &[2, 3], &[0.0; 6]).unwrap();
    assert!(err(&three).contains("expected (n, 2)"), "{}", err(&three));
    let missing = scratch("missing.csv");
    let e = err(&missing);
    assert!(
        e.contains("no such file") && e.contains("table:FILE"),
        "{e}"
    );
    let txt = scratch("t.txt");
    std::fs::write(&txt, "0 1\n1 1\n").unwrap();
    assert!(err(&txt).contains(".npy of shape (n, 2)"), "{}", err(&txt));
    assert!(matches!(
        "table:".parse::<Activation>(),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn a_table_of_a_builtin_gives_its_design_matrix() {
    // Linear interpolation of tanh on h = 1/256: |error| ≤ h²/8·max|tanh''| ≈ 1.5e-6.
    let t = write_table("tanh.npy", -8.0, 1.0 / 256.0, 4097, f64::tanh);
    let build = |a| Design::spec(a).sigma(7.0).n(40).m(60).build().unwrap();
    let (at, ab) = (build(t).matrix(), build(Activation::Tanh).matrix());
    let mut worst = 0.0f64;
    for i in 0..40 {
        for j in 0..60 {
            worst = worst.max((at[(i, j)] - ab[(i, j)]).abs());
        }
    }
    let bound = (1.0f64 / 256.0).powi(2) / 8.0 * 0.77;
    assert!(worst <= bound, "{worst:e} > {bound:e}");
}
