//! The `jacobian` command as a user runs it: success and failure paths.

#[path = "../../tests/common/mod.rs"]
mod common;

use assert_cmd::Command;
use common::chainplan;
use predicates::prelude::*;
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    common::json_of("jacobian", args)
}

/// `chainplan jacobian` with `args` split at whitespace.
fn jacobian(args: &str) -> Command {
    let mut cmd = chainplan();
    cmd.arg("jacobian").args(args.split_whitespace());
    cmd
}

#[test]
fn gradient_of_an_mlp_is_reverse_mode() {
    let v = json(&["784", "512", "512", "10", "--seed", "output"]);
    assert_eq!(v["chain_dims"], serde_json::json!([1, 10, 512, 512, 784]));
    let reverse = 10 * 512 + 512 * 512 + 512 * 784;
    let forward = 512 * 512 * 784 + 10 * 512 * 784 + 10 * 784;
    assert_eq!(v["reverse"].as_u64(), Some(reverse));
    assert_eq!(v["forward"].as_u64(), Some(forward));
    assert_eq!(v["optimal"].as_u64(), Some(reverse));
    assert_eq!(v["mode"], "reverse");
    assert_eq!(v["order"], "(((A1A2)A3)A4)");
}

#[test]
fn input_seed_is_forward_mode() {
    let v = json(&[
        "784",
        "512",
        "512",
        "10",
        "--seed",
        "input",
        "--seed-size",
        "2",
    ]);
    assert_eq!(v["chain_dims"], serde_json::json!([10, 512, 512, 784, 2]));
    assert_eq!(v["mode"], "forward");
    let forward = 512 * 784 * 2 + 512 * 512 * 2 + 10 * 512 * 2;
    assert_eq!(v["optimal"].as_u64(), Some(forward));
}

#[test]
fn bottleneck_is_mixed() {
    let v = json(&["784", "512", "1", "512", "512", "10"]);
    assert_eq!(v["mode"], "mixed");
    assert!(v["optimal"].as_u64() < v["reverse"].as_u64());
    assert!(v.get("matrix_free").is_none());
}

#[test]
fn activations_are_priced_as_diagonals() {
    let v = json(&[
        "4",
        "3",
        "3",
        "2",
        "--layers",
        "dense,act,dense",
        "--seed",
        "output",
    ]);
    // S (1×2) · J3 (2×3) · D (3×3 diagonal) · J1 (3×4), left to right: 6 + 3 + 12.
    assert_eq!(v["reverse"].as_u64(), Some(21));
    assert_eq!(
        v["layers"],
        serde_json::json!(["dense", "elementwise", "dense"])
    );
}

#[test]
fn network_widths_need_no_repeats() {
    let layers = ["--layers", "dense,act,dense,act,dense", "--seed", "output"];
    let compact = json(&[&["784", "512", "512", "10"][..], &layers].concat());
    let repeated = json(&[&["784", "512", "512", "512", "512", "10"][..], &layers].concat());
    assert_eq!(compact, repeated);
    assert_eq!(
        compact["widths"],
        serde_json::json!([784, 512, 512, 512, 512, 10])
    );
    // S·W3, ·D2, ·W2, ·D1, ·W1, each a vector product; diagonals cost their width.
    let reverse = 10 * 512 + 512 + 512 * 512 + 512 + 512 * 784;
    assert_eq!(compact["reverse"].as_u64(), Some(reverse));
    // Neither form: the error says how to write the widths.
    common::fails_on(
        &mut jacobian("784 512 512 512 10 --layers dense,act,dense,act,dense"),
        "5 widths do not fit 5 layers (3 dense): write 4 widths",
    );
}

#[test]
fn matrix_free_keys_and_plan() {
    let v = json(&[
        "8",
        "4",
        "4",
        "2",
        "--tangent-costs",
        "32,16,8",
        "--adjoint-costs",
        "96,48,24",
        "--tapes",
        "50,50,50",
        "--memory",
        "100",
    ]);
    let mf = &v["matrix_free"];
    assert_eq!(mf["forward"].as_u64(), Some(8 * (32 + 16 + 8)));
    assert!(mf["reverse"].is_null(), "tape 150 exceeds 100");
    assert!(mf["optimal"].as_u64() <= mf["forward"].as_u64());
    assert!(mf["plan"]["op"].is_string());
    assert!(mf["plan"]["children"].is_array());
    // Spans are written with the elementals' names, as the one-line order is.
    let span = mf["plan"]["span"].as_str().unwrap();
    assert_eq!(span, "F1..F3");
    for key in [
        "chain_dims",
        "forward",
        "reverse",
        "optimal",
        "order",
        "mode",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
}

#[test]
fn tables_by_default() {
    chainplan()
        .args(["jacobian", "784", "512", "1", "512", "512", "10"])
        .assert()
        .success()
        .stdout(predicate::str::contains("optimal: mixed"))
        .stdout(predicate::str::contains("best pure mode / optimum"));
}

#[test]
fn bad_inputs_exit_2_with_one_line() {
    for (args, message) in [
        ("784 0 10", "dimension 2 is 0"),
        ("784", "at least 2"),
        (
            "4 3 --seed-size 3",
            "--seed-size 3 needs --seed input or --seed output",
        ),
        ("784 x", "not a whole number"),
        ("4 3 --seed output --seed-size 0", "seed size is 0"),
        (
            "4 3 2 --layers dense",
            "the layer list has 1 entries but the chain has 2 layers",
        ),
        ("4 3 2 --layers dense,relu", "layer 2 is 'relu'"),
        ("4 3 2 --layers act,dense", "layer 1 is elementwise"),
        (
            "4 3 2 --tangent-costs 1,2,3 --adjoint-costs 1,2",
            "the tangent costs has 3 entries but the chain has 2 layers",
        ),
        (
            "4 3 2 --tangent-costs 1,2 --adjoint-costs 1,-2",
            "entry 2 of the adjoint costs is '-2'",
        ),
        (
            "4 3 2 --tangent-costs 1,2 --adjoint-costs 1,2 --tapes 5,6 --memory 4",
            "no adjoint program fits",
        ),
        (
            "4 3 2 --tangent-costs 1,2 --adjoint-costs 1,2 --tapes 5 --memory 9",
            "the tapes has 1 entries",
        ),
    ] {
        common::fails_on(&mut jacobian(args), message);
    }
}

#[test]
fn usage_errors_exit_2() {
    for (args, needle) in [
        ("4 3 --tangent-costs 1", "--adjoint-costs"),
        (
            "4 3 --tangent-costs 1 --adjoint-costs 1 --memory 5",
            "--tapes",
        ),
        ("4 3 --seed sideways", "sideways"),
        ("", "WIDTHS"),
    ] {
        common::usage_error(&mut jacobian(args), needle);
    }
}
