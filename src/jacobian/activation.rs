//! Elementwise activation functions for the layers of an [`Mlp`](super::Mlp) (re-exported as
//! [`super::Activation`]).

use crate::exec::Element;
use std::fmt;
use std::sync::Arc;

/// The value function of a custom activation.
type ValueFn<T> = Arc<dyn Fn(T) -> T + Send + Sync>;
/// The derivative of a custom activation, from the pre-activation z and the value a = σ(z).
type SlopeFn<T> = Arc<dyn Fn(T, T) -> T + Send + Sync>;

/// An elementwise activation σ of one layer of an [`Mlp`](super::Mlp), with its derivative σ'.
///
/// An activation σ is applied entry by entry, a = σ(z), so its Jacobian is the diagonal
/// matrix diag(σ'(z)): in a Jacobian chain it is a diagonal factor, which the structured
/// planner ([`super::structured`]) prices at one multiplication per entry. The built-in
/// activations are [`Activation::Identity`] (no factor at all), [`Activation::Tanh`],
/// [`Activation::Relu`] and [`Activation::Sigmoid`]; the user's own is
/// [`Activation::custom`], a value and a derivative.
///
/// A layer that is not elementwise (a softmax, a normalisation, a convolution) has no
/// diagonal Jacobian and is no activation: write it as an elemental of a matrix-free chain
/// ([`super::JacobianOperator`], [`super::MatrixFreeChain`]), whose planner takes its tangent
/// and adjoint costs.
///
/// ```
/// use chainplan::jacobian::Activation;
/// // softplus, ln(1 + eᶻ), whose derivative is the logistic sigmoid.
/// let softplus = Activation::custom("softplus", |z: f64| z.exp().ln_1p(), |z: f64, _a: f64| {
///     1.0 / (1.0 + (-z).exp())
/// });
/// assert_eq!(softplus.name(), "softplus");
/// assert!((softplus.value(0.0) - 2f64.ln()).abs() < 1e-15);
/// assert_eq!(softplus.slope(0.0, softplus.value(0.0)), 0.5);
/// assert_eq!(Activation::<f64>::Relu.slope(-1.0, 0.0), 0.0);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum Activation<T = f64> {
    /// σ(z) = z: a linear layer. Its Jacobian is the identity, so it adds no factor to the
    /// layer's Jacobian chain.
    Identity,
    /// σ(z) = tanh z, σ' = 1 − σ².
    Tanh,
    /// σ(z) = max(z, 0), σ' = 1 for z > 0 and 0 otherwise (0 at the kink z = 0, as the ML
    /// frameworks take it).
    Relu,
    /// The logistic sigmoid σ(z) = 1 / (1 + e⁻ᶻ), σ' = σ·(1 − σ).
    Sigmoid,
    /// The user's own ([`Activation::custom`]).
    Custom {
        /// The name shown in `Debug` output and reports.
        name: Arc<str>,
        /// σ.
        value: ValueFn<T>,
        /// σ' at (z, σ(z)).
        slope: SlopeFn<T>,
    },
}

impl<T: Element> Activation<T> {
    /// The user's own elementwise activation: `value` is σ(z), `slope` its derivative σ'(z),
    /// given z and the already computed a = σ(z) (so that, as for tanh or the sigmoid, it may
    /// be written in terms of the value).
    pub fn custom(
        name: &str,
        value: impl Fn(T) -> T + Send + Sync + 'static,
        slope: impl Fn(T, T) -> T + Send + Sync + 'static,
    ) -> Self {
        Activation::Custom {
            name: Arc::from(name),
            value: Arc::new(value),
            slope: Arc::new(slope),
        }
    }

    /// The activation's name: `identity`, `tanh`, `relu`, `sigmoid`, or the custom one's.
    pub fn name(&self) -> &str {
        match self {
            Activation::Identity => "identity",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Custom { name, .. } => name,
        }
    }

    /// Whether this is the identity, whose Jacobian factor is left out of the chain.
    pub fn is_identity(&self) -> bool {
        matches!(self, Activation::Identity)
    }

    /// σ(z).
    pub fn value(&self, z: T) -> T {
        match self {
            Activation::Identity => z,
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(T::zero()),
            Activation::Sigmoid => T::one() / (T::one() + (-z).exp()),
            Activation::Custom { value, .. } => value(z),
        }
    }

    /// σ'(z), given z and a = σ(z).
    pub fn slope(&self, z: T, a: T) -> T {
        match self {
            Activation::Identity => T::one(),
            Activation::Tanh => T::one() - a * a,
            Activation::Relu => {
                if z > T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            }
            Activation::Sigmoid => a * (T::one() - a),
            Activation::Custom { slope, .. } => slope(z, a),
        }
    }

    /// The same activation in another element type; a custom one converts its argument to
    /// `T`, evaluates, and converts back (`f64` → `f32` rounds).
    pub fn cast<U: Element>(&self) -> Activation<U> {
        match self {
            Activation::Identity => Activation::Identity,
            Activation::Tanh => Activation::Tanh,
            Activation::Relu => Activation::Relu,
            Activation::Sigmoid => Activation::Sigmoid,
            Activation::Custom { name, value, slope } => {
                let (value, slope) = (Arc::clone(value), Arc::clone(slope));
                Activation::Custom {
                    name: Arc::clone(name),
                    value: Arc::new(move |z: U| convert(value(convert(z)))),
                    slope: Arc::new(move |z: U, a: U| convert(slope(convert(z), convert(a)))),
                }
            }
        }
    }
}

/// `x` in another float type (NaN where it has no value there).
fn convert<A: Element, B: Element>(x: A) -> B {
    x.to_f64().and_then(B::from).unwrap_or_else(B::nan)
}

impl<T> fmt::Debug for Activation<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::Identity => f.write_str("Identity"),
            Activation::Tanh => f.write_str("Tanh"),
            Activation::Relu => f.write_str("Relu"),
            Activation::Sigmoid => f.write_str("Sigmoid"),
            Activation::Custom { name, .. } => f.debug_tuple("Custom").field(name).finish(),
        }
    }
}

/// Built-in activations are equal when they are the same variant; custom ones when they
/// share their functions (clones of one [`Activation::custom`]).
impl<T> PartialEq for Activation<T> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Activation::Custom {
                    name: n1,
                    value: v1,
                    slope: s1,
                },
                Activation::Custom {
                    name: n2,
                    value: v2,
                    slope: s2,
                },
            ) => n1 == n2 && Arc::ptr_eq(v1, v2) && Arc::ptr_eq(s1, s2),
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central differences of σ at z.
    fn numeric_slope(a: &Activation<f64>, z: f64) -> f64 {
        let h = 1e-6;
        (a.value(z + h) - a.value(z - h)) / (2.0 * h)
    }

    #[test]
    fn slopes_match_central_differences() {
        let all = [
            Activation::Identity,
            Activation::Tanh,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::custom("square", |z: f64| z * z, |z, _| 2.0 * z),
        ];
        for a in &all {
            for z in [-2.5, -0.3, 0.2, 1.7] {
                let got = a.slope(z, a.value(z));
                assert!((got - numeric_slope(a, z)).abs() < 1e-8, "{a:?} at {z}");
            }
        }
    }

    #[test]
    fn cast_keeps_the_function() {
        let sq = Activation::custom("square", |z: f64| z * z, |z, _| 2.0 * z);
        let s32 = sq.cast::<f32>();
        assert_eq!(s32.value(3.0), 9.0);
        assert_eq!(s32.slope(3.0, 9.0), 6.0);
        assert_eq!(s32.name(), "square");
        assert_eq!(sq.clone(), sq);
        assert_ne!(
            sq,
            Activation::custom("square", |z: f64| z * z, |z, _| 2.0 * z)
        );
        assert_ne!(Activation::<f64>::Tanh, Activation::Relu);
        assert_eq!(format!("{sq:?}"), "Custom(\"square\")");
    }
}
