r"""The paper's lower bound on β (Equations 9-12, Appendix A.1 Claims 1-4), re-derived.

Setting (paper Section 4). A point at distance r from its nearest labelled point errs with
probability ``P_err(r) = I(r)·ε(r) <= λc·λe·r²`` (Equation 9: doubt ``I(r) <= λc·r`` and error
rate ``ε(r) <= λe·r``). β is the probability that some point with zero error lies between
``r0`` and δ; the paper writes it as (Equation 14)

    β = 1 - exp(∫_{r0}^{δ} ln P_err(r) dr).

Since ln is increasing, ``∫ ln P_err <= ∫ ln(λcλe r²)``, so (Claim 1) β >= 1 - exp(A) with,
by Claim 2 (∫ ln(a x²) dx = x ln(a x²) - 2x),

    A = [r ln(λcλe r²) - 2r]_{r0}^{δ}
      = (δ - r0) ln(λcλe) + 2 δ ln δ - 2 r0 ln r0 - 2 (δ - r0),

that is (Claim 3)

    β >= 1 - (λcλe)^(δ-r0) · δ^(2δ) / r0^(2 r0) / exp(2 (δ - r0)).

With ``r0 = z·δ`` (Equation 11 and Claim 4), ``A = δ·[(1-z)(ln(λcλe) + 2 ln δ - 2) - 2 z ln z]``,

    β >= 1 - [ (λcλe δ² / e²)^(1-z) · z^(-2z) ]^δ.

For z = 0 the limit ``r0^r0 -> 1`` (``0·ln 0 = 0``) applies; at δ = 0 the bound is 0. The bound
is always < 1; it is positive for ``0 < δ < δ*`` and negative (vacuous: β is a probability)
beyond. Setting the bracket of A to zero gives Equation 12 in closed form:

    δ* = exp(1 + z ln z / (1 - z)) / sqrt(λcλe)

(e/sqrt(λcλe) at z = 0, tending to 1/sqrt(λcλe) as z -> 1, where the interval [r0, δ] is empty
and the bound is 0 for every δ). Quadratic convergence of the core-set loss (Equation 8) needs
``δ < 1/λc``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy


def _check_lambdas(lambda_c: float, lambda_e: float) -> None:
    if not (lambda_c > 0 and lambda_e > 0):
        raise ValueError(
            f"lambda_c={lambda_c} and lambda_e={lambda_e} must be positive Lipschitz constants"
        )


def _check_z(z: NDArray[np.float64]) -> None:
    if np.any(np.isnan(z)) or np.any((z < 0) | (z > 1)):
        raise ValueError(f"z={z} must lie in [0, 1] (r0 = z·δ is a fraction of δ)")


def log_error_integral(
    delta: ArrayLike, z: ArrayLike, lambda_c: float = 1.0, lambda_e: float = 1.0
) -> NDArray[np.float64]:
    """``A = ∫_{zδ}^{δ} ln(λcλe r²) dr`` (the exponent of the bound), broadcast over delta, z.

    delta >= 0, z in [0, 1]; returns float64 of the broadcast shape.
    """
    _check_lambdas(lambda_c, lambda_e)
    d = np.asarray(delta, dtype=np.float64)
    zz = np.asarray(z, dtype=np.float64)
    if np.any(np.isnan(d)) or np.any(d < 0):
        raise ValueError(f"delta={d} must be >= 0 (a distance)")
    _check_z(zz)
    d, zz = np.broadcast_arrays(d, zz)
    r0 = zz * d
    span = d - r0
    return np.asarray(
        span * np.log(lambda_c * lambda_e) + 2 * xlogy(d, d) - 2 * xlogy(r0, r0) - 2 * span,
        dtype=np.float64,
    )


def beta_lower_bound(
    delta: ArrayLike, z: ArrayLike, lambda_c: float = 1.0, lambda_e: float = 1.0
) -> NDArray[np.float64]:
    """The paper's Equation 11 lower bound on β, not clipped:

        β >= 1 - (λcλe)^(δ(1-z)) · δ^(2δ) / (zδ)^(2zδ) / exp(2δ(1-z)),  with 0^0 = 1.

    delta: distances δ >= 0 from the nearest labelled point; z: doubt slices in [0, 1] (r0 = zδ);
    both broadcast. Returns float64 values < 1, negative where δ > δ* (a vacuous bound, left
    unclipped so that its zero crossing δ* stays visible; clip at 0 for "β >= max(0, bound)").
    """
    return np.asarray(-np.expm1(log_error_integral(delta, z, lambda_c, lambda_e)))


def delta_star(z: ArrayLike, lambda_c: float = 1.0, lambda_e: float = 1.0) -> NDArray[np.float64]:
    """Equation 12: the δ > 0 at which the bound reaches 0,
    ``δ* = exp(1 + z ln z / (1 - z)) / sqrt(λcλe)``.

    z: doubt slices in [0, 1] (z = 1 returns the limit 1/sqrt(λcλe)). Returns float64 of z's
    shape. For 0 < δ < δ* the bound is positive, beyond it negative.
    """
    _check_lambdas(lambda_c, lambda_e)
    zz = np.asarray(z, dtype=np.float64)
    _check_z(zz)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(zz < 1, xlogy(zz, zz) / (1 - zz), -1.0)
    return np.asarray(np.exp(1 + ratio) / np.sqrt(lambda_c * lambda_e), dtype=np.float64)


def quadratic_threshold(lambda_c: float = 1.0) -> float:
    """The largest δ (exclusive) for which the core-set loss converges quadratically in δ
    (Equation 8): ``1 / λc``."""
    _check_lambdas(lambda_c, 1.0)
    return 1.0 / lambda_c
