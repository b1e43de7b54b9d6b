//! The text of plans: the evaluation order (`((Xᵀ·X)⁻¹…`), marking explicit inverses with
//! `inv!`, and what each step computes (`chol(M)`, `inv(Xᵀ·X)`). Lowering records the
//! structure; the words and symbols are chosen here.

use super::cost::Kernel;
use std::fmt;

/// An evaluation order as lowering emitted it: a tree whose text is the parenthesized order
/// [`super::GenPlan::order`] shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Order {
    /// A factor as written in the expression (`Xᵀ`, `inv(M)`).
    Written(String),
    /// `xᵀ`.
    Transposed(Box<Order>),
    /// `inv` then x (x is parenthesized already).
    Inverse(Box<Order>),
    /// `(a·b)` or `(a·m·b)`: one step's factors.
    Product(Vec<Order>),
    /// An explicit inverse of x: the first inverse written in x is shown `inv!`.
    Explicit(Box<Order>),
}

impl Order {
    pub(crate) fn transposed(self) -> Order {
        Order::Transposed(Box::new(self))
    }

    pub(crate) fn inverse(self) -> Order {
        Order::Inverse(Box::new(self))
    }

    pub(crate) fn explicit(self) -> Order {
        Order::Explicit(Box::new(self))
    }

    /// Writes the order; `marks` is the number of `!` the next inverse written takes (one per
    /// explicit inverse that encloses it and has not marked an inverse yet).
    fn write(&self, out: &mut String, marks: &mut usize) {
        let bangs = |marks: &mut usize| "!".repeat(std::mem::take(marks));
        match self {
            Order::Written(t) => {
                // `inv(` is written only for an inverse: names have no parentheses.
                if *marks > 0 && t.contains("inv(") {
                    out.push_str(&t.replacen("inv(", &format!("inv{}(", bangs(marks)), 1));
                } else {
                    out.push_str(t);
                }
            }
            Order::Transposed(x) => {
                x.write(out, marks);
                out.push('ᵀ');
            }
            Order::Inverse(x) => {
                out.push_str("inv");
                out.push_str(&bangs(marks));
                x.write(out, marks);
            }
            Order::Product(xs) => {
                out.push('(');
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push('·');
                    }
                    x.write(out, marks);
                }
                out.push(')');
            }
            Order::Explicit(x) => {
                *marks += 1;
                x.write(out, marks);
                // No inverse inside took the mark (cannot happen for a planner's order).
                *marks = marks.saturating_sub(1);
            }
        }
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out, &mut 0);
        f.write_str(&out)
    }
}

/// What a factorization step holds: `chol(M)` (potrf), `ldl(M)` (sytrf, Bunch–Kaufman) or
/// `lu(S2)` (getrf).
pub(crate) fn factored(kernel: Kernel, what: &str) -> String {
    match kernel {
        Kernel::Potrf => format!("chol({what})"),
        Kernel::Sytrf => format!("ldl({what})"),
        _ => format!("lu({what})"),
    }
}

/// A step holding the transpose of a sub-chain's value: `(A·B)ᵀ`.
pub(crate) fn transposed(chain: &str) -> String {
    format!("({chain})ᵀ")
}

/// A step holding the stored matrix whose inverse is a sub-chain's value: `inv(A·B)`.
pub(crate) fn inverse(chain: &str) -> String {
    format!("inv({chain})")
}

/// The triangular step of Bᵀ·M⁻¹·B or Bᵀ·M·B with M = UᵀU: `chol(M)⁻ᵀ·B` or `chol(M)·B`.
pub(crate) fn with_factor(chol: &str, inverted: bool, b: &str) -> String {
    if inverted {
        format!("{chol}⁻ᵀ·{b}")
    } else {
        format!("{chol}·{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::Order;

    fn w(s: &str) -> Order {
        Order::Written(s.into())
    }

    #[test]
    fn explicit_marks_the_first_inverse_as_replacen_would() {
        // inv!(M) in a product: the first inverse written inside the explicit inverse.
        let o = Order::Product(vec![w("Xᵀ"), w("inv(M)").explicit()]);
        assert_eq!(o.to_string(), "(Xᵀ·inv!(M))");
        let g = Order::Product(vec![w("inv(A)"), w("inv(B)")]).explicit();
        assert_eq!(g.to_string(), "(inv!(A)·inv(B))");
        // Nested explicit inverses of one value add their marks.
        assert_eq!(w("inv(A)").explicit().explicit().to_string(), "inv!!(A)");
        // An inverted group takes the mark on its own `inv`.
        let grp = Order::Product(vec![w("A"), w("B")]).inverse().transposed();
        assert_eq!(grp.clone().explicit().to_string(), "inv!(A·B)ᵀ");
        // A name containing "inv" outside an inverse is not marked.
        let named = Order::Product(vec![w("invoice"), w("inv(M)")]).explicit();
        assert_eq!(named.to_string(), "(invoice·inv!(M))");
    }
}
