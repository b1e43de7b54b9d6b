//! An independent reference evaluator of programs for the tests: its own small parser, every
//! product left to right with ndarray's `dot`, every `inv(…)` an explicit Gauss–Jordan
//! inverse with partial pivoting, `I` a scaled identity until a neighbour gives its size. It
//! plans nothing and shares nothing: the meaning of a program, not a way to run it.

#![allow(dead_code)]

use ndarray::Array2;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub enum V {
    Scalar(f64),
    /// s·I of a size not yet known.
    Ident(f64),
    Mat(Array2<f64>),
}

fn inverse(a: &Array2<f64>) -> Array2<f64> {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "inverse of a non-square matrix");
    let mut m = a.clone();
    let mut inv = Array2::<f64>::eye(n);
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| m[[x, c]].abs().total_cmp(&m[[y, c]].abs()))
            .unwrap();
        assert!(m[[p, c]] != 0.0, "singular");
        for j in 0..n {
            m.swap([c, j], [p, j]);
            inv.swap([c, j], [p, j]);
        }
        let d = m[[c, c]];
        for j in 0..n {
            m[[c, j]] /= d;
            inv[[c, j]] /= d;
        }
        for r in 0..n {
            if r != c {
                let f = m[[r, c]];
                if f != 0.0 {
                    for j in 0..n {
                        m[[r, j]] -= f * m[[c, j]];
                        inv[[r, j]] -= f * inv[[c, j]];
                    }
                }
            }
        }
    }
    inv
}

fn add(a: V, b: V, sign: f64) -> V {
    match (a, b) {
        (V::Mat(x), V::Mat(y)) => V::Mat(&x + &(sign * &y)),
        (V::Mat(mut x), V::Ident(s)) => {
            for i in 0..x.nrows() {
                x[[i, i]] += sign * s;
            }
            V::Mat(x)
        }
        (V::Ident(s), V::Mat(y)) => {
            let mut x = sign * &y;
            for i in 0..x.nrows() {
                x[[i, i]] += s;
            }
            V::Mat(x)
        }
        (V::Ident(s), V::Ident(t)) => V::Ident(s + sign * t),
        other => panic!("bad sum {other:?}"),
    }
}

fn mul(a: V, b: V) -> V {
    match (a, b) {
        (V::Scalar(s), V::Scalar(t)) => V::Scalar(s * t),
        (V::Scalar(s) | V::Ident(s), V::Mat(m)) | (V::Mat(m), V::Scalar(s) | V::Ident(s)) => {
            V::Mat(s * &m)
        }
        (V::Scalar(s) | V::Ident(s), V::Ident(t)) | (V::Ident(s), V::Scalar(t)) => V::Ident(s * t),
        (V::Mat(x), V::Mat(y)) => V::Mat(x.dot(&y)),
    }
}

struct P<'a> {
    t: Vec<char>,
    i: usize,
    env: &'a HashMap<String, V>,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.t.len() && (self.t[self.i] == ' ' || self.t[self.i] == '\t') {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<char> {
        self.ws();
        self.t.get(self.i).copied()
    }
    fn expr(&mut self) -> V {
        let mut v = self.term();
        while let Some(c @ ('+' | '-')) = self.peek() {
            self.i += 1;
            let w = self.term();
            v = add(v, w, if c == '+' { 1.0 } else { -1.0 });
        }
        v
    }
    fn term(&mut self) -> V {
        let mut v = self.unary();
        while self.peek() == Some('*') {
            self.i += 1;
            let w = self.unary();
            v = mul(v, w);
        }
        v
    }
    fn unary(&mut self) -> V {
        if self.peek() == Some('-') {
            self.i += 1;
            return mul(V::Scalar(-1.0), self.unary());
        }
        let mut v = self.primary();
        while self.peek() == Some('\'') {
            self.i += 1;
            v = match v {
                V::Mat(m) => V::Mat(m.t().to_owned()),
                other => other,
            };
        }
        v
    }
    fn primary(&mut self) -> V {
        let c = self.peek().expect("a factor");
        if c == '(' {
            self.i += 1;
            let v = self.expr();
            assert_eq!(self.peek(), Some(')'));
            self.i += 1;
            return v;
        }
        let start = self.i;
        if c.is_ascii_digit() || c == '.' {
            while self.i < self.t.len()
                && (self.t[self.i].is_ascii_digit() || self.t[self.i] == '.')
            {
                self.i += 1;
            }
            let s: String = self.t[start..self.i].iter().collect();
            return V::Scalar(s.parse().unwrap());
        }
        while self.i < self.t.len()
            && (self.t[self.i].is_ascii_alphanumeric() || self.t[self.i] == '_')
        {
            self.i += 1;
        }
        let name: String = self.t[start..self.i].iter().collect();
        if name == "inv" {
            assert_eq!(self.peek(), Some('('));
            self.i += 1;
            let v = self.expr();
            assert_eq!(self.peek(), Some(')'));
            self.i += 1;
            return match v {
                V::Mat(m) => V::Mat(inverse(&m)),
                V::Scalar(s) => V::Scalar(1.0 / s),
                V::Ident(s) => V::Ident(1.0 / s),
            };
        }
        if name == "I" {
            return V::Ident(1.0);
        }
        self.env
            .get(&name)
            .unwrap_or_else(|| panic!("unknown {name}"))
            .clone()
    }
}

/// Evaluates `program` on `env` (operands as matrices, scalars as `V::Scalar`), returning
/// every output.
pub fn evaluate(program: &str, env: &HashMap<String, V>) -> HashMap<String, Array2<f64>> {
    let mut env = env.clone();
    let mut out = HashMap::new();
    for stmt in program.split([';', '\n']) {
        let stmt = stmt.split('#').next().unwrap().trim();
        if stmt.is_empty() {
            continue;
        }
        let (name, rhs) = stmt.split_once('=').unwrap();
        let v = {
            let mut p = P {
                t: rhs.chars().collect(),
                i: 0,
                env: &env,
            };
            let v = p.expr();
            assert_eq!(p.peek(), None, "trailing input in {rhs}");
            v
        };
        let V::Mat(m) = v else {
            panic!("{name} is not a matrix")
        };
        env.insert(name.trim().to_string(), V::Mat(m.clone()));
        out.insert(name.trim().to_string(), m);
    }
    out
}

/// max |a − b| / max |b|, the executor's own measure.
pub fn rel(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    chainplan::generalized::execute::relative_difference(a, b)
}
