//! From assignments to steps: each expression is normalised to a sum of scaled products
//! ([`Lin`]), sums that sit inside products or inverses become temporaries, products are
//! planned by the generalized chain planner over the operands and the temporaries, and
//! identical values (or a value and its transpose) are computed once.

use super::parse::{Assignment, Kind, Node, Pos};
use super::properties::{chain_props, sum_props, TermProps};
use super::{ProgramPlan, ProgramStep, ScalarDecl, Scaled, Sign};
use crate::generalized::cost::{CostModel, Splits};
use crate::generalized::expr::Expression;
use crate::generalized::operand::{Operand, Properties};
use crate::generalized::{plan, GenError, GenPlan};
use std::collections::{BTreeMap, HashMap};

/// A scalar factor: a coefficient times named scalars to integer powers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scale {
    pub(crate) coef: f64,
    pub(crate) powers: BTreeMap<String, i32>,
}

impl Scale {
    fn one() -> Self {
        Scale {
            coef: 1.0,
            powers: BTreeMap::new(),
        }
    }

    pub(crate) fn is_one(&self) -> bool {
        self.coef == 1.0 && self.powers.is_empty()
    }

    fn times(&self, o: &Scale) -> Scale {
        let mut powers = self.powers.clone();
        for (k, e) in &o.powers {
            let v = powers.entry(k.clone()).or_insert(0);
            *v += e;
            if *v == 0 {
                powers.remove(k);
            }
        }
        Scale {
            coef: self.coef * o.coef,
            powers,
        }
    }

    fn neg(&self) -> Scale {
        Scale {
            coef: -self.coef,
            powers: self.powers.clone(),
        }
    }

    fn inverse(&self) -> Scale {
        Scale {
            coef: 1.0 / self.coef,
            powers: self.powers.iter().map(|(k, e)| (k.clone(), -e)).collect(),
        }
    }

    /// Positive when the coefficient is and every scalar with an odd power has a declared
    /// sign (a negative one flipping it); `None` when the sign is not known.
    pub(crate) fn positive(&self, scalars: &[ScalarDecl]) -> Option<bool> {
        let mut pos = self.coef > 0.0;
        if self.coef == 0.0 {
            return None;
        }
        for (k, e) in &self.powers {
            let sign = scalars.iter().find(|s| &s.name == k).map(|s| s.sign);
            match sign {
                Some(Sign::Positive) => {}
                Some(Sign::Negative) if e % 2 != 0 => pos = !pos,
                Some(Sign::Negative) => {}
                _ => return None,
            }
        }
        Some(pos)
    }

    pub(crate) fn public(&self) -> (f64, Vec<(String, i32)>) {
        (
            self.coef,
            self.powers.iter().map(|(k, e)| (k.clone(), *e)).collect(),
        )
    }
}

/// One factor of a product: a named value (operand, output or temporary), or the inverse of
/// a product, transposed or not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Atom {
    Name(String),
    Inv(Vec<Cf>),
}

/// A factor with its transpose flag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Cf {
    pub(crate) atom: Atom,
    pub(crate) t: bool,
}

/// A scaled product; an empty chain is the identity (or, in a scalar, 1).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Term {
    pub(crate) scale: Scale,
    pub(crate) chain: Vec<Cf>,
}

/// A sum of scaled products with its shape (`None`: only identities, size not yet known).
/// `scalar`: a number or named scalar (a single term with an empty chain), not a matrix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lin {
    pub(crate) shape: Option<(usize, usize)>,
    pub(crate) terms: Vec<Term>,
    pub(crate) scalar: bool,
}

/// Most terms a sum may expand to when products are distributed over sums.
pub(crate) const MAX_EXPANDED: usize = 16;
/// Most steps a program may produce (a bound on hostile inputs).
pub(crate) const MAX_STEPS: usize = 4096;

/// The lowering and planning state of one program under one cost model.
pub(crate) struct Lower<'a> {
    model: &'a CostModel,
    /// Sharing and the distributive choice are made (the model allows any parenthesization).
    search: bool,
    /// The distributive choice is searched (else sums in products are temporaries).
    distribute: bool,
    scalars: &'a [ScalarDecl],
    /// Every name a product can read: operands, outputs so far, temporaries.
    env: Vec<Operand>,
    steps: Vec<ProgramStep>,
    /// Canonical text of a product or sum already computed → its value's name.
    computed: HashMap<String, String>,
    /// Plans made so far, by expression text (estimates and steps share them).
    plans: HashMap<String, GenPlan>,
    reserved: Vec<String>,
    temps: usize,
    /// Sub-products computed once as their own values wherever they (or their transposes)
    /// occur, in canonical form.
    hoist: Vec<Vec<Cf>>,
    /// Every product planned, in canonical form (the candidates for hoisting come from them).
    pub(crate) seen: Vec<Vec<Cf>>,
    /// Names made here (temporaries), which programs cannot name.
    internal: Vec<String>,
}

/// `name` with its transpose, as the canonical text of a product.
fn chain_key(c: &[Cf], env: &[Operand]) -> String {
    canonical(c, env)
        .iter()
        .map(cf_text)
        .collect::<Vec<_>>()
        .join(" * ")
}

/// The text of one factor in the generalized chain syntax.
pub(crate) fn cf_text(f: &Cf) -> String {
    let base = match &f.atom {
        Atom::Name(n) => n.clone(),
        Atom::Inv(c) => format!(
            "inv({})",
            c.iter().map(cf_text).collect::<Vec<_>>().join(" * ")
        ),
    };
    if f.t {
        format!("{base}'")
    } else {
        base
    }
}

/// A product's text in the generalized chain syntax.
pub(crate) fn chain_text(c: &[Cf]) -> String {
    c.iter().map(cf_text).collect::<Vec<_>>().join(" * ")
}

fn is_symmetric(name: &str, env: &[Operand]) -> bool {
    env.iter().any(|o| o.name == name && o.props.symmetric)
}

/// The canonical form: transposes pushed inside inverses, dropped on symmetric names.
fn canonical(c: &[Cf], env: &[Operand]) -> Vec<Cf> {
    c.iter()
        .map(|f| match &f.atom {
            Atom::Name(n) => Cf {
                atom: f.atom.clone(),
                t: f.t && !is_symmetric(n, env),
            },
            Atom::Inv(inner) => {
                let inner = if f.t {
                    transpose_chain(inner)
                } else {
                    inner.clone()
                };
                Cf {
                    atom: Atom::Inv(canonical(&inner, env)),
                    t: false,
                }
            }
        })
        .collect()
}

/// The transpose of a product: reversed, each factor transposed.
/// Sub-products (two factors or more) that occur, themselves or transposed, at least twice
/// among `chains` (inside inverses too), most repeated and longest first, at most `limit`.
pub(crate) fn hoist_candidates(
    chains: &[Vec<Cf>],
    env_symmetric: &dyn Fn(&str) -> bool,
    limit: usize,
) -> Vec<Vec<Cf>> {
    fn all(c: &[Cf], out: &mut Vec<Vec<Cf>>) {
        for f in c {
            if let Atom::Inv(inner) = &f.atom {
                out.push(inner.clone());
                all(inner, out);
            }
        }
        for k in 2..c.len() {
            for i in 0..=c.len() - k {
                out.push(c[i..i + k].to_vec());
            }
        }
    }
    let canon = |c: &[Cf]| -> Vec<Cf> {
        c.iter()
            .map(|f| Cf {
                atom: f.atom.clone(),
                t: f.t && !matches!(&f.atom, Atom::Name(n) if env_symmetric(n)),
            })
            .collect()
    };
    let mut counts: Vec<(String, Vec<Cf>, usize)> = Vec::new();
    let mut whole: Vec<Vec<Cf>> = Vec::new();
    for c in chains {
        whole.push(c.clone());
        all(c, &mut whole);
    }
    for sub in &whole {
        if sub.len() < 2 {
            continue;
        }
        let a = chain_text(&canon(sub));
        let b = chain_text(&canon(&transpose_chain(sub)));
        let key = a.clone().min(b);
        match counts.iter_mut().find(|(k, _, _)| *k == key) {
            Some(e) => e.2 += 1,
            None => counts.push((key, canon(sub), 1)),
        }
    }
    counts.retain(|(_, _, n)| *n >= 2);
    counts.sort_by(|x, y| {
        (y.2 * y.1.len())
            .cmp(&(x.2 * x.1.len()))
            .then(x.0.cmp(&y.0))
    });
    counts.into_iter().take(limit).map(|(_, c, _)| c).collect()
}

pub(crate) fn transpose_chain(c: &[Cf]) -> Vec<Cf> {
    c.iter()
        .rev()
        .map(|f| Cf {
            atom: f.atom.clone(),
            t: !f.t,
        })
        .collect()
}

fn names_in(c: &[Cf], out: &mut Vec<String>) {
    for f in c {
        match &f.atom {
            Atom::Name(n) => {
                if !out.contains(n) {
                    out.push(n.clone())
                }
            }
            Atom::Inv(inner) => names_in(inner, out),
        }
    }
}

fn scale_key(s: &Scale) -> String {
    let mut k = format!("{:e}", s.coef);
    for (n, e) in &s.powers {
        k.push_str(&format!("*{n}^{e}"));
    }
    k
}

impl<'a> Lower<'a> {
    pub(crate) fn new(
        model: &'a CostModel,
        operands: &[Operand],
        scalars: &'a [ScalarDecl],
        outputs: &[String],
        hoist: &[Vec<Cf>],
        distribute: bool,
    ) -> Self {
        let mut reserved: Vec<String> = operands.iter().map(|o| o.name.clone()).collect();
        reserved.extend(scalars.iter().map(|s| s.name.clone()));
        reserved.extend(outputs.iter().cloned());
        Lower {
            model,
            search: model.splits == Splits::Any,
            distribute: distribute && model.splits == Splits::Any,
            scalars,
            env: operands.to_vec(),
            steps: Vec::new(),
            computed: HashMap::new(),
            plans: HashMap::new(),
            reserved,
            temps: 0,
            hoist: hoist.to_vec(),
            seen: Vec::new(),
            internal: Vec::new(),
        }
    }

    fn fresh(&mut self) -> String {
        loop {
            self.temps += 1;
            let n = format!("_t{}", self.temps);
            if !self.reserved.contains(&n) {
                self.internal.push(n.clone());
                return n;
            }
        }
    }

    fn operand(&self, name: &str) -> Option<&Operand> {
        self.env.iter().find(|o| o.name == name)
    }

    /// The expression of a product over the operands it reads (in env order).
    fn expression(&self, c: &[Cf], env: &[Operand]) -> Result<Expression, GenError> {
        let mut names = Vec::new();
        names_in(c, &mut names);
        let ops: Vec<Operand> = env
            .iter()
            .filter(|o| names.contains(&o.name))
            .cloned()
            .collect();
        Expression::parse(&chain_text(c), &ops)
    }

    /// The plan of a product (cached by text).
    fn plan_chain(&mut self, c: &[Cf], env: Option<&[Operand]>) -> Result<GenPlan, GenError> {
        let env = env.unwrap_or(&self.env);
        let e = self.expression(c, env)?;
        let key = format!("{:?}|{}", e.operands, e.text);
        if let Some(p) = self.plans.get(&key) {
            return Ok(p.clone());
        }
        let p = plan(&e, self.model)?;
        self.plans.insert(key, p.clone());
        Ok(p)
    }

    /// Properties (and positive semidefiniteness) of a product.
    fn term_props(&self, t: &Term, env: &[Operand]) -> Result<TermProps, GenError> {
        let positive = t.scale.positive(self.scalars);
        if t.chain.is_empty() {
            return Ok(TermProps {
                props: Properties {
                    diagonal: true,
                    spd: true,
                    ..Properties::default()
                }
                .closed(),
                psd: true,
                positive,
            });
        }
        let e = self.expression(&t.chain, env)?;
        let (props, psd) = chain_props(&e);
        Ok(TermProps {
            props,
            psd,
            positive,
        })
    }

    fn sum_properties(
        &self,
        l: &Lin,
        env: &[Operand],
        invertible: bool,
    ) -> Result<Properties, GenError> {
        let ts = l
            .terms
            .iter()
            .map(|t| self.term_props(t, env))
            .collect::<Result<Vec<_>, _>>()?;
        let mut p = sum_props(&ts);
        let (r, c) = l.shape.unwrap_or((1, 1));
        if r != c {
            p = Properties {
                full_rank: p.full_rank,
                ..Properties::default()
            };
        }
        if invertible {
            // The program inverts it: nonsingular is the user's assertion (a singular one
            // fails in its factorization at run time).
            p.full_rank = true;
        }
        Ok(p.closed())
    }

    /// Exact cost of a combination step of `terms` terms into an r×c result: the first term
    /// is copied (scaled: rc), each further one added (rc, or 2rc when scaled); an identity
    /// term adds to the diagonal (min(r, c), 2·min(r, c) scaled).
    fn combine_cost(terms: &[(Scale, bool)], r: usize, c: usize) -> Result<u128, GenError> {
        let over = GenError::Overflow {
            what: "a sum's flop count",
        };
        let rc = (r as u128)
            .checked_mul(c as u128)
            .ok_or(GenError::Overflow {
                what: "a sum's flop count",
            })?;
        let d = r.min(c) as u128;
        let mut flops: u128 = 0;
        for (i, (s, identity)) in terms.iter().enumerate() {
            let unit = s.coef.abs() == 1.0 && s.powers.is_empty();
            let add = match (identity, i == 0, s.is_one(), unit) {
                (true, _, _, true) => d,
                (true, _, _, false) => 2 * d,
                (false, true, true, _) => 0,
                (false, true, false, _) => rc,
                (false, false, _, true) => rc,
                (false, false, _, false) => rc.checked_mul(2).ok_or(GenError::Overflow {
                    what: "a sum's flop count",
                })?,
            };
            flops = flops.checked_add(add).ok_or(GenError::Overflow {
                what: "a sum's flop count",
            })?;
        }
        flops.checked_mul(3).ok_or(over)
    }

    /// Estimated cost (exact flops of the steps it would add, without sharing) of computing
    /// `l` as one value.
    fn estimate(&mut self, l: &Lin) -> Result<u128, GenError> {
        let (r, c) = l.shape.unwrap_or((1, 1));
        let mut total: u128 = 0;
        let mut parts = Vec::new();
        for t in &l.terms {
            let direct = t.chain.is_empty()
                || matches!(
                    &t.chain[..],
                    [Cf {
                        atom: Atom::Name(_),
                        ..
                    }]
                );
            if !direct {
                total = total.saturating_add(self.plan_chain(&t.chain, None)?.cost().thirds());
            }
            parts.push((t.scale.clone(), t.chain.is_empty()));
        }
        if l.terms.len() > 1 || !l.terms[0].scale.is_one() {
            total = total.saturating_add(Self::combine_cost(&parts, r, c)?);
        }
        Ok(total)
    }

    /// Estimated cost of `chain` where one factor stands for the value of `l` (a temporary
    /// not yet made).
    fn estimate_with_temp(
        &mut self,
        l: &Lin,
        chain_of: impl Fn(&Cf) -> Vec<Cf>,
    ) -> Result<u128, GenError> {
        let (r, c) = l.shape.expect("a sum of known shape");
        let probe = "_probe".to_string();
        let props = self.sum_properties(l, &self.env.clone(), false)?;
        let mut env = self.env.clone();
        env.push(Operand::new(&probe, r, c, props)?);
        let chain = chain_of(&Cf {
            atom: Atom::Name(probe),
            t: false,
        });
        let p = self.plan_chain(&chain, Some(&env))?;
        Ok(self.estimate(l)?.saturating_add(p.cost().thirds()))
    }

    fn push_step(&mut self, s: ProgramStep, at: Pos) -> Result<(), GenError> {
        if self.steps.len() >= MAX_STEPS {
            return Err(at.err(format!("the program needs more than {MAX_STEPS} steps")));
        }
        self.steps.push(s);
        Ok(())
    }

    /// The value of a product, computed once (a product or its transpose already computed
    /// is reused when the model searches): the name and whether it is read transposed.
    fn value_of_chain(
        &mut self,
        c: &[Cf],
        at: Pos,
        name: Option<String>,
    ) -> Result<(String, bool), GenError> {
        if let [Cf {
            atom: Atom::Name(n),
            t,
        }] = c
        {
            if name.is_none() {
                return Ok((n.clone(), *t && !is_symmetric(n, &self.env)));
            }
        }
        let c = &self.substitute(c, at)?;
        let key = format!("chain {}", chain_key(c, &self.env));
        let tkey = format!("chain {}", chain_key(&transpose_chain(c), &self.env));
        if self.search {
            if let Some(v) = self.computed.get(&key) {
                return self.alias(v.clone(), false, name, at);
            }
            if let Some(v) = self.computed.get(&tkey) {
                let sym = is_symmetric(v, &self.env);
                return self.alias(v.clone(), !sym, name, at);
            }
        }
        self.seen.push(canonical(c, &self.env));
        let plan = self.plan_chain(c, None)?;
        let e = plan.expression().clone();
        let (props, _) = chain_props(&e);
        let (r, cc) = e.shape();
        let out = match name {
            Some(n) => n,
            None => self.fresh(),
        };
        self.env.push(Operand::new(&out, r, cc, props)?);
        self.push_step(
            ProgramStep::Chain {
                name: out.clone(),
                plan,
            },
            at,
        )?;
        self.computed.insert(key, out.clone());
        Ok((out, false))
    }

    /// `c` in canonical form with each hoisted sub-product (or its transpose) replaced by its
    /// value, computed on first use; a product that is itself a hoisted one is left whole.
    fn substitute(&mut self, c: &[Cf], at: Pos) -> Result<Vec<Cf>, GenError> {
        if self.hoist.is_empty() {
            return Ok(c.to_vec());
        }
        let mut c = canonical(c, &self.env);
        for f in &mut c {
            if let Atom::Inv(inner) = &f.atom {
                let inner = self.substitute_within(inner, at)?;
                f.atom = Atom::Inv(inner);
            }
        }
        for pat in self.hoist.clone() {
            let tpat = canonical(&transpose_chain(&pat), &self.env);
            let k = pat.len();
            let mut i = 0;
            while k < c.len() && i + k <= c.len() {
                let (hit, t) = if c[i..i + k] == pat[..] {
                    (true, false)
                } else if c[i..i + k] == tpat[..] {
                    (true, true)
                } else {
                    (false, false)
                };
                if hit {
                    let (n, nt) = self.value_of_chain(&pat, at, None)?;
                    c.splice(
                        i..i + k,
                        [Cf {
                            atom: Atom::Name(n),
                            t: nt != t,
                        }],
                    );
                }
                i += 1;
            }
        }
        Ok(c)
    }

    /// [`Lower::substitute`] inside an inverse, where the whole may be replaced.
    fn substitute_within(&mut self, c: &[Cf], at: Pos) -> Result<Vec<Cf>, GenError> {
        let canon = canonical(c, &self.env);
        let tcanon = canonical(&transpose_chain(c), &self.env);
        for pat in self.hoist.clone() {
            if pat == canon || pat == tcanon {
                let (n, nt) = self.value_of_chain(&pat, at, None)?;
                return Ok(vec![Cf {
                    atom: Atom::Name(n),
                    t: nt != (pat == tcanon && pat != canon),
                }]);
            }
        }
        self.substitute(c, at)
    }

    /// `value` under the name `name` (a copy, 0 flops), or `value` itself when no name is
    /// asked for.
    fn alias(
        &mut self,
        value: String,
        t: bool,
        name: Option<String>,
        at: Pos,
    ) -> Result<(String, bool), GenError> {
        let Some(n) = name else {
            return Ok((value, t));
        };
        let o = self.operand(&value).expect("a computed value").clone();
        let (r, c) = if t {
            (o.cols, o.rows)
        } else {
            (o.rows, o.cols)
        };
        let props = if t { o.props.transposed() } else { o.props };
        self.env.push(Operand::new(&n, r, c, props)?);
        self.push_step(
            ProgramStep::Combine {
                name: n.clone(),
                rows: r,
                cols: c,
                terms: vec![Scaled {
                    coefficient: 1.0,
                    scalars: Vec::new(),
                    value: Some(value),
                    transposed: t,
                }],
                thirds: 0,
                symmetric: props.symmetric,
            },
            at,
        )?;
        Ok((n, false))
    }

    /// Computes `l` as one value (named `name`, or a fresh temporary): its products first,
    /// then one combination step. Returns the value's name and whether it is read transposed.
    pub(crate) fn materialize(
        &mut self,
        l: &Lin,
        at: Pos,
        name: Option<String>,
        invertible: bool,
    ) -> Result<(String, bool), GenError> {
        let (r, c) = l
            .shape
            .ok_or_else(|| at.err("the size of I cannot be inferred here"))?;
        if l.terms.len() == 1
            && l.terms[0].scale.is_one()
            && !l.terms[0].chain.is_empty()
            && !invertible
        {
            return self.value_of_chain(&l.terms[0].chain, at, name);
        }
        let mut values = Vec::new();
        for t in &l.terms {
            values.push(if t.chain.is_empty() {
                None
            } else {
                Some(self.value_of_chain(&t.chain, at, None)?)
            });
        }
        let mut text: Vec<String> = l
            .terms
            .iter()
            .zip(&values)
            .map(|(t, v)| {
                let v = v.as_ref().map_or("I".to_string(), |(n, t)| {
                    format!("{n}{}", if *t { "'" } else { "" })
                });
                format!("{} {v}", scale_key(&t.scale))
            })
            .collect();
        text.sort();
        let key = format!("sum {}", text.join(" + "));
        if self.search && !invertible {
            if let Some(v) = self.computed.get(&key) {
                return self.alias(v.clone(), false, name, at);
            }
        }
        let props = self.sum_properties(l, &self.env.clone(), invertible)?;
        let parts: Vec<(Scale, bool)> = l
            .terms
            .iter()
            .map(|t| (t.scale.clone(), t.chain.is_empty()))
            .collect();
        let thirds = Self::combine_cost(&parts, r, c)?;
        let out = match name {
            Some(n) => n,
            None => self.fresh(),
        };
        self.env.push(Operand::new(&out, r, c, props)?);
        let terms = l
            .terms
            .iter()
            .zip(values)
            .map(|(t, v)| {
                let (coefficient, scalars) = t.scale.public();
                let (value, transposed) = match v {
                    Some((n, tr)) => (Some(n), tr),
                    None => (None, false),
                };
                Scaled {
                    coefficient,
                    scalars,
                    value,
                    transposed,
                }
            })
            .collect();
        self.push_step(
            ProgramStep::Combine {
                name: out.clone(),
                rows: r,
                cols: c,
                terms,
                thirds,
                symmetric: props.symmetric,
            },
            at,
        )?;
        self.computed.insert(key, out.clone());
        Ok((out, false))
    }

    /// A sum with several terms as one factor.
    fn as_factor(&mut self, l: &Lin, at: Pos, invertible: bool) -> Result<Lin, GenError> {
        let (n, t) = self.materialize(l, at, None, invertible)?;
        Ok(Lin {
            shape: l.shape,
            terms: vec![Term {
                scale: Scale::one(),
                chain: vec![Cf {
                    atom: Atom::Name(n),
                    t,
                }],
            }],
            scalar: false,
        })
    }

    /// Lowers an expression to a sum of scaled products.
    pub(crate) fn lower(&mut self, node: &Node) -> Result<Lin, GenError> {
        let at = node.at;
        match &node.kind {
            Kind::Number(x) => Ok(Lin {
                shape: None,
                terms: vec![Term {
                    scale: Scale {
                        coef: *x,
                        powers: BTreeMap::new(),
                    },
                    chain: Vec::new(),
                }],
                scalar: true,
            }),
            Kind::Identity => Ok(Lin {
                shape: None,
                terms: vec![Term {
                    scale: Scale::one(),
                    chain: Vec::new(),
                }],
                scalar: false,
            }),
            Kind::Name(n) => {
                if let Some(o) = self.operand(n) {
                    if !self.internal.contains(n) {
                        return Ok(Lin {
                            shape: Some((o.rows, o.cols)),
                            terms: vec![Term {
                                scale: Scale::one(),
                                chain: vec![Cf {
                                    atom: Atom::Name(n.clone()),
                                    t: false,
                                }],
                            }],
                            scalar: false,
                        });
                    }
                }
                if self.scalars.iter().any(|s| &s.name == n) {
                    return Ok(Lin {
                        shape: None,
                        terms: vec![Term {
                            scale: Scale {
                                coef: 1.0,
                                powers: BTreeMap::from([(n.clone(), 1)]),
                            },
                            chain: Vec::new(),
                        }],
                        scalar: true,
                    });
                }
                Err(at.err(format!(
                    "{} is not an operand, a scalar or an earlier output",
                    crate::text::quote(n)
                )))
            }
            Kind::Neg(e) => {
                let mut l = self.lower(e)?;
                for t in &mut l.terms {
                    t.scale = t.scale.neg();
                }
                Ok(l)
            }
            Kind::Add(a, b) | Kind::Sub(a, b) => {
                let la = self.lower(a)?;
                let mut lb = self.lower(b)?;
                if la.scalar || lb.scalar {
                    return Err(
                        at.err("a scalar is added to a matrix; write it times I (e.g. 2 * I)")
                    );
                }
                if matches!(node.kind, Kind::Sub(..)) {
                    for t in &mut lb.terms {
                        t.scale = t.scale.neg();
                    }
                }
                let shape = match (la.shape, lb.shape) {
                    (Some(x), Some(y)) if x != y => {
                        return Err(at.err(format!(
                            "the terms of a sum differ in shape: {}x{} and {}x{}",
                            x.0, x.1, y.0, y.1
                        )))
                    }
                    (s, None) | (None, s) => s,
                    (s, _) => s,
                };
                if let Some((r, c)) = shape {
                    let has_i = la.shape.is_none()
                        || lb.shape.is_none()
                        || la.terms.iter().chain(&lb.terms).any(|t| t.chain.is_empty());
                    if has_i && r != c {
                        return Err(at.err(format!(
                            "I is added to a {r}x{c} matrix, which is not square"
                        )));
                    }
                }
                let mut terms = la.terms;
                terms.extend(lb.terms);
                if terms.len() > 4 * MAX_EXPANDED {
                    return Err(at.err(format!("a sum with more than {} terms", 4 * MAX_EXPANDED)));
                }
                Ok(Lin {
                    shape,
                    terms,
                    scalar: false,
                })
            }
            Kind::Transpose(e) => {
                let mut l = self.lower(e)?;
                l.shape = l.shape.map(|(r, c)| (c, r));
                for t in &mut l.terms {
                    t.chain = transpose_chain(&t.chain);
                }
                Ok(l)
            }
            Kind::Inverse(e) => {
                let l = self.lower(e)?;
                if let Some((r, c)) = l.shape {
                    if r != c {
                        return Err(at.err(format!("inv of a {r}x{c} matrix, which is not square")));
                    }
                }
                let l = if l.terms.len() > 1 && l.shape.is_none() {
                    self.factor_of(&l, at)?
                } else if l.terms.len() > 1 {
                    self.as_factor(&l, at, true)?
                } else {
                    l
                };
                let t = &l.terms[0];
                if t.scale.coef == 0.0 {
                    return Err(at.err("inv of zero"));
                }
                let chain = if t.chain.is_empty() {
                    Vec::new()
                } else {
                    vec![Cf {
                        atom: Atom::Inv(t.chain.clone()),
                        t: false,
                    }]
                };
                Ok(Lin {
                    shape: l.shape,
                    terms: vec![Term {
                        scale: t.scale.inverse(),
                        chain,
                    }],
                    scalar: l.scalar,
                })
            }
            Kind::Mul(a, b) => {
                let la = self.lower(a)?;
                let lb = self.lower(b)?;
                self.multiply(la, lb, at)
            }
        }
    }

    fn multiply(&mut self, mut la: Lin, mut lb: Lin, at: Pos) -> Result<Lin, GenError> {
        if la.scalar || lb.scalar {
            let (s, mut m) = if la.scalar { (la, lb) } else { (lb, la) };
            if s.terms.len() != 1 {
                return Err(at.err("a sum of scalars; write its value"));
            }
            for t in &mut m.terms {
                t.scale = s.terms[0].scale.times(&t.scale);
            }
            return Ok(m);
        }
        let shape = match (la.shape, lb.shape) {
            (Some((r1, c1)), Some((r2, c2))) => {
                if c1 != r2 {
                    return Err(at.err(format!("shapes do not chain: {r1}x{c1} times {r2}x{c2}")));
                }
                Some((r1, c2))
            }
            (Some((r, c)), None) => {
                // Identities take their size from the other side.
                lb.shape = Some((c, c));
                Some((r, c))
            }
            (None, Some((r, c))) => {
                la.shape = Some((r, r));
                Some((r, c))
            }
            (None, None) => None,
        };
        let concat = |x: &Term, y: &Term| Term {
            scale: x.scale.times(&y.scale),
            chain: x.chain.iter().chain(&y.chain).cloned().collect(),
        };
        if la.terms.len() == 1 && lb.terms.len() == 1 {
            return Ok(Lin {
                shape,
                terms: vec![concat(&la.terms[0], &lb.terms[0])],
                scalar: false,
            });
        }
        let expanded = la.terms.len() * lb.terms.len();
        if self.search
            && expanded <= MAX_EXPANDED
            && shape.is_some()
            && la.shape.is_some()
            && lb.shape.is_some()
        {
            // The distributive choice: (A + B)·C as one temporary times C, or A·C + B·C,
            // whichever costs fewer flops on its own.
            let ex = Lin {
                shape,
                terms: la
                    .terms
                    .iter()
                    .flat_map(|x| lb.terms.iter().map(move |y| (x, y)))
                    .map(|(x, y)| concat(x, y))
                    .collect(),
                scalar: false,
            };
            // A lone inverse among the terms would be formed explicitly in a temporary;
            // distributed, it is a solve: always distribute then.
            let lone_inverse = |l: &Lin| {
                l.terms.len() > 1
                    && l.terms.iter().any(|t| {
                        matches!(
                            &t.chain[..],
                            [Cf {
                                atom: Atom::Inv(_),
                                ..
                            }]
                        )
                    })
            };
            if lone_inverse(&la) || lone_inverse(&lb) {
                return Ok(ex);
            }
            if !self.distribute {
                return self.as_written(la, lb, shape, at);
            }
            let cost_ex = self.estimate(&ex)?;
            let cost_temp = match (la.terms.len() > 1, lb.terms.len() > 1) {
                (true, false) => {
                    let y = lb.terms[0].chain.clone();
                    self.estimate_with_temp(&la, |f| {
                        std::iter::once(f.clone())
                            .chain(y.iter().cloned())
                            .collect()
                    })?
                }
                (false, true) => {
                    let x = la.terms[0].chain.clone();
                    self.estimate_with_temp(&lb, |f| {
                        x.iter()
                            .cloned()
                            .chain(std::iter::once(f.clone()))
                            .collect()
                    })?
                }
                _ => u128::MAX,
            };
            if cost_ex < cost_temp {
                return Ok(ex);
            }
        }
        self.as_written(la, lb, shape, at)
    }

    /// The product of two sums as written: each sum of several terms a temporary.
    fn as_written(
        &mut self,
        la: Lin,
        lb: Lin,
        shape: Option<(usize, usize)>,
        at: Pos,
    ) -> Result<Lin, GenError> {
        let la = if la.terms.len() > 1 {
            self.factor_of(&la, at)?
        } else {
            la
        };
        let lb = if lb.terms.len() > 1 {
            self.factor_of(&lb, at)?
        } else {
            lb
        };
        let (x, y) = (&la.terms[0], &lb.terms[0]);
        Ok(Lin {
            shape,
            terms: vec![Term {
                scale: x.scale.times(&y.scale),
                chain: x.chain.iter().chain(&y.chain).cloned().collect(),
            }],
            scalar: false,
        })
    }

    /// A sum inside a product: a temporary; one made only of identities (its size unknown
    /// here) stays a scaled identity.
    fn factor_of(&mut self, l: &Lin, at: Pos) -> Result<Lin, GenError> {
        if l.shape.is_none() {
            // Only identities: their sum is a scaled identity.
            let coef: f64 = l.terms.iter().map(|t| t.scale.coef).sum();
            if l.terms.iter().any(|t| !t.scale.powers.is_empty()) {
                return Err(at.err(
                    "a sum of scaled identities of unknown size inside a product; give I's size by its neighbours",
                ));
            }
            return Ok(Lin {
                shape: None,
                terms: vec![Term {
                    scale: Scale {
                        coef,
                        powers: BTreeMap::new(),
                    },
                    chain: Vec::new(),
                }],
                scalar: false,
            });
        }
        self.as_factor(l, at, false)
    }

    /// Lowers and computes one assignment, adding its output to the names later ones read.
    pub(crate) fn assign(&mut self, a: &Assignment) -> Result<(), GenError> {
        let l = self.lower(&a.expr)?;
        if l.scalar {
            return Err(a.expr.at.err(format!(
                "the value of {} is a scalar; outputs are matrices or vectors (a scalar times I?)",
                crate::text::quote(&a.name)
            )));
        }
        if l.shape.is_none() {
            return Err(a.expr.at.err(format!(
                "the size of I in {} cannot be inferred: nothing it is added to or multiplied with has a known shape",
                crate::text::quote(&a.name)
            )));
        }
        // Products planned as written name their operands; errors from the chain planner
        // (an inverse not known to be nonsingular) are passed on with the assignment's place.
        self.materialize(&l, a.at, Some(a.name.clone()), false)
            .map_err(|e| match e {
                GenError::Program { .. } => e,
                other => {
                    a.at.err(format!("in {}: {other}", crate::text::quote(&a.name)))
                }
            })?;
        Ok(())
    }

    /// The names of symmetric values.
    pub(crate) fn symmetric_names(&self) -> Vec<String> {
        self.env
            .iter()
            .filter(|o| o.props.symmetric)
            .map(|o| o.name.clone())
            .collect()
    }

    pub(crate) fn finish(self, program: &super::Program) -> Result<ProgramPlan, GenError> {
        let mut thirds: u128 = 0;
        for s in &self.steps {
            thirds = thirds
                .checked_add(s.cost().thirds())
                .ok_or(GenError::Overflow {
                    what: "the program's flop count",
                })?;
        }
        Ok(ProgramPlan {
            model: self.model.name.to_string(),
            text: program.text.clone(),
            steps: self.steps,
            outputs: program.outputs.clone(),
            operands: program.operands.clone(),
            scalars: program.scalars.clone(),
            thirds,
        })
    }
}
