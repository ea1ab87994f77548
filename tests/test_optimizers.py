"""`_core.Optimizer` against the update rules written out in NumPy float64.

The rules are scikit-learn's. SGD with momentum mu:
  v := mu v - lr g
  p := p + v, or with Nesterov momentum p := p + mu v - lr g (with the new v)
With mu = 0 this is p := p - lr g. Adam:
  t := t + 1
  m := b1 m + (1 - b1) g
  v := b2 v + (1 - b2) g^2
  p := p - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
"""

import pickle

import numpy as np
import pytest

import fastnn
from fastnn import _core

# 120000 elements are enough for the SGD and Adam kernels to use several threads.
N_PARAMS = 120000
N_STEPS = 6


def tolerances(dtype):
    """(rtol, atol) for parameters of order 1 after a few steps."""
    return (1e-12, 1e-14) if dtype == np.float64 else (1e-6, 1e-6)


class SgdReference:
    def __init__(self, params, learning_rate, momentum, nesterov):
        self.p = np.asarray(params, dtype=np.float64).copy()
        self.v = np.zeros_like(self.p)
        self.lr, self.mu, self.nesterov = learning_rate, momentum, nesterov

    def step(self, g):
        self.v = self.mu * self.v - self.lr * g
        if self.nesterov:
            self.p += self.mu * self.v - self.lr * g
        else:
            self.p += self.v


class AdamReference:
    def __init__(self, params, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8, t=0):
        self.p = np.asarray(params, dtype=np.float64).copy()
        self.m = np.zeros_like(self.p)
        self.v = np.zeros_like(self.p)
        self.lr, self.b1, self.b2, self.eps, self.t = learning_rate, beta1, beta2, epsilon, t

    def step(self, g):
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        step_size = self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        self.p -= step_size * self.m / (np.sqrt(self.v) + self.eps)


def make_buffers(rng, dtype, n=N_PARAMS):
    params = rng.standard_normal(n).astype(dtype)
    return params, np.zeros(n, dtype), np.zeros(n, dtype), np.zeros(n, dtype)


SGD_VARIANTS = {
    "plain": dict(momentum=0.0, nesterov=False),
    "momentum": dict(momentum=0.9, nesterov=False),
    "nesterov": dict(momentum=0.9, nesterov=True),
    "nesterov_low_momentum": dict(momentum=0.5, nesterov=True),
}


@pytest.mark.parametrize("variant", list(SGD_VARIANTS))
def test_sgd_formula(float_dtype, rng, variant):
    settings = SGD_VARIANTS[variant]
    params, grads, state1, state2 = make_buffers(rng, float_dtype)
    reference = SgdReference(params, 0.05, settings["momentum"], settings["nesterov"])
    opt = _core.Optimizer("sgd", learning_rate=0.05, **settings)
    rtol, atol = tolerances(float_dtype)

    for step in range(1, N_STEPS + 1):
        g = rng.standard_normal(N_PARAMS)
        grads[...] = g
        opt.step(params, grads, state1, state2)
        reference.step(grads.astype(np.float64))

        np.testing.assert_allclose(params, reference.p, rtol=rtol, atol=atol,
                                   err_msg="SGD %s: params after step %d" % (variant, step))
        if settings["momentum"] != 0:
            np.testing.assert_allclose(state1, reference.v, rtol=rtol, atol=atol,
                                       err_msg="SGD %s: velocity after step %d" % (variant, step))


def test_sgd_leaves_grads(rng):
    params, grads, state1, state2 = make_buffers(rng, np.float64, n=100)
    grads[...] = rng.standard_normal(100)
    grads_before = grads.copy()
    opt = _core.Optimizer("sgd", learning_rate=0.1)

    opt.step(params, grads, state1, state2)

    np.testing.assert_array_equal(grads, grads_before, err_msg="step changed grads")


ADAM_SETTINGS = {
    "default": dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8),
    "custom": dict(learning_rate=0.02, beta1=0.8, beta2=0.95, epsilon=1e-4),
}


@pytest.mark.parametrize("settings", list(ADAM_SETTINGS))
def test_adam_formula(float_dtype, rng, settings, isa):
    config = ADAM_SETTINGS[settings]
    # 13 past a multiple of the vector width: the last vector is partial.
    params, grads, m, v = make_buffers(rng, float_dtype, N_PARAMS + 13)
    reference = AdamReference(params, **config)
    opt = _core.Optimizer("adam", **config)
    rtol, atol = tolerances(float_dtype)
    # float32 moments: 1 - float32(beta2) differs from 1 - beta2 by about 1e-5
    # relative, so compare them with a looser tolerance than the parameters.
    moment_rtol = rtol if float_dtype == np.float64 else 1e-4

    for step in range(1, N_STEPS + 1):
        grads[...] = rng.standard_normal(grads.size)
        opt.step(params, grads, m, v)
        reference.step(grads.astype(np.float64))

        assert opt.t == step
        np.testing.assert_allclose(params, reference.p, rtol=rtol, atol=atol,
                                   err_msg="Adam %s: params after step %d" % (settings, step))
        np.testing.assert_allclose(m, reference.m, rtol=moment_rtol, atol=atol,
                                   err_msg="Adam %s: first moment after step %d" % (settings, step))
        np.testing.assert_allclose(v, reference.v, rtol=moment_rtol, atol=atol,
                                   err_msg="Adam %s: second moment after step %d" % (settings, step))


def test_adam_t_counts_steps(rng):
    params, grads, m, v = make_buffers(rng, np.float64, n=10)
    opt = _core.Optimizer("adam", learning_rate=1e-3)

    assert opt.t == 0
    for expected in range(1, 4):
        opt.step(params, grads, m, v)
        assert opt.t == expected


def test_adam_resumes_at_t(rng):
    # With t already at 10 the next step uses the bias correction of step 11.
    params, grads, m, v = make_buffers(rng, np.float64, n=500)
    m[...] = 0.1 * rng.standard_normal(500)
    v[...] = rng.uniform(0.01, 1.0, size=500)
    reference = AdamReference(params, 1e-2, t=10)
    reference.m, reference.v = m.copy(), v.copy()
    opt = _core.Optimizer("adam", learning_rate=1e-2)
    opt.t = 10
    grads[...] = rng.standard_normal(500)

    opt.step(params, grads, m, v)
    reference.step(grads)

    assert opt.t == 11
    np.testing.assert_allclose(params, reference.p, rtol=1e-12, atol=1e-14,
                               err_msg="Adam step 11 after setting t = 10")


def test_learning_rate_setter(rng):
    params, grads, state1, state2 = make_buffers(rng, np.float64, n=200)
    grads[...] = rng.standard_normal(200)
    opt = _core.Optimizer("sgd", learning_rate=0.1, momentum=0.0)

    opt.learning_rate = 0.025
    expected = params - 0.025 * grads
    opt.step(params, grads, state1, state2)

    assert opt.learning_rate == 0.025
    np.testing.assert_allclose(params, expected, rtol=1e-15, atol=1e-16,
                               err_msg="SGD step after changing the learning rate")


def test_adam_learning_rate_setter(rng):
    params, grads, m, v = make_buffers(rng, np.float64, n=200)
    reference = AdamReference(params, 1e-3)
    opt = _core.Optimizer("adam", learning_rate=1e-3)

    for learning_rate in (1e-3, 5e-3, 2e-4):
        opt.learning_rate = learning_rate
        reference.lr = learning_rate
        grads[...] = rng.standard_normal(200)
        opt.step(params, grads, m, v)
        reference.step(grads)

    assert opt.learning_rate == 2e-4
    np.testing.assert_allclose(params, reference.p, rtol=1e-12, atol=1e-14,
                               err_msg="Adam with a learning rate changed between steps")


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_optimizer_pickle(rng, kind):
    opt = _core.Optimizer(kind, learning_rate=0.01, momentum=0.7, nesterov=False, beta1=0.85,
                          beta2=0.99, epsilon=1e-6)
    params, grads, s1, s2 = make_buffers(rng, np.float64, n=50)
    for _ in range(3):
        grads[...] = rng.standard_normal(50)
        opt.step(params, grads, s1, s2)

    restored = pickle.loads(pickle.dumps(opt))

    assert isinstance(restored, _core.Optimizer)
    assert restored.kind == kind
    assert restored.t == opt.t
    assert restored.learning_rate == opt.learning_rate
    assert restored.get_config() == opt.get_config()

    # Both continue identically from the same buffers.
    params_copy, s1_copy, s2_copy = params.copy(), s1.copy(), s2.copy()
    grads[...] = rng.standard_normal(50)
    opt.step(params, grads, s1, s2)
    restored.step(params_copy, grads, s1_copy, s2_copy)
    np.testing.assert_array_equal(params_copy, params, err_msg="step after unpickling")
    assert restored.t == opt.t


def test_optimizer_config_values():
    opt = _core.Optimizer("adam", learning_rate=0.01, momentum=0.7, nesterov=False, beta1=0.85,
                          beta2=0.99, epsilon=1e-6)

    assert opt.get_config() == {
        "kind": "adam", "learning_rate": 0.01, "momentum": 0.7, "nesterov": False,
        "beta1": 0.85, "beta2": 0.99, "epsilon": 1e-6, "weight_decay": 0.0, "t": 0,
    }


@pytest.mark.parametrize("kind", ["adam", "sgd"])
def test_weight_decay_decoupled(rng, kind):
    # With decay wd, a step equals the plain step applied to (1 - lr wd) p.
    lr, wd = 0.05, 0.1
    p = rng.normal(size=1000)
    g = rng.normal(size=1000)
    decayed = _core.Optimizer(kind, learning_rate=lr, weight_decay=wd)
    plain = _core.Optimizer(kind, learning_rate=lr)
    p_decayed = p.copy()
    p_plain = p * (1 - lr * wd)

    decayed.step(p_decayed, g, np.zeros(1000), np.zeros(1000))
    plain.step(p_plain, g, np.zeros(1000), np.zeros(1000))

    np.testing.assert_allclose(p_decayed, p_plain, rtol=0, atol=1e-15)


def test_weight_decay_negative_rejected():
    with pytest.raises(ValueError, match="weight_decay must be >= 0, got -0.1"):
        _core.Optimizer("adam", weight_decay=-0.1)


def test_optimizer_bad_arguments():
    opt = _core.Optimizer("sgd", learning_rate=0.1)
    p = np.zeros(5)

    with pytest.raises(ValueError, match="optimizer"):
        _core.Optimizer("rmsprop")
    with pytest.raises(ValueError, match="shape"):
        opt.step(p, np.zeros(4), np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="shape"):
        opt.step(p, np.zeros(5), np.zeros(6), np.zeros(5))
    with pytest.raises(TypeError):
        opt.step(p, np.zeros(5, dtype=np.float32), np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="C-contiguous"):
        opt.step(p, np.zeros(10)[::2], np.zeros(5), np.zeros(5))


# ---- the update fused into the backward pass (one row per batch) -----------------


def _online_pair(dtype, optimizer, dropout=None, activation="relu", **options):
    """Two identical networks and one-row batches, for fused and separate steps."""
    import fastnn

    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 7)).astype(dtype)
    y = rng.integers(0, 3, size=40)
    nets = []
    for _ in range(2):
        net = fastnn.MLP([7, 300, 9, 3], activation=activation, dtype=dtype, random_state=3,
                         dropout=dropout)
        net.configure_optimizer(optimizer, 0.01, **options)
        nets.append(net)
    return nets, X, nets[0].encode_targets(y)


def _separate_steps(net, X, Y, w, alpha):
    """One forward_backward and one step per row, in order; return the mean loss."""
    total = 0.0
    for i in range(len(X)):
        total += net.forward_backward(X[i:i + 1], Y[i:i + 1],
                                      None if w is None else w[i:i + 1], alpha)
        net.step()
        net.network.dropout_step += 1
    return total / len(X)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer, options", [
    ("adam", {}),
    ("adam", {"weight_decay": 0.05}),
    ("sgd", {"momentum": 0.0}),
    ("sgd", {"momentum": 0.9, "nesterovs_momentum": False}),
    ("sgd", {"momentum": 0.9, "nesterovs_momentum": True}),
], ids=["adam", "adamw", "sgd", "momentum", "nesterov"])
def test_fused_online_step_equals_separate_steps(dtype, optimizer, options):
    (fused, separate), X, Y = _online_pair(dtype, optimizer, **options)
    w = np.linspace(0.5, 2.0, len(X)).astype(dtype)
    loss = fused.train_epoch(X, Y, 1, sample_weight=w, shuffle=False)
    expected = _separate_steps(separate, X, Y, w, 0.0)
    # Same products, same update code: the same bits.
    np.testing.assert_array_equal(fused.params, separate.params)
    np.testing.assert_array_equal(fused._state[0], separate._state[0])
    np.testing.assert_array_equal(fused._state[1], separate._state[1])
    assert fused.optimizer.t == separate.optimizer.t
    assert loss == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_step_sparse_inputs(dtype, isa):
    # A first-layer row whose input is 0 has a zero gradient, which the
    # AVX-512 Adam loop skips. The fused update skips by row, the flat
    # update by vectors of zeros. Both must give the same bits, signs of
    # zero included, and the values of the portable loop, which skips
    # nothing.
    (fused, separate), X, Y = _online_pair(dtype, "adam")
    X[np.random.default_rng(6).random(X.shape) < 0.7] = 0
    X[3] = 0
    X[5, :3] = -0.0
    fused.train_epoch(X, Y, 1, shuffle=False)
    _separate_steps(separate, X, Y, None, 0.0)
    bits = np.uint32 if dtype == "float32" else np.uint64
    for name, a, b in [("params", fused.params, separate.params),
                       ("first moments", fused._state[0], separate._state[0]),
                       ("second moments", fused._state[1], separate._state[1])]:
        assert np.array_equal(a.view(bits), b.view(bits)), "%s differ on %s" % (name, isa)

    (portable, _), _, _ = _online_pair(dtype, "adam")
    _core.isa_select("scalar")
    portable.train_epoch(X, Y, 1, shuffle=False)
    np.testing.assert_allclose(fused.params, portable.params, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_online_step_with_l2_dropout_and_gelu(dtype):
    (fused, separate), X, Y = _online_pair(dtype, "adam", dropout=[0.3, 0.1],
                                           activation=["gelu", "tanh"])
    loss = fused.train_epoch(X, Y, 1, alpha=0.3, shuffle=False)
    expected = _separate_steps(separate, X, Y, None, 0.3)
    # The L2 term may be rounded in another order (FMA contraction), so the
    # parameters agree to rounding rather than bit for bit.
    rtol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(fused.params, separate.params, rtol=rtol, atol=rtol * 1e-2)
    assert loss == pytest.approx(expected, rel=rtol)


def test_fused_online_step_thread_invariance():
    import fastnn

    results = []
    try:
        for threads in (1, 2, 3):
            fastnn.set_num_threads(threads)
            # 784 x 512 weights: large enough for the fused update to split over threads
            net = fastnn.MLP([784, 512, 10], random_state=0)
            X = np.random.default_rng(0).random((30, 784), dtype=np.float32)
            Y = net.encode_targets(np.arange(30) % 10)
            net.train_epoch(X, Y, 1, alpha=1e-4, shuffle=False)
            results.append(net.params.copy())
    finally:
        fastnn.set_num_threads(None)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


@pytest.mark.parametrize("sizes", [[800, 300, 1024, 7], [784, 256, 128, 10]],
                         ids=["columns", "lead"])
@pytest.mark.parametrize("threads", [2, 3])
def test_fused_step_thread_split(threads, sizes):
    # The fused update gives each thread the weights it read in the forward
    # pass: rows of the first layer (a sum in parts), blocks of columns of
    # the second (a column split), and all of the small last layer. On the
    # second network at 2 threads the calling thread sums fewer parts of
    # the first layer (see test_update_shares_even_out_workload_a). Each
    # element must still get the bits of the separate backward pass and flat
    # update, and with an L2 term the bits of one thread.
    rng = np.random.default_rng(8)
    X = rng.normal(size=(6, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], size=6)

    def make():
        net = fastnn.MLP(sizes, random_state=4)
        net.configure_optimizer("adam", 0.01)
        return net

    try:
        fastnn.set_num_threads(threads)
        fused, separate, penalized = make(), make(), make()
        Y = fused.encode_targets(y)
        fused.train_epoch(X, Y, 1, shuffle=False)
        _separate_steps(separate, X, Y, None, 0.0)
        penalized_loss = penalized.train_epoch(X, Y, 1, alpha=0.01, shuffle=False)
        fastnn.set_num_threads(1)
        serial = make()
        serial_loss = serial.train_epoch(X, Y, 1, alpha=0.01, shuffle=False)
    finally:
        fastnn.set_num_threads(None)
    np.testing.assert_array_equal(fused.params, separate.params)
    np.testing.assert_array_equal(fused._state[0], separate._state[0])
    np.testing.assert_array_equal(fused._state[1], separate._state[1])
    np.testing.assert_array_equal(penalized.params, serial.params)
    assert penalized_loss == serial_loss


def _share_values(shares):
    return (shares[..., 1] - shares[..., 0]) * (shares[..., 3] - shares[..., 2])


@pytest.mark.parametrize("sizes", [[784, 256, 128, 10], [800, 300, 1024, 7], [3100, 64, 10],
                                   [500, 512, 10], [20, 5, 3]])
@pytest.mark.parametrize("threads", [1, 2, 3, 4])
def test_update_shares_cover_each_block(sizes, threads):
    # Each weight matrix and bias of a one-row step is shared out among the
    # threads without overlap or gap, whatever the split.
    network = fastnn.MLP(sizes, random_state=0).network
    try:
        fastnn.set_num_threads(threads)
        # a serial build runs on one thread whatever the setting
        threads = fastnn.get_num_threads()
        lead, shares = network.update_shares()
    finally:
        fastnn.set_num_threads(None)
    assert shares.shape == (len(sizes) - 1, 2, threads, 4)
    for l in range(len(sizes) - 1):
        for b, (K, M) in enumerate([(sizes[l], sizes[l + 1]), (1, sizes[l + 1])]):
            seen = np.zeros((K, M), dtype=int)
            for k0, k1, j0, j1 in shares[l, b]:
                assert 0 <= k0 <= k1 <= K
                assert 0 <= j0 <= j1 <= M
                seen[k0:k1, j0:j1] += 1
            np.testing.assert_array_equal(seen, 1, err_msg="layer %d, block %d" % (l, b))
        if lead[l] >= 0:
            # a cut layer's threads take whole rows
            assert (shares[l, 0, :, 2] == 0).all()
            assert (shares[l, 0, :, 3] == sizes[l + 1]).all()


@pytest.mark.skipif(not _core.has_openmp(), reason="serial build: one thread updates all")
def test_update_shares_even_out_workload_a():
    # Workload A at 2 threads: the calling thread also updates the second
    # and third layers and the biases (34,442 values). It sums 3 of the 8
    # parts of the first layer instead of 4, and updates 109,706 values
    # against 125,440, instead of 134,794 against 100,352.
    network = fastnn.MLP([784, 256, 128, 10], random_state=0).network
    try:
        fastnn.set_num_threads(2)
        lead, shares = network.update_shares()
        fastnn.set_num_threads(1)
        serial_lead, serial = network.update_shares()
    finally:
        fastnn.set_num_threads(None)
    assert lead.tolist() == [3, -1, -1]
    assert _share_values(shares).sum(axis=(0, 1)).tolist() == [109706, 125440]
    np.testing.assert_array_equal(shares[0, 0], [[0, 294, 0, 256], [294, 784, 0, 256]])
    assert serial_lead.tolist() == [-1, -1, -1]
    assert _share_values(serial).sum() == 235146


def test_fused_step_nonfinite_loss():
    import fastnn

    net = fastnn.MLP([3, 4, 1], output="identity", dtype="float64", random_state=0)
    net.configure_optimizer("adam", 0.01)
    X = np.array([[1.0, 2.0, 3.0], [1.0, np.inf, 0.0]])
    Y = net.encode_targets(np.array([1.0, 2.0]))
    before = net.params.copy()
    with pytest.raises(_core.NonFiniteLossError):
        net.train_epoch(X, Y, 1, shuffle=False)
    # train_epoch restores the epoch's start; the failed row moved nothing
    np.testing.assert_array_equal(net.params, before)
    assert net.optimizer.t == 0


def test_adam_bits_any_position(float_dtype, rng, isa):
    # An element's update must not depend on where it sits in the buffer or
    # how long the buffer is: a partial last vector takes the same arithmetic.
    n = 70
    params = rng.standard_normal(n).astype(float_dtype)
    grads = (rng.standard_normal(n) * 10.0 ** rng.integers(-20, 3, n)).astype(float_dtype)
    m0 = (rng.standard_normal(n) * 1e-3).astype(float_dtype)
    v0 = (rng.random(n) * 1e-4).astype(float_dtype)
    v0[::7] = 0

    def run(lo, hi):
        p, g, m, v = (np.ascontiguousarray(a[lo:hi]) for a in (params, grads, m0, v0))
        _core.Optimizer("adam", learning_rate=1e-3).step(p, g, m, v)
        return p, m, v

    whole = run(0, n)
    for lo, hi in [(0, 1), (3, 20), (5, 37), (16, 33), (40, 70), (1, 69)]:
        part = run(lo, hi)
        for name, got, expected in zip("pmv", part, whole):
            np.testing.assert_array_equal(got, expected[lo:hi],
                                          err_msg="%s[%d:%d] on %s" % (name, lo, hi, isa))


def test_adam_nonfinite_values(float_dtype, isa):
    # inf and NaN in a gradient or a moment give what the formula gives:
    # NaN where m / sqrt(v) is inf / inf or involves NaN; no lane is lost.
    inf, nan = np.inf, np.nan
    # The last two lanes hold a negative second moment, which no update
    # produces: like any value below the smallest normal number it counts
    # as 0, so the reference starts those lanes at 0.
    grads = np.array([inf, -inf, nan, 0, 0, 0, 1, 1e15, 0, 0], dtype=float_dtype)
    m = np.array([0, 0, 0, inf, nan, 0, 0, 0, 1, 1], dtype=float_dtype)
    v = np.array([0, 0, 0, 1, 1, inf, nan, 0, -1, -inf], dtype=float_dtype)
    params = np.ones(10, dtype=float_dtype)
    reference = AdamReference(params, 1e-3)
    reference.m[:] = m
    reference.v[:] = np.where(v < 0, 0, v)
    with np.errstate(all="ignore"):
        reference.step(grads.astype(np.float64))
    _core.Optimizer("adam", learning_rate=1e-3).step(params, grads, m, v)
    np.testing.assert_array_equal(np.isnan(params), np.isnan(reference.p), err_msg=isa)
    finite = np.isfinite(reference.p)
    np.testing.assert_allclose(params[finite], reference.p[finite], rtol=1e-6, err_msg=isa)


def test_update_restores_caller_mode(rng):
    # The update loops flush subnormals to zero (x86 MXCSR) while they run;
    # the calling thread's mode must be as it was afterwards. Compare bits:
    # with denormals-are-zero set, a subnormal compares equal to 0.
    def half_tiny_bits():
        tiny = np.array([np.finfo(np.float32).tiny], dtype=np.float32)
        return int((tiny * np.float32(0.5)).view(np.uint32)[0])

    expected = half_tiny_bits()
    assert expected != 0, "subnormals were already flushed before the test"
    params, grads, m, v = make_buffers(rng, np.float32, 5000)
    grads[...] = 1.0
    _core.Optimizer("adam").step(params, grads, m, v)
    assert half_tiny_bits() == expected, "the flat update left subnormals flushed"
    net = fastnn.MLP([6, 40, 3], activation="relu", dtype="float32", random_state=0)
    X = rng.standard_normal((20, 6)).astype(np.float32)
    net.train_epoch(X, net.encode_targets(np.arange(20) % 3), 1, shuffle=False)
    assert half_tiny_bits() == expected, "the fused update left subnormals flushed"


def test_update_restores_worker_mode(rng):
    # The worker threads of the update's team must also get their mode
    # back: a product split over two threads afterwards keeps its
    # subnormal results in every row, not only in the calling thread's.
    previous = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(2)
        net = fastnn.MLP([784, 256, 10], random_state=0)
        X = rng.random((4, 784), dtype=np.float32)
        net.train_epoch(X, net.encode_targets(np.arange(4) % 10), 1, shuffle=False)
        params, grads, m, v = make_buffers(rng, np.float32, 300000)
        grads[...] = 1.0
        _core.Optimizer("adam").step(params, grads, m, v)
        A = np.full((512, 300), 1e-20, dtype=np.float32)
        B = np.full((300, 512), 1e-20, dtype=np.float32)
        C = _core.gemm(A, B)
    finally:
        fastnn.set_num_threads(previous)
    # each element adds 300 subnormal products of 1e-40; with subnormals
    # flushed every sum would stay 0
    assert np.all(C > 0), "rows of %s flushed to zero" % np.flatnonzero((C == 0).any(axis=1))[:5]
    assert C.min() == C.max()


@pytest.mark.parametrize("kind, options", [
    ("adam", {}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("sgd", {"momentum": 0.9, "nesterov": False}),
], ids=["adam", "nesterov", "momentum"])
def test_subnormal_state_stored_as_zero(float_dtype, kind, options):
    # A state that decays below the smallest normal number becomes exactly
    # 0, so later steps never compute on subnormals; normal values are kept.
    tiny = np.finfo(float_dtype).tiny
    params = np.ones(4, dtype=float_dtype)
    grads = np.zeros(4, dtype=float_dtype)
    state1 = np.array([tiny * 1.05, -tiny * 1.05, tiny * 100, 0.5], dtype=float_dtype)
    state2 = np.array([tiny * 1.0005, 1.0, 1.0, 1.0], dtype=float_dtype)
    opt = _core.Optimizer(kind, learning_rate=1e-3, **options)
    opt.step(params, grads, state1, state2)
    decay = 0.9
    assert state1[0] == 0
    assert state1[1] == 0
    assert state1[2] == pytest.approx(tiny * 100 * decay, rel=1e-6)
    assert state1[3] == pytest.approx(0.5 * decay, rel=1e-6)
    if kind == "adam":
        assert state2[0] == 0
        assert state2[1] == pytest.approx(0.999, rel=1e-6)
    assert np.all(np.isfinite(params))
