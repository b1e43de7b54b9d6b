//! The autodiff engine against oracles: the lecture's hand-computed numbers, closed-form
//! gradients, hand counts of operations from the documented definition, and central finite
//! differences of an evaluator written here, on random expressions.

use chainplan::autodiff::Error;
use chainplan::autodiff::{evaluate, forward, reverse, Tape};
use proptest::prelude::*;

fn both(
    src: &str,
    point: &[f64],
) -> (
    chainplan::autodiff::Derivatives,
    chainplan::autodiff::Derivatives,
) {
    let tape = Tape::parse(src).unwrap();
    let f = forward(&tape, point).unwrap();
    let r = reverse(&tape, point).unwrap().derivatives;
    (f, r)
}

#[test]
fn lecture_example_exactly() {
    // F(x, y) = x³(x + 3y) at (2, 3): F = 8·11 = 88, ∂F/∂x = 3x²·s + c = 12·11 + 8 = 140,
    // ∂F/∂y = 3c = 24. All intermediate values are small integers, so the results are exact.
    let tape = Tape::parse("x^3*(x+3*y)").unwrap();
    let point = tape
        .point(&[("y".to_string(), 3.0), ("x".to_string(), 2.0)])
        .unwrap();
    assert_eq!(point, vec![2.0, 3.0]);
    let f = forward(&tape, &point).unwrap();
    let r = reverse(&tape, &point).unwrap();
    for d in [&f, &r.derivatives] {
        assert_eq!(d.value, 88.0);
        assert_eq!(d.gradient, vec![140.0, 24.0]);
    }
    assert_eq!(f.sweeps, 2);
    assert_eq!(r.derivatives.sweeps, 1);
}

#[test]
fn lecture_example_operation_counts_by_hand() {
    // From the definition (module docs of chainplan::autodiff), for x^3*(x+3*y):
    // evaluation: x^3, 3*y, x+v2, v1*v3                                         = 4
    // reverse: 4 (evaluation) + 3 (∂(x^3)/∂x = 3·x^(3−1): sub, pow, mul; the other partials
    //   are operands or ±1, free) + backward: v4→v1, v4→v3, v3→x, v3→v2, v2→y one multiply
    //   each, v1→x a multiply and an add into x's adjoint                       = 4 + 3 + 7 = 14
    // forward, x sweep: 4 + (3 + 1) for v1 + 1 for v3 + (2 + 1) for v4          = 12
    //          y sweep: 4 + 1 for v2 + 1 for v3 + 1 for v4                       = 7
    let tape = Tape::parse("x^3*(x+3*y)").unwrap();
    assert_eq!(evaluate(&tape, &[2.0, 3.0]).unwrap().operations, 4);
    assert_eq!(
        reverse(&tape, &[2.0, 3.0]).unwrap().derivatives.operations,
        14
    );
    assert_eq!(forward(&tape, &[2.0, 3.0]).unwrap().operations, 19);
}

#[test]
fn shared_subexpressions_are_evaluated_once() {
    // sin(x) appears three times but is one node: sin, mul, add = 3 operations.
    let tape = Tape::parse("sin(x)*sin(x)+sin(x)").unwrap();
    assert_eq!(evaluate(&tape, &[0.7]).unwrap().operations, 3);
    let (f, r) = both("sin(x)*sin(x)+sin(x)", &[0.7]);
    let want = 2.0 * 0.7f64.sin() * 0.7f64.cos() + 0.7f64.cos();
    assert!((f.gradient[0] - want).abs() < 1e-14);
    assert!((r.gradient[0] - want).abs() < 1e-14);
}

fn sum_of_squares(n: usize) -> String {
    (1..=n)
        .map(|i| format!("x{i}^2"))
        .collect::<Vec<_>>()
        .join(" + ")
}

#[test]
fn wide_function_reverse_stays_within_a_constant_forward_grows_with_inputs() {
    for n in [10, 100] {
        let tape = Tape::parse(&sum_of_squares(n)).unwrap();
        let point: Vec<f64> = (1..=n).map(|i| i as f64 / 10.0).collect();
        let fun = evaluate(&tape, &point).unwrap().operations;
        assert_eq!(fun, (2 * n - 1) as u64); // n squares, n − 1 additions
        let f = forward(&tape, &point).unwrap();
        let r = reverse(&tape, &point).unwrap().derivatives;
        for (i, x) in point.iter().enumerate() {
            assert!((f.gradient[i] - 2.0 * x).abs() < 1e-12);
            assert!((r.gradient[i] - 2.0 * x).abs() < 1e-12);
        }
        // Reverse mode: within a small constant of the function, whatever n.
        assert!(
            r.operations <= 5 * fun,
            "n={n}: {} > 5 × {fun}",
            r.operations
        );
        // Forward mode: every sweep re-evaluates the function, so at least n evaluations.
        assert!(
            f.operations >= n as u64 * fun,
            "n={n}: {} < {n} × {fun}",
            f.operations
        );
        assert_eq!((f.sweeps, r.sweeps), (n, 1));
    }
}

#[test]
fn product_chain_ratio() {
    let n = 100;
    let src = (1..=n)
        .map(|i| format!("x{i}"))
        .collect::<Vec<_>>()
        .join("*");
    let tape = Tape::parse(&src).unwrap();
    // Values near 1 keep the product representable: x_i = 1 + i/1000.
    let point: Vec<f64> = (1..=n).map(|i| 1.0 + i as f64 / 1000.0).collect();
    let product: f64 = point.iter().product();
    let fun = evaluate(&tape, &point).unwrap().operations;
    assert_eq!(fun, (n - 1) as u64);
    let f = forward(&tape, &point).unwrap();
    let r = reverse(&tape, &point).unwrap().derivatives;
    for (i, x) in point.iter().enumerate() {
        let want = product / x;
        assert!((r.gradient[i] - want).abs() <= 1e-12 * want.abs() * n as f64);
        assert!((f.gradient[i] - want).abs() <= 1e-12 * want.abs() * n as f64);
    }
    assert!(r.operations <= 4 * fun);
    assert!(f.operations >= n as u64 * fun);
}

fn domain_error(src: &str, point: &[f64]) -> (String, usize) {
    let tape = Tape::parse(src).unwrap();
    let e = reverse(&tape, point).unwrap_err();
    // Forward mode and plain evaluation apply the same policy.
    assert!(forward(&tape, point).is_err(), "{src}");
    match e {
        Error::Domain { column, .. } => (e.to_string(), column),
        other => panic!("{src}: expected a domain error, got {other:?}"),
    }
}

#[test]
fn domain_policy_is_a_clear_error_never_nan() {
    let (msg, col) = domain_error("1 + 1/(x-2)", &[2.0]);
    assert_eq!(col, 6);
    assert!(msg.starts_with("division by zero at column 6"), "{msg}");
    // Variables come in order of first appearance: y, then x.
    let (msg, col) = domain_error("y*log(x)", &[1.0, -1.0]);
    assert_eq!(col, 3);
    assert!(
        msg.contains("log needs a positive argument, got -1"),
        "{msg}"
    );
    assert!(domain_error("log(x)", &[0.0])
        .0
        .contains("log needs a positive"));
    assert!(domain_error("sqrt(x)", &[-4.0]).0.contains("non-negative"));
    assert!(domain_error("x^0.5", &[-4.0]).0.contains("whole exponent"));
    assert!(domain_error("x^-1", &[0.0]).0.contains("negative power"));
    assert!(domain_error("exp(x)", &[800.0]).0.contains("overflows"));
    assert!(domain_error("x*x*x", &[1e200]).0.contains("overflows"));
    // Defined but not differentiable: an infinite or undefined derivative is an error too.
    assert!(domain_error("sqrt(x)", &[0.0])
        .0
        .contains("not differentiable"));
    assert!(domain_error("x^0.5", &[0.0])
        .0
        .contains("not differentiable"));
    assert!(domain_error("2^x + x^x", &[-2.0])
        .0
        .contains("positive base"));
    // Evaluation alone reports the same errors.
    let tape = Tape::parse("log(x)").unwrap();
    assert!(matches!(
        evaluate(&tape, &[-1.0]),
        Err(Error::Domain { .. })
    ));
}

#[test]
fn documented_conventions() {
    // abs'(0) = 0, as a central difference gives.
    let (f, r) = both("abs(x)", &[0.0]);
    assert_eq!((f.gradient[0], r.gradient[0]), (0.0, 0.0));
    // A negative base with a whole exponent is fine, as is a constant exponent over base 0.
    let (f, r) = both("x^3", &[-2.0]);
    assert_eq!((f.value, f.gradient[0], r.gradient[0]), (-8.0, 12.0, 12.0));
    let (f, r) = both("x^2 + x^0", &[0.0]);
    assert_eq!((f.value, f.gradient[0], r.gradient[0]), (1.0, 0.0, 0.0));
    // The derivative overflows although every value and local partial is finite.
    let tape = Tape::parse("exp(x)*exp(x)").unwrap();
    // e^(2·354.7) fits a float, its derivative 2·e^(2·354.7) does not.
    for e in [
        forward(&tape, &[354.7]).unwrap_err(),
        reverse(&tape, &[354.7]).unwrap_err(),
    ] {
        assert!(
            matches!(e, Error::DerivativeOverflow { ref variable, .. } if variable == "x"),
            "{e}"
        );
    }
}

#[test]
fn expressions_without_variables() {
    let (f, r) = both("2^10 - 24", &[]);
    assert_eq!((f.value, r.value), (1000.0, 1000.0));
    assert!(f.gradient.is_empty() && r.gradient.is_empty());
    assert_eq!((f.sweeps, r.sweeps), (0, 0));
    assert_eq!(f.operations, 2);
}

#[test]
fn bindings_are_checked() {
    let tape = Tape::parse("x*y").unwrap();
    let b = |v: &[(&str, f64)]| -> Vec<(String, f64)> {
        v.iter().map(|(n, x)| (n.to_string(), *x)).collect()
    };
    assert!(matches!(
        tape.point(&b(&[("x", 1.0)])),
        Err(Error::MissingVariable { name, .. }) if name == "y"
    ));
    assert!(matches!(
        tape.point(&b(&[("x", 1.0), ("y", 2.0), ("z", 3.0)])),
        Err(Error::UnknownVariable { name, .. }) if name == "z"
    ));
    assert!(matches!(
        tape.point(&b(&[("x", 1.0), ("x", 2.0)])),
        Err(Error::DuplicateVariable { .. })
    ));
    assert!(forward(&tape, &[1.0]).is_err());
}

// ---------------------------------------------------------------------------------------
// Random expressions against central finite differences.
//
// The generator builds trees whose operations stay in their domains by construction
// (divisors ≥ 1, log and sqrt arguments ≥ 0.5, powers with a fractional exponent over a base
// ≥ 1, exp and tan of bounded arguments). Cases whose intermediate values grow beyond 1e3 or
// that come within 0.05 of the kink of abs are discarded: near those the finite difference,
// not the program, is what fails.

#[derive(Debug, Clone)]
enum E {
    C(f64),
    V(usize),
    Neg(Box<E>),
    Bin(char, Box<E>, Box<E>),
    Fun(&'static str, Box<E>),
    PowFn(Box<E>, Box<E>),
}

const NAMES: [&str; 3] = ["x", "y", "z"];

fn b(e: E) -> Box<E> {
    Box::new(e)
}

fn bin(op: char, l: E, r: E) -> E {
    E::Bin(op, b(l), b(r))
}

fn one_plus_square(a: E, c: f64) -> E {
    bin('+', E::C(c), bin('*', a.clone(), a))
}

fn render(e: &E) -> String {
    match e {
        E::C(v) => format!("{v}"),
        E::V(i) => NAMES[*i].to_string(),
        E::Neg(a) => format!("(-{})", render(a)),
        E::Bin(op, l, r) => format!("({} {op} {})", render(l), render(r)),
        E::Fun(f, a) => format!("{f}({})", render(a)),
        E::PowFn(l, r) => format!("pow({}, {})", render(l), render(r)),
    }
}

/// The same tree with as few parentheses as the grammar allows (precedence: `+ -` 1, `* /` 2,
/// unary minus 3, `^` 4, atoms 5), and its precedence level.
fn render_min(e: &E) -> (String, u8) {
    let wrap = |e: &E, min: u8| {
        let (s, p) = render_min(e);
        if p >= min {
            s
        } else {
            format!("({s})")
        }
    };
    match e {
        E::C(_) | E::V(_) | E::Fun(..) | E::PowFn(..) => (render(e), 5),
        E::Neg(a) => (format!("-{}", wrap(a, 3)), 3),
        E::Bin('^', l, r) => (format!("{}^{}", wrap(l, 5), wrap(r, 3)), 4),
        E::Bin(op @ ('*' | '/'), l, r) => (format!("{}{op}{}", wrap(l, 2), wrap(r, 3)), 2),
        E::Bin(op, l, r) => (format!("{}{op}{}", wrap(l, 1), wrap(r, 2)), 1),
    }
}

/// The test's own evaluator; tracks the largest magnitude and the closest approach to abs's
/// kink.
struct Sanity {
    max_abs: f64,
    min_kink: f64,
}

fn eval(e: &E, p: &[f64; 3], s: &mut Sanity) -> f64 {
    let v = match e {
        E::C(v) => *v,
        E::V(i) => p[*i],
        E::Neg(a) => -eval(a, p, s),
        E::Bin(op, l, r) => {
            let (l, r) = (eval(l, p, s), eval(r, p, s));
            match op {
                '+' => l + r,
                '-' => l - r,
                '*' => l * r,
                '/' => l / r,
                _ => l.powf(r),
            }
        }
        E::PowFn(l, r) => eval(l, p, s).powf(eval(r, p, s)),
        E::Fun(f, a) => {
            let a = eval(a, p, s);
            match *f {
                "sin" => a.sin(),
                "cos" => a.cos(),
                "tan" => a.tan(),
                "exp" => a.exp(),
                "log" => a.ln(),
                "sqrt" => a.sqrt(),
                "tanh" => a.tanh(),
                _ => {
                    s.min_kink = s.min_kink.min(a.abs());
                    a.abs()
                }
            }
        }
    };
    s.max_abs = s.max_abs.max(v.abs());
    if !v.is_finite() {
        s.max_abs = f64::INFINITY;
    }
    v
}

fn expr() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![
        (1u32..300).prop_map(|k| E::C(k as f64 / 100.0)),
        (0usize..3).prop_map(E::V),
    ];
    leaf.prop_recursive(6, 64, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| bin('+', l, r)),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| bin('-', l, r)),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| bin('*', l, r)),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| bin('/', l, one_plus_square(r, 1.0))),
            inner.clone().prop_map(|a| E::Neg(b(a))),
            // Whole exponents over any base, fractional ones over a base ≥ 1.
            (inner.clone(), 1u32..4).prop_map(|(a, k)| bin('^', a, E::C(k as f64))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| bin(
                '^',
                one_plus_square(l, 1.0),
                E::Fun("sin", b(r))
            )),
            (inner.clone(), inner.clone())
                .prop_map(|(l, r)| E::PowFn(b(one_plus_square(l, 1.0)), b(E::Fun("tanh", b(r))))),
            inner.clone().prop_map(|a| E::Fun("sin", b(a))),
            inner.clone().prop_map(|a| E::Fun("cos", b(a))),
            inner.clone().prop_map(|a| E::Fun("tanh", b(a))),
            inner.clone().prop_map(|a| E::Fun("abs", b(a))),
            inner
                .clone()
                .prop_map(|a| E::Fun("exp", b(E::Fun("tanh", b(a))))),
            inner
                .clone()
                .prop_map(|a| E::Fun("tan", b(bin('*', E::C(0.5), E::Fun("sin", b(a)))))),
            inner
                .clone()
                .prop_map(|a| E::Fun("log", b(one_plus_square(a, 0.5)))),
            inner.prop_map(|a| E::Fun("sqrt", b(one_plus_square(a, 0.5)))),
        ]
    })
}

/// The value and the largest intermediate magnitude, or `None` where the expression leaves
/// the sane domain (magnitudes above 1e3, abs within 0.05 of its kink).
fn sane(e: &E, p: &[f64; 3]) -> Option<(f64, f64)> {
    let mut s = Sanity {
        max_abs: 0.0,
        min_kink: f64::INFINITY,
    };
    let v = eval(e, p, &mut s);
    (s.max_abs <= 1e3 && s.min_kink >= 0.05).then_some((v, s.max_abs))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn both_modes_match_central_differences(
        e in expr(),
        p in prop::array::uniform3(-2.0f64..2.0),
    ) {
        let value = sane(&e, &p);
        prop_assume!(value.is_some());
        let value = value.unwrap().0;
        let src = render(&e);
        let tape = Tape::parse(&src).unwrap();
        let index: Vec<usize> = tape
            .variables()
            .iter()
            .map(|v| NAMES.iter().position(|n| n == v).unwrap())
            .collect();
        let point: Vec<f64> = index.iter().map(|&i| p[i]).collect();
        // Precedence and associativity: the sparsely parenthesised form is the same graph.
        let terse = render_min(&e).0;
        let shape = |t: &Tape| -> Vec<(chainplan::autodiff::Op, Vec<usize>)> {
            t.nodes().iter().map(|n| (n.op, n.operands().to_vec())).collect()
        };
        prop_assert_eq!(shape(&Tape::parse(&terse).unwrap()), shape(&tape), "{} vs {}", terse, src);
        let f = forward(&tape, &point).unwrap();
        let r = reverse(&tape, &point).unwrap().derivatives;
        // The parser reads the expression as the tree it came from.
        prop_assert!((r.value - value).abs() <= 1e-12 * (1.0 + value.abs()), "{src}: {} vs {value}", r.value);
        prop_assert_eq!(f.value, r.value);

        // Central differences refined by one Richardson step, R(h) = (4·D(h/2) − D(h))/3:
        // truncation error O(h⁴·f⁽⁵⁾), rounding error about ε·max|v|/h, which sets the
        // tolerance's second term. Where R(h) and R(h/2) disagree, the finite difference itself
        // has not converged (the function turns too fast for these steps): such a point is
        // discarded as numerically unsound rather than tested with a looser tolerance.
        let h = 2e-4;
        for (k, &i) in index.iter().enumerate() {
            let at = |d: f64| {
                let mut q = p;
                q[i] += d;
                sane(&e, &q)
            };
            let mut scale = 1.0f64;
            let mut central = |h: f64| -> Option<f64> {
                let ((up, m1), (down, m2)) = (at(h)?, at(-h)?);
                scale = scale.max(m1).max(m2);
                Some((up - down) / (2.0 * h))
            };
            let mut richardson = |h: f64| -> Option<f64> {
                let (d1, d2) = (central(h)?, central(h / 2.0)?);
                Some((4.0 * d2 - d1) / 3.0)
            };
            let (coarse, fd) = match (richardson(h), richardson(h / 2.0)) {
                (Some(a), Some(b)) => (a, b),
                _ => { prop_assume!(false); unreachable!() }
            };
            prop_assume!((coarse - fd).abs() <= 1e-7 * (1.0 + fd.abs()));
            let tol = 1e-6 * (1.0 + fd.abs()) + 100.0 * f64::EPSILON * scale / (h / 4.0);
            prop_assert!((r.gradient[k] - fd).abs() <= tol,
                "{}: reverse ∂/∂{} = {} but finite differences give {}", src, NAMES[i], r.gradient[k], fd);
            prop_assert!((f.gradient[k] - fd).abs() <= tol,
                "{}: forward ∂/∂{} = {} but finite differences give {}", src, NAMES[i], f.gradient[k], fd);
            // The two modes apply the same rules in a different order: they agree to rounding.
            prop_assert!((f.gradient[k] - r.gradient[k]).abs() <= 1e-10 * (1.0 + r.gradient[k].abs()));
        }
    }
}
