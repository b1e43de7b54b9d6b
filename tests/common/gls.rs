//! GLS's planned cost, from the per-kernel flop formulas of docs/generalized.md, in thirds of
//! a flop: shared by the library's and the CLI's tests, which check the planner against it.

/// inv(Xᵀ·inv(M)·X)·Xᵀ·inv(M)·y with M m×m SPD, X m×n full rank, y a vector, planned with
/// M's Cholesky split: potrf(M) m³/3, trsm U⁻ᵀX m²n, syrk n(n+1)m, potrs(M, y) 2m²,
/// gemv 2nm, potrf n³/3, potrs 2n².
pub fn gls_planned_thirds(m: u128, n: u128) -> u128 {
    m * m * m + 3 * m * m * n + 3 * n * (n + 1) * m + 6 * m * m + 6 * n * m + n * n * n + 6 * n * n
}
