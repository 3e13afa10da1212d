import jax
import jax.numpy as jnp
import numpy as np
import pytest

import nnfit
from nnfit.activations import ACTIVATIONS, get_activation, register_activation
from nnfit.errors import SpecError

# Each activation's formula, written again in plain NumPy.
FORMULAS = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "gelu": lambda z: (
        0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))
    ),
    "gaussian": lambda z: np.exp(-(z**2)),
    "sin": np.sin,
    "cos": np.cos,
    "snake": lambda z: z + np.sin(0.7 * z) ** 2 / 0.7,
    "saw": lambda z: np.where(
        (z / (2 * np.pi) + 0.5) % 1.0 < 0.75,
        2 * ((z / (2 * np.pi) + 0.5) % 1.0) / 0.75 - 1,
        1 - 2 * (((z / (2 * np.pi) + 0.5) % 1.0) - 0.75) / 0.25,
    ),
}
Z = np.linspace(-6.0, 6.0, 241)


def _call(name, z):
    extra = {"a": jnp.asarray(0.7)} if name == "snake" else {}
    return get_activation(name)(jnp.asarray(z), **extra)


def test_every_registered_activation_has_a_reference_formula():
    assert set(ACTIVATIONS) == set(FORMULAS)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_activation_matches_its_formula(name):
    np.testing.assert_allclose(_call(name, Z), FORMULAS[name](Z), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_autodiff_gradient_matches_a_finite_difference(name):
    z = Z + 0.013
    if name == "saw":
        # Away from the corners, where t = 0 and t = 3/4.
        t = np.mod(z / (2 * np.pi) + 0.5, 1.0)
        z = z[(np.abs(t - 0.75) > 0.01) & (t > 0.01) & (t < 0.99)]
    if name in ("relu", "leaky_relu"):
        z = z[np.abs(z) > 0.05]
    step = 1e-6
    numeric = (FORMULAS[name](z + step) - FORMULAS[name](z - step)) / (2 * step)
    extra = {"a": 0.7} if name == "snake" else {}
    fn = get_activation(name)
    slope = jax.vmap(jax.grad(lambda value: fn(value, **extra)))(jnp.asarray(z))
    np.testing.assert_allclose(slope, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("a", [0.0, 1e-12, -1e-12, 1e-300, 1000.0])
def test_snake_is_finite_with_finite_gradients_at_any_a(a):
    snake = get_activation("snake")
    z = jnp.asarray(Z)
    a = jnp.full_like(z, a)
    value = snake(z, a=a)
    grad_z, grad_a = jax.vmap(jax.grad(lambda zi, ai: snake(zi, a=ai), (0, 1)))(z, a)
    for array in (value, grad_z, grad_a):
        assert np.all(np.isfinite(array))


def test_snake_at_a_zero_is_the_identity():
    snake = get_activation("snake")
    np.testing.assert_allclose(snake(jnp.asarray(Z), a=jnp.zeros_like(Z)), Z)
    slope = jax.vmap(jax.grad(lambda zi: snake(zi, a=0.0)))(jnp.asarray(Z))
    np.testing.assert_allclose(slope, 1.0)


@pytest.mark.parametrize("start", [0.0, 1e-12, -1e-12, 1000.0])
def test_snake_trains_without_nan_and_keeps_a_in_range(start):
    # Case snake-a-edge: a started at 0, +-1e-12 and 1000, high learning rate.
    run = nnfit.fit(activation="snake", snake_a=start, lr=1.0, steps=300, seeds=2)
    low, high = nnfit.activations.SNAKE_A_RANGE
    assert np.all(run.diverged_at < 0)
    assert np.all(np.isfinite(run.history.loss))
    a = run.history.params["a"]
    assert np.all((a >= low) & (a <= high))
    assert np.all(np.isfinite(run.predict(run.samples.grid)))


def test_snake_with_a_held_fixed_keeps_its_start():
    run = nnfit.fit(activation="snake", snake_a=0.5, train_snake_a=False, steps=50)
    np.testing.assert_array_equal(run.params["a"], 0.5)


def test_a_user_function_can_be_registered_and_trained():
    register_activation("cube_root_ish", lambda z: z / (1 + jnp.abs(z)))
    run = nnfit.fit(activation="cube_root_ish", steps=300)
    assert run.metrics["r2"][0] > 0.5


def test_registering_over_a_built_in_is_refused():
    with pytest.raises(SpecError, match="built in"):
        register_activation("relu", jnp.abs)


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(SpecError, match="use one of: sigmoid, tanh, relu"):
        get_activation("swish")


@pytest.mark.parametrize("start", [0.9, 1.08])
def test_saw_learns_its_frequency_by_autodiff(start):
    # One saw node on sin(x), started off frequency 1 with random phases: the
    # experiment the demo reports.
    from nnfit.studies import saw_from

    learned = saw_from(start, steps=2000, seeds=20)
    assert np.mean(np.abs(learned - 1) < abs(start - 1)) >= 0.75


def test_cos_3_extrapolates_ten_times_better_than_tanh_and_relu():
    def extrapolation(activation, hidden):
        run = nnfit.fit(
            activation=activation, hidden=hidden, seeds=20, record_curves=False
        )
        return np.median(run.metrics["extrap_mse"])

    cos = extrapolation("cos", 3)
    assert extrapolation("tanh", 10) >= 10 * cos
    assert extrapolation("relu", 100) >= 10 * cos


def test_snake_10_extrapolates_sin_in_most_seeds():
    run = nnfit.fit(activation="snake", hidden=10, seeds=20, record_curves=False)
    assert np.mean(run.metrics["extrap_mse"] < 0.2) > 0.5


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_every_activation_trains_on_sin_and_sin_6x_without_nan(name):
    for target, x_range in (("sin", None), ("sin(6*x)", (-np.pi, np.pi))):
        run = nnfit.fit(
            activation=name,
            target=target,
            x_range=x_range,
            steps=300,
            seeds=2,
            record_curves=False,
        )
        assert np.all(run.diverged_at < 0)
        assert np.all(np.isfinite(run.history.loss))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["cos", "sin"])
def test_polynomial_waves_hold_to_rounding_far_from_zero(name, dtype):
    # Built from + and * for speed, they must still be cos and sin: within a
    # few float32 rounding steps (or float64 ones) out to |z| = 2e4.
    z = np.concatenate([np.linspace(-60, 60, 200_001), np.linspace(-2e4, 2e4, 40_001)])
    z = z.astype(dtype)
    got = np.asarray(jax.jit(get_activation(name).fn)(jnp.asarray(z)))
    exact = getattr(np, name)(z.astype(np.float64))
    tolerance = 3e-7 if dtype == "float32" else 1e-15
    assert np.abs(got - exact).max() < tolerance


def test_polynomial_waves_stay_bounded_at_huge_inputs():
    huge = jnp.asarray([1e30, -3e38, 7e12], jnp.float32)
    for name in ("cos", "sin"):
        values = np.asarray(get_activation(name)(huge))
        assert np.all(np.isfinite(values)) and np.all(np.abs(values) <= 1.0)
        assert np.isnan(np.asarray(get_activation(name)(jnp.asarray(np.inf))))


@pytest.mark.parametrize("name", ["cos", "sin"])
def test_waves_take_integer_and_python_number_inputs_as_jnp_did(name):
    f = get_activation(name)
    np.testing.assert_allclose(
        f(jnp.arange(3)), getattr(np, name)(np.arange(3)), atol=1e-6
    )
    np.testing.assert_allclose(f(2.0), getattr(np, name)(2.0), atol=1e-6)
