//! `chainplan grad` as a user runs it: success paths (tables, trace, DOT, JSON) and bad input
//! (one `error:` line on stderr, exit status 2, no panic).

#[path = "../../tests/common/mod.rs"]
mod common;

use predicates::prelude::*;

fn grad(args: &[&str]) -> assert_cmd::assert::Assert {
    common::chainplan().arg("grad").args(args).assert()
}

#[test]
fn lecture_example_tables() {
    let out = grad(&["x^3*(x+3*y)", "--at", "x=2,y=3"]).success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let row = |label: &str| {
        text.lines()
            .find(|l| l.contains(label))
            .unwrap_or_else(|| panic!("no row {label} in\n{text}"))
            .split('│')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    // Value and gradient, by both modes: 88, 140, 24 (worked by hand in the lecture).
    assert_eq!(row("│ f ")[1..], ["88", "88"]);
    assert_eq!(row("∂f/∂x")[1..], ["140", "140"]);
    assert_eq!(row("∂f/∂y")[1..], ["24", "24"]);
    // The cost table names the sweeps of each mode.
    assert!(row("│ forward │")[1].starts_with("2 tangent sweeps"));
    assert!(row("│ reverse │")[1].contains("1 adjoint sweep"));
}

#[test]
fn json_has_the_documented_keys() {
    let v = common::json_of("grad", &["x^3*(x+3*y)", "--at", "x=2", "--at", "y=3"]);
    assert_eq!(v["value"], 88.0);
    assert_eq!(v["gradient"]["x"], 140.0);
    assert_eq!(v["gradient"]["y"], 24.0);
    assert_eq!(v["forward"]["sweeps"], 2);
    assert_eq!(v["reverse"]["sweeps"], 1);
    let f = v["function_operations"].as_u64().unwrap();
    for mode in ["forward", "reverse"] {
        let ops = v[mode]["operations"].as_u64().unwrap();
        assert!(ops > f, "{mode}: a gradient costs more than the function");
        let ratio = v[mode]["ratio"].as_f64().unwrap();
        assert!((ratio - ops as f64 / f as f64).abs() < 1e-12);
    }
}

#[test]
fn wide_function_json_shows_the_gap() {
    let n = 100;
    let expr = (1..=n)
        .map(|i| format!("x{i}^2"))
        .collect::<Vec<_>>()
        .join("+");
    let at = (1..=n)
        .map(|i| format!("x{i}={i}"))
        .collect::<Vec<_>>()
        .join(",");
    let v = common::json_of("grad", &[&expr, "--at", &at]);
    assert_eq!(v["gradient"]["x37"], 74.0);
    assert!(v["reverse"]["ratio"].as_f64().unwrap() <= 5.0);
    assert!(v["forward"]["ratio"].as_f64().unwrap() >= n as f64);
}

#[test]
fn trace_shows_both_passes() {
    let out = grad(&["x^3*(x+3*y)", "--at", "x=2,y=3", "--trace"]).success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("Forward pass"));
    assert!(text.contains("Backward pass"));
    // The forward pass lists x^3 with its value; the backward pass sums x's two uses:
    // 8 × 1 through x + 3y and 11 × 12 through x^3.
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap()
            .to_string()
    };
    assert!(line("│ x ^ 3").contains("│ 8 "));
    let x_adjoint = text
        .lines()
        .skip_while(|l| !l.contains("Backward pass"))
        .find(|l| l.starts_with("│ x "))
        .unwrap();
    assert!(x_adjoint.contains("140"), "{x_adjoint}");
    assert!(
        x_adjoint.contains("8 × 1") && x_adjoint.contains("11 × 12"),
        "{x_adjoint}"
    );
}

#[test]
fn dot_is_a_digraph_with_partials_on_edges() {
    grad(&["x^3*(x+3*y)", "--at", "x=2,y=3", "--dot"])
        .success()
        .stdout(predicate::str::starts_with("digraph grad {"))
        .stdout(predicate::str::contains("v4 = v1 * v3\\n= 88"))
        .stdout(predicate::str::contains("[label=\"12\"]"))
        .stdout(predicate::str::ends_with("}\n"));
}

#[test]
fn leading_minus_is_an_expression_not_a_flag() {
    let v = common::json_of("grad", &["-x^2", "--at", "x=3"]);
    assert_eq!(v["value"], -9.0);
    assert_eq!(v["gradient"]["x"], -6.0);
}

#[test]
fn bad_input_exits_2_with_one_line() {
    assert_eq!(
        common::fails(&["grad", "sin(x+)", "--at", "x=1"], "unexpected"),
        "error: unexpected ')' at column 7\n"
    );
    let deep = format!("{}x{}", "(".repeat(5000), ")".repeat(5000));
    for (expr, at, message) in [
        ("x*y", "x=1", "variable 'y' has no value"),
        ("x", "x=1,z=2", "variable 'z' does not appear"),
        ("foo(x)", "x=1", "unknown function 'foo' at column 1"),
        ("x+1.2.3", "x=1", "malformed number '1.2.3' at column 3"),
        ("x+1", "x=1e", "malformed number '1e' at column 3"),
        ("x+1", "x", "expected NAME=VALUE"),
        ("log(x)", "x=-1", "log needs a positive argument, got -1"),
        ("1/(x-2)", "x=2", "division by zero at column 2"),
        ("sqrt(x)", "x=0", "not differentiable"),
        ("exp(x)", "x=1000", "overflows"),
        ("", "x=1", "empty expression"),
        (&deep, "x=1", "nested more than"),
    ] {
        common::fails(&["grad", expr, "--at", at], message);
    }
}

#[test]
fn help_shows_examples() {
    grad(&["--help"])
        .success()
        .stdout(predicate::str::contains(
            "chainplan grad 'x^3*(x+3*y)' --at x=2,y=3",
        ))
        .stdout(predicate::str::contains("--trace"))
        .stdout(predicate::str::contains("--dot"));
}
