"""The lower bound on β (Equation 11), δ* (Equation 12) and the quadratic threshold."""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from alcore.analysis.theory import (
    beta_lower_bound,
    delta_star,
    log_error_integral,
    quadratic_threshold,
)


def test_bound_at_two_hand_computed_points() -> None:
    # δ = 0.5, z = 0.5, λcλe = 1: r0 = 0.25, δ - r0 = 0.25;
    # δ^(2δ) / r0^(2 r0) = 0.5^1 / 0.25^0.5 = 0.5 / 0.5 = 1; exp(2 (δ - r0)) = e^0.5
    # -> β >= 1 - 1 / e^0.5 = 1 - 0.6065307 = 0.3934693
    assert beta_lower_bound(0.5, 0.5) == pytest.approx(1 - math.exp(-0.5))
    assert beta_lower_bound(0.5, 0.5) == pytest.approx(0.3934693, abs=1e-7)
    # δ = 1, z = 0: r0 = 0 (r0^r0 -> 1); 1^2 / 1 / exp(2) -> β >= 1 - e^-2 = 0.8646647
    assert beta_lower_bound(1.0, 0.0) == pytest.approx(0.8646647, abs=1e-7)
    # with λcλe = 2 at δ = 1, z = 0: 1 - 2^1 e^-2 = 1 - 0.2706706 = 0.7293294
    assert beta_lower_bound(1.0, 0.0, 2.0, 1.0) == pytest.approx(0.7293294, abs=1e-7)


@pytest.mark.parametrize(("delta", "z", "lam"), [(0.7, 0.3, 1.0), (2.0, 0.1, 0.5), (1.3, 0.8, 3.0)])
def test_exponent_is_the_integral_of_log_error(delta: float, z: float, lam: float) -> None:
    numeric, _ = quad(lambda r: math.log(lam * r * r), z * delta, delta)
    assert log_error_integral(delta, z, lam, 1.0) == pytest.approx(numeric, rel=1e-7, abs=1e-9)


def test_bound_is_vectorised_and_zero_at_the_origin() -> None:
    deltas = np.linspace(0.0, 3.0, 31)
    zs = np.array([[0.0], [0.5], [1.0]])
    bound = beta_lower_bound(deltas, zs)
    assert bound.shape == (3, 31)
    assert np.all(bound < 1)
    assert np.allclose(bound[:, 0], 0.0)
    assert np.allclose(bound[2], 0.0)  # z = 1: empty interval, the bound is 0 everywhere


@pytest.mark.parametrize("z", [0.0, 0.1, 0.5, 0.9])
@pytest.mark.parametrize(("lambda_c", "lambda_e"), [(1.0, 1.0), (2.0, 0.5), (0.5, 3.0)])
def test_delta_star_is_the_zero_crossing(z: float, lambda_c: float, lambda_e: float) -> None:
    star = float(delta_star(z, lambda_c, lambda_e))
    # the reference: a numerical root of the bound on (a small δ, far out)
    root = brentq(lambda d: float(beta_lower_bound(d, z, lambda_c, lambda_e)), 1e-6, 50.0)
    assert star == pytest.approx(root, rel=1e-9)
    assert beta_lower_bound(0.5 * star, z, lambda_c, lambda_e) > 0
    assert beta_lower_bound(1.5 * star, z, lambda_c, lambda_e) < 0


def test_delta_star_closed_form_values() -> None:
    # z = 0: e / sqrt(λcλe); z = 0.5: exp(1 + 0.5 ln 0.5 / 0.5) = e / 2; z -> 1: 1 / sqrt(λcλe)
    assert delta_star(0.0) == pytest.approx(math.e)
    assert delta_star(0.5) == pytest.approx(math.e / 2)
    assert delta_star(0.0, 4.0, 1.0) == pytest.approx(math.e / 2)
    assert delta_star(1.0) == pytest.approx(1.0)
    assert delta_star(1 - 1e-9) == pytest.approx(1.0, rel=1e-6)
    assert np.all(np.diff(delta_star(np.linspace(0, 1, 11))) < 0)  # less confident, shorter δ*


def test_invalid_inputs_name_the_value() -> None:
    with pytest.raises(ValueError, match=r"z=1\.5 must lie in \[0, 1\]"):
        beta_lower_bound(1.0, 1.5)
    with pytest.raises(ValueError, match=r"delta=-1\.0 must be >= 0"):
        beta_lower_bound(-1.0, 0.5)
    with pytest.raises(ValueError, match="lambda_c=0"):
        delta_star(0.5, 0.0)


def test_quadratic_threshold() -> None:
    assert quadratic_threshold(1.0) == 1.0
    assert quadratic_threshold(4.0) == 0.25
    with pytest.raises(ValueError, match="positive"):
        quadratic_threshold(-1.0)
