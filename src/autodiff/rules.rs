//! The elementary operations: their values, their local partial derivatives, their domains,
//! and the count of operations each performs.
//!
//! Both modes use these rules, so they differ only in how they combine local derivatives (the
//! chain rule forwards along tangents, or backwards along adjoints).
//!
//! | node       | value        | ∂v/∂a              | ∂v/∂b        | operations for the partials |
//! |------------|--------------|--------------------|--------------|-----------------------------|
//! | `-a`       | −a           | −1                 |              | 0                           |
//! | `a + b`    | a + b        | 1                  | 1            | 0                           |
//! | `a - b`    | a − b        | 1                  | −1           | 0                           |
//! | `a * b`    | a·b          | b                  | a            | 0                           |
//! | `a / b`    | a / b        | 1 / b              | −v / b       | 1 and 2                     |
//! | `a ^ b`    | aᵇ           | b·a^(b−1)          | v·ln a       | 3 (0 when b = 0) and 2      |
//! | `sin(a)`   | sin a        | cos a              |              | 1                           |
//! | `cos(a)`   | cos a        | −sin a             |              | 2                           |
//! | `tan(a)`   | tan a        | 1 + v²             |              | 2                           |
//! | `exp(a)`   | eᵃ           | v                  |              | 0                           |
//! | `log(a)`   | ln a         | 1 / a              |              | 1                           |
//! | `sqrt(a)`  | √a           | 0.5 / v            |              | 1                           |
//! | `tanh(a)`  | tanh a       | 1 − v²             |              | 2                           |
//! | `abs(a)`   | abs a        | sign a (0 at 0)    |              | 0                           |
//!
//! Each value costs one operation. A partial is only computed for an operand that depends on
//! a variable, so the exponent of `x^3` never needs `ln x`.

use super::error::{Error, Result};
use super::tape::{Func, Op, Tape};
use crate::text::num;

/// Counts elementary operations as they are performed: every arithmetic operation and every
/// elementary function call in the differentiation code goes through one of these methods.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counter {
    pub ops: u64,
}

impl Counter {
    pub fn add(&mut self, a: f64, b: f64) -> f64 {
        self.ops += 1;
        a + b
    }
    pub fn sub(&mut self, a: f64, b: f64) -> f64 {
        self.ops += 1;
        a - b
    }
    pub fn mul(&mut self, a: f64, b: f64) -> f64 {
        self.ops += 1;
        a * b
    }
    pub fn div(&mut self, a: f64, b: f64) -> f64 {
        self.ops += 1;
        a / b
    }
    pub fn neg(&mut self, a: f64) -> f64 {
        self.ops += 1;
        -a
    }
    pub fn pow(&mut self, a: f64, b: f64) -> f64 {
        self.ops += 1;
        a.powf(b)
    }
    pub fn call(&mut self, f: Func, a: f64) -> f64 {
        self.ops += 1;
        f.apply(a)
    }
}

fn domain(tape: &Tape, node: usize, what: String, why: String) -> Error {
    Error::Domain {
        what,
        column: tape.nodes()[node].column,
        why,
    }
}

/// The value of `node`, whose operands' values are in `values` and whose inputs are `point`.
///
/// Undefined operations and results that overflow are errors: a value is always finite.
pub(crate) fn value(
    tape: &Tape,
    node: usize,
    values: &[f64],
    point: &[f64],
    c: &mut Counter,
) -> Result<f64> {
    let n = &tape.nodes()[node];
    let arg = |k: usize| values[n.operands()[k]];
    let text = || tape.text(node);
    let v = match n.op {
        Op::Const(v) => return Ok(v),
        Op::Var(i) => return Ok(point[i]),
        Op::Neg => c.neg(arg(0)),
        Op::Add => c.add(arg(0), arg(1)),
        Op::Sub => c.sub(arg(0), arg(1)),
        Op::Mul => c.mul(arg(0), arg(1)),
        Op::Div => {
            if arg(1) == 0.0 {
                return Err(domain(
                    tape,
                    node,
                    "division by zero".to_string(),
                    format!("in '{}' the divisor is 0", text()),
                ));
            }
            c.div(arg(0), arg(1))
        }
        Op::Pow => {
            let (a, b) = (arg(0), arg(1));
            if a < 0.0 && b.fract() != 0.0 {
                return Err(domain(
                    tape,
                    node,
                    format!("'{}' is undefined", text()),
                    format!(
                        "a negative base ({}) needs a whole exponent, not {}",
                        num(a),
                        num(b)
                    ),
                ));
            }
            if a == 0.0 && b < 0.0 {
                return Err(domain(
                    tape,
                    node,
                    format!("'{}' is undefined", text()),
                    format!("0 to a negative power ({}) divides by zero", num(b)),
                ));
            }
            c.pow(a, b)
        }
        Op::Func(f) => {
            let a = arg(0);
            let needs = match f {
                Func::Log if a <= 0.0 => Some("log needs a positive argument"),
                Func::Sqrt if a < 0.0 => Some("sqrt needs a non-negative argument"),
                _ => None,
            };
            if let Some(needs) = needs {
                return Err(domain(
                    tape,
                    node,
                    format!("'{}' is undefined", text()),
                    format!("{needs}, got {}", num(a)),
                ));
            }
            c.call(f, a)
        }
    };
    if !v.is_finite() {
        let operands: Vec<String> = n.operands().iter().map(|&o| num(values[o])).collect();
        return Err(domain(
            tape,
            node,
            format!("'{}' overflows", text()),
            format!(
                "with operand{} {} the result is beyond the range of a 64-bit float",
                if operands.len() == 1 { "" } else { "s" },
                operands.join(" and ")
            ),
        ));
    }
    Ok(v)
}

/// ∂v/∂(operand `k`) of `node`, whose value is `v` and whose operands' values are in `values`.
///
/// A partial that is infinite or undefined (`sqrt` at 0, a variable exponent over a
/// non-positive base) is an error: the expression is not differentiable there.
pub(crate) fn partial(
    tape: &Tape,
    node: usize,
    k: usize,
    values: &[f64],
    v: f64,
    c: &mut Counter,
) -> Result<f64> {
    let n = &tape.nodes()[node];
    let arg = |k: usize| values[n.operands()[k]];
    let p = match (n.op, k) {
        (Op::Neg, _) => -1.0,
        (Op::Add, _) | (Op::Sub, 0) => 1.0,
        (Op::Sub, _) => -1.0,
        (Op::Mul, 0) => arg(1),
        (Op::Mul, _) => arg(0),
        (Op::Div, 0) => c.div(1.0, arg(1)),
        (Op::Div, _) => {
            let q = c.div(v, arg(1));
            c.neg(q)
        }
        (Op::Pow, 0) => {
            let (a, b) = (arg(0), arg(1));
            if b == 0.0 {
                0.0
            } else {
                let e = c.sub(b, 1.0);
                let p = c.pow(a, e);
                c.mul(b, p)
            }
        }
        (Op::Pow, _) => {
            let a = arg(0);
            if a <= 0.0 {
                return Err(domain(
                    tape,
                    node,
                    format!("'{}' is not differentiable", tape.text(node)),
                    format!(
                        "a power with a variable exponent needs a positive base, got {} \
                         (∂/∂exponent = v·ln(base))",
                        num(a)
                    ),
                ));
            }
            let l = c.call(Func::Log, a);
            c.mul(v, l)
        }
        (Op::Func(f), _) => {
            let a = arg(0);
            match f {
                Func::Sin => c.call(Func::Cos, a),
                Func::Cos => {
                    let s = c.call(Func::Sin, a);
                    c.neg(s)
                }
                Func::Tan => {
                    let sq = c.mul(v, v);
                    c.add(1.0, sq)
                }
                Func::Exp => v,
                Func::Log => c.div(1.0, a),
                Func::Sqrt => c.div(0.5, v),
                Func::Tanh => {
                    let sq = c.mul(v, v);
                    c.sub(1.0, sq)
                }
                Func::Abs => {
                    if a > 0.0 {
                        1.0
                    } else if a < 0.0 {
                        -1.0
                    } else {
                        0.0
                    }
                }
            }
        }
        (Op::Const(_) | Op::Var(_), _) => 0.0,
    };
    if !p.is_finite() {
        let operand = n.operands()[k];
        return Err(domain(
            tape,
            node,
            format!("'{}' is not differentiable", tape.text(node)),
            format!(
                "its derivative with respect to '{}' = {} is infinite",
                tape.text(operand),
                num(values[operand])
            ),
        ));
    }
    Ok(p)
}
