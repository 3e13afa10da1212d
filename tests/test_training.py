import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import nnfit.training as training
from nnfit.activations import Activation, get_activation
from nnfit.errors import ShapeError
from nnfit.network import forward, init_params
from nnfit.run import fit, make_samples
from nnfit.samples import draw_samples
from nnfit.spec import FitSpec
from nnfit.targets import get_target
from nnfit.training import BLOCK, Trainer, _losses, blocked, mse, train


def _problem(nets, hidden=10, activation="relu", seed=0):
    samples = draw_samples(
        get_target("sin"),
        count=50,
        x_range=(-3 * np.pi, 3 * np.pi),
        noise=0.1,
        seeds=seed + np.arange(nets),
    )
    params = init_params("range", hidden, samples, seed + np.arange(nets))
    scale = samples.scaling
    return params, scale.x_to_unit(samples.x), scale.y_to_unit(samples.y)


def _pick(params, net):
    return {key: value[net : net + 1] for key, value in params.items()}


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "cos"])
def test_batch_equals_nets_trained_alone_in_float64(activation):
    params, u, s = _problem(nets=4, activation=activation)
    together = train(
        params,
        u,
        s,
        None,
        get_activation(activation),
        lr=0.01,
        steps=300,
        dtype="float64",
    )
    for net in range(4):
        alone = train(
            _pick(params, net),
            u[net : net + 1],
            s[net : net + 1],
            None,
            get_activation(activation),
            lr=0.01,
            steps=300,
            dtype="float64",
        )
        for key in "wbvc":
            np.testing.assert_allclose(
                together.params[key][net], alone.params[key][0], rtol=1e-9, atol=1e-11
            )
        np.testing.assert_allclose(
            together.history.loss[:, net],
            alone.history.loss[:, 0],
            rtol=1e-9,
            atol=1e-12,
        )


def test_loss_history_has_a_value_per_step_and_falls():
    params, u, s = _problem(nets=2, activation="tanh")
    outcome = train(params, u, s, None, get_activation("tanh"), steps=200)
    assert outcome.history.loss.shape == (201, 2)
    assert np.all(outcome.history.loss[-1] < outcome.history.loss[0] / 5)


def test_records_land_every_k_steps_with_curves():
    params, u, s = _problem(nets=2, activation="tanh")
    grid = np.tile(np.linspace(-2, 2, 30), (2, 1))
    outcome = train(
        params, u, s, grid, get_activation("tanh"), steps=100, record_every=20
    )
    np.testing.assert_array_equal(outcome.history.steps, [0, 20, 40, 60, 80, 100])
    assert outcome.history.curves.shape == (6, 2, 30)
    assert outcome.history.params["w"].shape == (6, 2, 10)
    np.testing.assert_array_equal(outcome.history.params["w"][-1], outcome.params["w"])


def test_progress_is_reported_in_chunks_with_the_same_result():
    params, u, s = _problem(nets=1, activation="tanh")
    seen = []
    chunked = train(
        params,
        u,
        s,
        None,
        get_activation("tanh"),
        steps=100,
        dtype="float64",
        progress=lambda done, total: seen.append(done),
    )
    whole = train(
        params, u, s, None, get_activation("tanh"), steps=100, dtype="float64"
    )
    assert seen[-1] == 100 and len(seen) > 1
    np.testing.assert_allclose(chunked.params["w"], whole.params["w"], rtol=1e-12)


def test_changing_lr_keeps_the_optimiser_state():
    params, u, s = _problem(nets=1, activation="tanh")
    trainer = Trainer(params, u, s, None, get_activation("tanh"), "adam", "float64")
    trainer.advance(50, 10, lr=0.05)
    trainer.advance(50, 10, lr=0.01)
    assert trainer.step == 100
    count = trainer.state[1][0].count
    assert int(count) == 100


def test_mse_refuses_a_column_beside_a_row_and_names_both_shapes():
    with pytest.raises(ShapeError, match=r"\(5,\).*\(5, 1\)"):
        mse(jnp.zeros(5), jnp.zeros((5, 1)))
    with pytest.raises(ShapeError, match=r"\(5, 1\).*\(5,\)"):
        mse(jnp.zeros((5, 1)), jnp.zeros(5))


def test_mse_of_the_true_curve_equals_the_noise_variance():
    # Case shape-broadcast: with a silent (n,) x (n, 1) broadcast this would be
    # var(y) + noise^2 instead of noise^2.
    rng = np.random.default_rng(0)
    x = rng.uniform(-10, 10, 200_000)
    noisy = np.sin(x) + 0.1 * rng.standard_normal(x.size)
    loss = float(mse(jnp.asarray(np.sin(x)), jnp.asarray(noisy)))
    assert loss == pytest.approx(0.01, rel=0.02)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_nan_guard_stops_at_the_first_non_finite_loss(optimizer):
    # Case nan-guard: tanh, 10 nodes, lr 1.0.
    run = fit(activation="tanh", optimizer=optimizer, lr=1.0, seeds=3)
    for net in range(3):
        step = int(run.diverged_at[net])
        loss = run.history.loss[:, net]
        if step < 0:
            assert np.all(np.isfinite(loss))
            continue
        assert np.all(np.isfinite(loss[:step])) and np.all(np.isnan(loss[step:]))
        for key in "wbvc":
            assert np.all(np.isfinite(run.params[key][net]))
        assert f"diverged at step {step}" in run.divergence(net)
        assert "smaller learning rate" in run.divergence(net)
        assert np.all(np.isfinite(run.recorded_curves(net)))
    if optimizer == "sgd":
        assert np.all(run.diverged_at > 0)


def test_a_diverged_net_leaves_its_batch_mates_alone():
    params, u, s = _problem(nets=2, activation="tanh")
    s = s.copy()
    s[1, 0] = np.inf
    outcome = train(params, u, s, None, get_activation("tanh"), steps=50)
    assert outcome.diverged_at[1] == 0
    assert outcome.diverged_at[0] == -1
    assert np.all(np.isfinite(outcome.history.loss[:, 0]))


def test_samples_beyond_a_block_are_padded_and_only_the_real_ones_count():
    u = np.arange(2 * 50, dtype=float).reshape(2, 50)
    blocks_u, blocks_s, real = blocked(u, -u)
    assert blocks_u.shape == (2, 2, BLOCK) and real.shape == (2, BLOCK)
    assert real.sum() == 50
    np.testing.assert_array_equal(blocks_u.reshape(2, -1)[:, :50], u)
    padding = blocks_s.reshape(2, -1)[:, 50:]
    np.testing.assert_array_equal(padding, np.repeat(-u[:, -1:], 14, axis=1))
    small_u, _, no_mask = blocked(u[:, :BLOCK], u[:, :BLOCK])
    assert small_u.shape == (2, BLOCK) and no_mask is None


def test_blocked_losses_equal_the_mean_squared_error_of_all_samples():
    params, u, s = _problem(nets=3, activation="tanh")
    tanh = get_activation("tanh")
    params = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
    expected = mse(forward(params, jnp.asarray(u), tanh), jnp.asarray(s))
    blocks_u, blocks_s, real = blocked(u, s)
    blocks = _losses(params, jnp.asarray(blocks_u), jnp.asarray(blocks_s), real, tanh)
    np.testing.assert_allclose(blocks, expected, rtol=1e-13)


def test_padding_brings_in_no_output_the_real_samples_do_not_give():
    # At u = 0, exp(z) = exp(800) would overflow, and its gradient would be
    # NaN even where the mask drops it; the padding repeats a real u instead.
    params = {
        "w": jnp.ones((1, 1)),
        "b": jnp.full((1, 1), 800.0),
        "v": jnp.ones((1, 1)),
        "c": jnp.zeros(1),
    }
    u = -np.linspace(801, 900, 40)[None]
    blocks_u, blocks_s, real = blocked(u, np.zeros_like(u))
    exp = Activation("exp", jnp.exp, "exp(z)")

    def loss(params):
        blocks = (jnp.asarray(blocks_u), jnp.asarray(blocks_s), real, exp)
        return jnp.sum(_losses(params, *blocks))

    value, grads = jax.value_and_grad(loss)(params)
    assert np.isfinite(float(value))
    assert all(np.isfinite(np.asarray(g)).all() for g in grads.values())


def test_training_falls_back_to_plain_jit_where_xla_rejects_an_option(monkeypatch):
    monkeypatch.setattr(training, "CPU_OPTIONS", {"xla_cpu_no_such_option": 1})
    monkeypatch.setattr(training, "_OPTIONS_REJECTED", [])
    program = training._compiled(lambda x: x * 2)
    np.testing.assert_array_equal(program(jnp.arange(3.0)), [0.0, 2.0, 4.0])
    assert "xla_cpu_no_such_option" in training._OPTIONS_REJECTED[0]


# An independent trainer: plain JAX on the unblocked (B, N) layout, jax.grad
# of the mean squared error, optax's Adam. nnfit's blocked program must agree.


def _reference_forward(params, u, f):
    z = params["w"][:, :, None] * u[:, None, :] + params["b"][:, :, None]
    extra = {"a": params["a"][:, :, None]} if "a" in params else {}
    h = f(z, **extra)
    layer = 2
    while f"W{layer}" in params:
        z = jnp.einsum("bij,bjn->bin", params[f"W{layer}"], h)
        h = f(z + params[f"b{layer}"][:, :, None], **extra)
        layer += 1
    s = jnp.einsum("bh,bhn->bn", params["v"], h) + params["c"][:, None]
    return s + params["d"][:, None] * u if "d" in params else s


def _reference_train(params, u, s, f, lr, steps, frozen, bounds):
    params = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}

    def per_net(p):
        return jnp.mean((_reference_forward(p, u, f) - s) ** 2, axis=1)

    opt = optax.adam(lr)

    @jax.jit
    def step(p, state):
        g = jax.grad(lambda q: jnp.sum(per_net(q)))(p)
        g = {k: jnp.zeros_like(v) if k in frozen else v for k, v in g.items()}
        updates, state = opt.update(g, state, p)
        p = optax.apply_updates(p, updates)
        for k, (low, high) in bounds.items():
            p[k] = jnp.clip(p[k], low, high)
        return p, state, per_net(p)

    state, losses = opt.init(params), [per_net(params)]
    for _ in range(steps):
        params, state, loss = step(params, state)
        losses.append(loss)
    return {k: np.asarray(v) for k, v in params.items()}, np.array(losses)


CASES = [
    ("sigmoid", 33, 1, True, True),
    ("relu", 65, 1, True, True),
    ("cos", 50, 2, True, True),
    ("snake", 64, 1, False, False),
    ("saw", 200, 1, True, True),
    ("gelu", 31, 3, False, True),
]


@pytest.mark.parametrize("name, samples, depth, trend, train_a", CASES)
def test_fit_matches_an_unblocked_reference_in_float64(
    name, samples, depth, trend, train_a
):
    spec = FitSpec(
        activation=name,
        samples=samples,
        depth=depth,
        trend=trend,
        train_snake_a=train_a,
        steps=100,
        lr=0.01,
        seeds=2,
        hidden=5,
        dtype="float64",
        record_curves=False,
    )
    data = make_samples(spec, None, None)
    activation = get_activation(name)
    params = init_params(
        spec.init or activation.init,
        spec.hidden,
        data,
        np.arange(2),
        activation,
        layers=depth,
        trend=trend,
    )
    u, s = data.scaling.x_to_unit(data.x), data.scaling.y_to_unit(data.y)
    frozen = () if train_a else ("a",)
    expected, losses = _reference_train(
        params,
        jnp.asarray(u),
        jnp.asarray(s),
        activation,
        0.01,
        100,
        frozen,
        dict(activation.bounds),
    )
    run = fit(spec)
    np.testing.assert_allclose(run.history.loss, losses, rtol=1e-9)
    for key in expected:
        np.testing.assert_allclose(
            run.params[key], expected[key], rtol=1e-9, atol=1e-12
        )


@pytest.mark.parametrize("count", [1, 2])
def test_one_or_two_samples_train_like_the_reference(count):
    rng = np.random.default_rng(count)
    params = {k: rng.normal(size=(2, 4)) for k in "wbv"} | {"c": np.zeros(2)}
    u, s = rng.normal(size=(2, count)), rng.normal(size=(2, count))
    tanh = get_activation("tanh")
    expected, losses = _reference_train(
        params, jnp.asarray(u), jnp.asarray(s), tanh, 0.01, 50, (), {}
    )
    out = train(params, u, s, None, tanh, lr=0.01, steps=50, dtype="float64")
    np.testing.assert_allclose(out.history.loss, losses, rtol=1e-9, atol=1e-15)


def test_a_diverging_net_with_blocked_samples_keeps_its_last_finite_params():
    # SGD at lr=50 blows relu nets with a trend up within a few steps.
    run = fit(
        activation="relu",
        optimizer="sgd",
        lr=50.0,
        samples=65,
        steps=20,
        seeds=3,
        hidden=6,
        dtype="float64",
        trend=True,
        record_curves=False,
    )
    assert np.all(run.diverged_at > 0)
    for net, step in enumerate(run.diverged_at):
        assert np.all(np.isfinite(run.history.loss[:step, net]))
        assert np.all(np.isnan(run.history.loss[step:, net]))
        for key, value in run.params.items():
            assert np.all(np.isfinite(value[net]))
            np.testing.assert_array_equal(
                value[net], run.history.params[key][step - 1, net]
            )


@pytest.mark.parametrize(
    "options",
    [
        {"xla_cpu_prefer_vector_width": "wide"},  # not an int32
        {"xla_cpu_experimental_ynn_fusion_type": "bogus"},  # not an enum value
    ],
)
def test_training_falls_back_where_xla_rejects_an_options_value(monkeypatch, options):
    monkeypatch.setattr(training, "CPU_OPTIONS", options)
    monkeypatch.setattr(training, "_OPTIONS_REJECTED", [])
    program = training._compiled(lambda x: x * 2)
    np.testing.assert_array_equal(program(jnp.arange(3.0)), [0.0, 2.0, 4.0])
    assert training._OPTIONS_REJECTED
