import jax.numpy as jnp
import numpy as np
import pytest

from nnfit.activations import get_activation
from nnfit.network import contributions, forward, init_params, to_user_units
from nnfit.samples import draw_samples
from nnfit.targets import get_target


def _samples(nets=3, seed=0):
    return draw_samples(
        get_target("sin"),
        count=50,
        x_range=(-3 * np.pi, 3 * np.pi),
        noise=0.1,
        seeds=seed + np.arange(nets),
    )


def _numpy_forward(params, u, f):
    # Plain float64 reference: y_bn = sum_i v_bi f(w_bi u_bn + b_bi) + c_b.
    out = np.empty(u.shape)
    for net in range(u.shape[0]):
        for n in range(u.shape[1]):
            z = params["w"][net] * u[net, n] + params["b"][net]
            out[net, n] = np.sum(params["v"][net] * f(z)) + params["c"][net]
    return out


NUMPY_FNS = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "cos": np.cos,
}


@pytest.mark.parametrize("name", sorted(NUMPY_FNS))
def test_forward_equals_plain_numpy_float64(name):
    samples = _samples()
    params = init_params("normal", 7, samples, np.arange(3))
    u = samples.scaling.x_to_unit(samples.x)
    with_jax = forward(
        {k: jnp.asarray(v, jnp.float64) for k, v in params.items()},
        jnp.asarray(u, jnp.float64),
        get_activation(name),
    )
    np.testing.assert_allclose(
        with_jax, _numpy_forward(params, u, NUMPY_FNS[name]), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("name", ["sigmoid", "relu", "cos"])
def test_contributions_sum_to_output(name):
    samples = _samples()
    params = init_params("range", 5, samples, np.arange(3))
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    u = jnp.asarray(samples.scaling.x_to_unit(samples.grid))
    shares = contributions(jparams, u, get_activation(name))
    assert shares.shape == (3, 5, samples.grid.size)
    total = shares.sum(axis=1) + jparams["c"][:, None]
    np.testing.assert_allclose(
        total, forward(jparams, u, get_activation(name)), rtol=1e-5, atol=1e-5
    )


def test_user_units_give_the_same_curve():
    samples = _samples(nets=2)
    params = init_params("range", 4, samples, np.arange(2))
    user = to_user_units(params, samples)
    u = samples.scaling.x_to_unit(samples.grid)
    standard = _numpy_forward(params, u, np.tanh)
    in_user_units = _numpy_forward(user, np.tile(samples.grid, (2, 1)), np.tanh)
    expected = samples.scaling.y_from_unit(standard)
    np.testing.assert_allclose(in_user_units, expected, rtol=1e-10, atol=1e-10)


def test_range_init_puts_each_transition_inside_the_data():
    samples = _samples(nets=4)
    params = init_params("range", 20, samples, np.arange(4))
    u = samples.scaling.x_to_unit(samples.x)
    where = -params["b"] / params["w"]
    assert np.all(where >= u.min(axis=1, keepdims=True))
    assert np.all(where <= u.max(axis=1, keepdims=True))


def test_spectrum_init_starts_a_node_near_the_target_frequency():
    samples = _samples(nets=5)
    params = init_params("spectrum", 3, samples, np.arange(5))
    user = to_user_units(params, samples)
    nearest = np.min(np.abs(np.abs(user["w"]) - 1.0), axis=1)
    assert np.all(nearest < 0.1)


def test_init_is_reproducible_by_seed():
    samples = _samples(nets=2)
    first = init_params("range", 6, samples, np.array([3, 4]))
    again = init_params("range", 6, samples, np.array([3, 4]))
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])


def test_unknown_init_names_the_choices():
    with pytest.raises(ValueError, match="init 'xavier' is not known; use one of"):
        init_params("xavier", 3, _samples(nets=1), np.arange(1))


def test_deeper_nets_add_square_layers_and_contributions_still_sum():
    samples = _samples(nets=2)
    params = init_params(
        "range", 4, samples, np.arange(2), get_activation("relu"), layers=3
    )
    assert params["W2"].shape == (2, 4, 4) and params["b3"].shape == (2, 4)
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    u = jnp.asarray(samples.scaling.x_to_unit(samples.grid))
    total = contributions(jparams, u, get_activation("relu")).sum(axis=1)
    np.testing.assert_allclose(
        total + jparams["c"][:, None],
        forward(jparams, u, get_activation("relu")),
        rtol=1e-12,
    )


def test_a_two_layer_forward_equals_plain_numpy():
    samples = _samples(nets=1)
    params = init_params(
        "normal", 3, samples, np.arange(1), get_activation("tanh"), layers=2
    )
    u = samples.scaling.x_to_unit(samples.x)
    h1 = np.tanh(params["w"][0][:, None] * u[0][None, :] + params["b"][0][:, None])
    h2 = np.tanh(params["W2"][0] @ h1 + params["b2"][0][:, None])
    expected = params["v"][0] @ h2 + params["c"][0]
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    got = forward(jparams, jnp.asarray(u), get_activation("tanh"))[0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


BLOCKED_NETS = [("sigmoid", 1, False), ("tanh", 2, True), ("snake", 1, False)]


@pytest.mark.parametrize("name, layers, trend", BLOCKED_NETS)
def test_forward_takes_samples_in_blocks_as_training_lays_them_out(name, layers, trend):
    samples = _samples()
    activation = get_activation(name)
    params = init_params(
        "normal", 5, samples, np.arange(3), activation, layers=layers, trend=trend
    )
    if trend:
        params["d"] = params["d"] + 0.3
    params = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
    u = jnp.asarray(samples.scaling.x_to_unit(samples.x)[:, :48], jnp.float64)
    flat = forward(params, u, activation)
    blocks = forward(params, u.reshape(3, 2, 24), activation)
    np.testing.assert_allclose(blocks.reshape(3, 48), flat, rtol=1e-14, atol=1e-14)


def test_contributions_of_blocked_samples_sum_to_forward():
    rng = np.random.default_rng(0)
    params = {k: jnp.asarray(rng.normal(size=(2, 2))) for k in "wbv"}
    params["c"] = jnp.asarray(rng.normal(size=2))
    u = jnp.asarray(rng.normal(size=(2, 64)))  # B = H = K = 2: broadcasts silently
    tanh = get_activation("tanh")
    shares = contributions(params, u.reshape(2, 2, 32), tanh)
    total = shares.sum(axis=1).reshape(2, 64) + params["c"][:, None]
    np.testing.assert_allclose(total, forward(params, u, tanh), rtol=1e-12)
