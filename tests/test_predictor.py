"""fastnn.Predictor: the low-overhead predict call for serving."""

import os
import pickle
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import fastnn

from _bits import assert_same_bits, zero_sign_network

pytestmark = pytest.mark.filterwarnings("ignore::fastnn.ConvergenceWarning")


@pytest.fixture(params=["float32", "float64"])
def network(request):
    net = fastnn.MLP([12, 40, 20, 4], dtype=request.param, random_state=0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 12))
    net.fit(X, rng.integers(0, 4, size=200), epochs=2, batch_size=16)
    return net


def rows(n, width=12, seed=1):
    return np.random.default_rng(seed).normal(size=(n, width))


def test_equals_predict_proba(network):
    X = rows(50).astype(network.dtype)
    predictor = network.predictor()
    assert predictor.dtype == network.dtype
    assert (predictor.n_features, predictor.n_outputs) == (12, 4)
    np.testing.assert_array_equal(predictor(X), network.predict_proba(X))
    np.testing.assert_array_equal(network.predictor(logits=True)(X),
                                  network.decision_function(X))


def test_one_row_as_1d(network):
    x = rows(1)[0].astype(network.dtype)
    result = network.predictor()(x)
    assert result.shape == (4,)
    np.testing.assert_array_equal(result, network.predict_proba(x[None, :])[0])


def test_converts_other_inputs(network):
    X = rows(7)
    expected = network.predict_proba(X)
    predictor = network.predictor()
    np.testing.assert_array_equal(predictor(X.tolist()), expected)
    np.testing.assert_array_equal(predictor(np.asfortranarray(X)), expected)
    other = np.float32 if network.dtype == np.float64 else np.float64
    converted = X.astype(other)
    np.testing.assert_array_equal(predictor(converted), network.predict_proba(converted))


def test_out_argument(network):
    X = rows(5).astype(network.dtype)
    predictor = network.predictor()
    out = np.empty((5, 4), dtype=network.dtype)
    assert predictor(X, out=out) is out
    np.testing.assert_array_equal(out, network.predict_proba(X))
    row_out = np.empty(4, dtype=network.dtype)
    assert predictor(X[0], out=row_out) is row_out
    with pytest.raises(TypeError):
        predictor(X, out)  # out is keyword-only


@pytest.mark.parametrize("X, error, message", [
    (np.zeros((3, 11)), ValueError, r"X must have shape \(n, 12\) or \(12,\), got \(3, 11\)"),
    (np.zeros((2, 3, 12)), ValueError, r"got \(2, 3, 12\)"),
    (np.zeros((0, 12)), ValueError, r"X has 0 sample\(s\) \(shape=\(0, 12\)\)"),
    ([["a"] * 12], TypeError, r"X contains non-numeric values \(dtype <U1\)"),
    (None, TypeError, r"X must be rows of numbers, shape \(n, 12\) or \(12,\), got None"),
    (np.float64(1.0), TypeError, r"X must be rows of numbers, .* got np.float64\(1.0\)"),
    ([[1j] * 12], ValueError, "X has complex dtype"),
])
def test_bad_rows(network, X, error, message):
    with pytest.raises(error, match=message):
        network.predictor()(X)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_rows_rejected(network, value):
    X = rows(4)
    X[2, 5] = value
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(row 2, column 5\)"):
        network.predictor()(X)


def test_bad_out(network):
    X = rows(3).astype(network.dtype)
    predictor = network.predictor()
    other = np.float32 if network.dtype == np.float64 else np.float64
    with pytest.raises(ValueError, match=r"out must have shape \(3, 4\)"):
        predictor(X, out=np.empty((3, 5), dtype=network.dtype))
    with pytest.raises(TypeError, match="out must have dtype %s, the network's, got %s"
                       % (network.dtype, np.dtype(other))):
        predictor(X, out=np.empty((3, 4), dtype=other))
    with pytest.raises(TypeError, match="out must have dtype %s, the network's, got int64"
                       % network.dtype):
        predictor(X, out=np.empty((3, 4), dtype=np.int64))
    with pytest.raises(TypeError, match="out must be a NumPy array"):
        predictor(X, out=[[0.0] * 4] * 3)
    frozen = np.empty((3, 4), dtype=network.dtype)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writeable"):
        predictor(X, out=frozen)


def test_overflow_inside_the_network_is_an_error(network):
    # Finite inputs near the float maximum overflow in the first layer; the
    # result would be NaN, so both prediction paths raise instead.
    X = rows(4).astype(network.dtype)
    X[2] = np.finfo(network.dtype).max / 2
    message = r"the prediction for row 2 of X is not finite: its values overflow"
    with pytest.raises(ValueError, match=message):
        network.predictor()(X)
    with pytest.raises(ValueError, match=message):
        network.predict_proba(X)


def test_weights_frozen_at_creation(network):
    X = rows(20).astype(network.dtype)
    predictor = network.predictor()
    before = predictor(X).copy()
    network.fit(rows(100), np.arange(100) % 4, epochs=1, batch_size=10)
    assert not np.array_equal(network.predict_proba(X), before)
    np.testing.assert_array_equal(predictor(X), before)
    assert not predictor.params.flags.writeable
    with pytest.raises(ValueError):
        predictor.params[0] = 1.0


def test_pickle_round_trip(network):
    X = rows(6).astype(network.dtype)
    predictor = network.predictor()
    clone = pickle.loads(pickle.dumps(predictor))
    np.testing.assert_array_equal(clone(X), predictor(X))


def serve_at_once(predictor, inputs, expected, workers, repeats):
    """Call predictor from `workers` Python threads started together.

    Each thread cycles through inputs. Returns the (worker, repeat) pairs
    whose result differed from expected, and the threads still alive after
    60 s.
    """
    failures = []
    start = threading.Barrier(workers)

    def serve(worker):
        start.wait()
        for repeat in range(repeats):
            i = (worker + repeat) % len(inputs)
            if not np.array_equal(predictor(inputs[i]), expected[i]):
                failures.append((worker, repeat))

    threads = [threading.Thread(target=serve, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures, [thread for thread in threads if thread.is_alive()]


def test_many_threads_at_once(network):
    predictor = network.predictor()
    inputs = [rows(1 + i % 3, seed=10 + i).astype(network.dtype) for i in range(16)]
    expected = [network.predict_proba(X) for X in inputs]
    failures, alive = serve_at_once(predictor, inputs, expected, workers=8, repeats=200)
    assert alive == []
    assert failures == []


@pytest.fixture
def wide_network():
    # large enough that one row runs on a team of two threads
    net = fastnn.MLP([600, 256, 10], random_state=3)
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(2)
    yield net
    fastnn.set_num_threads(previous)


def test_wide_network_callers_at_once(wide_network):
    # Callers on several Python threads each run a team of their own. Every
    # result must still equal predict_proba's.
    predictor = wide_network.predictor()
    inputs = [rows(1 + i % 2, width=600, seed=30 + i) for i in range(8)]
    expected = [wide_network.predict_proba(X) for X in inputs]
    failures, alive = serve_at_once(predictor, inputs, expected, workers=4, repeats=300)
    assert alive == []
    assert failures == []


def test_direct_construction_checks():
    net = fastnn.MLP([3, 2], random_state=0)
    with pytest.raises(ValueError, match="two_columns needs a network with one output"):
        fastnn.Predictor(net.network, net.params, two_columns=True)
    with pytest.raises(ValueError, match="squeeze needs a network with one output"):
        fastnn.Predictor(net.network, net.params, squeeze=True)
    with pytest.raises(ValueError, match="params must have shape"):
        fastnn.Predictor(net.network, net.params[:-1])


# ---- estimators ---------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_predictor(n_classes):
    X = rows(120)
    y = np.array(["a", "b", "c"])[np.arange(120) % n_classes]
    clf = fastnn.MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    predictor = clf.predictor()
    np.testing.assert_array_equal(predictor(X), clf.predict_proba(X))
    assert predictor(X[0]).shape == (n_classes,)
    assert predictor.n_outputs == n_classes


def test_multilabel_classifier_predictor():
    X = rows(80)
    Y = (rows(80, width=3, seed=2) > 0).astype(int)
    clf = fastnn.MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, Y)
    np.testing.assert_array_equal(clf.predictor()(X), clf.predict_proba(X))


@pytest.mark.parametrize("n_targets", [1, 2])
def test_regressor_predictor(n_targets):
    X = rows(90)
    y = X[:, :n_targets].sum(axis=1) if n_targets == 1 else X[:, :n_targets]
    reg = fastnn.MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    predictor = reg.predictor()
    np.testing.assert_array_equal(predictor(X), reg.predict(X))
    row_prediction = predictor(X[0])
    if n_targets == 1:
        assert np.ndim(row_prediction) == 0
        assert row_prediction == reg.predict(X[:1])[0]
        # a scalar result goes into an out of shape (1,), which is returned
        out = np.empty(1, dtype=predictor.dtype)
        assert predictor(X[0], out=out) is out
        assert out[0] == row_prediction
    else:
        np.testing.assert_array_equal(row_prediction, reg.predict(X[:1])[0])


def test_unfitted_estimator_has_no_predictor():
    with pytest.raises(fastnn.NotFittedError):
        fastnn.MLPClassifier().predictor()


def test_non_finite_found_in_a_later_chunk(network):
    # Rows are checked chunk by chunk (2,048 rows) before each chunk's forward
    # pass; the first bad value is reported wherever it is.
    X = rows(5000).astype(network.dtype)
    predictor = network.predictor()
    np.testing.assert_array_equal(predictor(X), network.predict_proba(X))
    X[4500, 7] = np.inf
    with pytest.raises(ValueError, match=r"\(row 4500, column 7\)"):
        predictor(X)
    X[2100, 0] = np.nan
    with pytest.raises(ValueError, match=r"\(row 2100, column 0\)"):
        predictor(X)


@pytest.mark.parametrize("activation", ["relu", "identity", "tanh", "logistic", "gelu"])
@pytest.mark.parametrize("threads", [1, 2])
def test_wide_layers_same_bits_as_predict_proba(isa, float_dtype, activation, threads):
    # One and two rows read the Predictor's copy of the weights in column
    # panels of 64: 130 and 65 outputs leave a partial last panel, and the
    # first layer is large enough to split over two threads. Three rows
    # take the ordinary GEMM path.
    net = fastnn.MLP([784, 130, 65, 3], activation=activation,
                     dtype=np.dtype(float_dtype).name, random_state=0)
    X = rows(3, width=784, seed=7).astype(float_dtype)
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    try:
        predictor, logits = net.predictor(), net.predictor(logits=True)
        for n in (1, 2, 3):
            np.testing.assert_array_equal(predictor(X[:n]), net.predict_proba(X[:n]),
                                          err_msg="%d row(s) on %s" % (n, isa))
            np.testing.assert_array_equal(logits(X[:n]), net.decision_function(X[:n]),
                                          err_msg="%d row(s) on %s" % (n, isa))
        np.testing.assert_array_equal(predictor(X[0]), net.predict_proba(X[:1])[0])
    finally:
        fastnn.set_num_threads(previous)


@pytest.mark.parametrize("sizes", [[784, 256, 128, 10], [1000, 200, 64, 5], [784, 256, 192]],
                         ids=["workload_a", "one_panel", "output"])
@pytest.mark.parametrize("activation", ["relu", "identity"])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_small_layer_after_region_same_bits(float_dtype, sizes, activation, threads):
    # For one row the calling thread begins the layer after the parallel
    # region over the inputs it computed itself, and finishes it once the
    # region has ended. The sums must keep the order of one pass, so the
    # bits are those of predict_proba. The last network's resumed layer is
    # its output layer.
    net = fastnn.MLP(sizes, activation=activation, dtype=np.dtype(float_dtype).name,
                     random_state=2)
    X = rows(2, width=sizes[0], seed=11).astype(float_dtype)
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    try:
        predictor, logits = net.predictor(), net.predictor(logits=True)
        for n in (1, 2):
            np.testing.assert_array_equal(predictor(X[:n]), net.predict_proba(X[:n]),
                                          err_msg="%d row(s)" % n)
            np.testing.assert_array_equal(logits(X[:n]), net.decision_function(X[:n]),
                                          err_msg="%d row(s)" % n)
    finally:
        fastnn.set_num_threads(previous)


@pytest.mark.parametrize("width", [500, 1600, 3100])
def test_long_inputs_match_predict_proba(float_dtype, width):
    # A first layer of 500, 1600 or 3100 inputs sums one or two rows in 4 or
    # 16 parts. The Predictor's panels combine them as predict_proba does,
    # so the bits match at any thread count.
    net = fastnn.MLP([width, 70, 3], dtype=np.dtype(float_dtype).name, random_state=0)
    X = rows(2, width=width, seed=5).astype(float_dtype)
    previous = fastnn.get_num_threads()
    first = {}
    try:
        for threads in (1, 2, 3):
            fastnn.set_num_threads(threads)
            predictor = net.predictor()
            for n in (1, 2):
                expected = net.predict_proba(X[:n])
                context = "%d row(s), %d threads" % (n, threads)
                np.testing.assert_array_equal(predictor(X[:n]), expected, err_msg=context)
                np.testing.assert_array_equal(expected, first.setdefault(n, expected),
                                              err_msg=context)
    finally:
        fastnn.set_num_threads(previous)


@pytest.mark.parametrize("width", [200, 500, 784, 2000, 5000])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_sparse_rows_match_predict_proba(isa, float_dtype, width, threads):
    # A one-row call skips the weights of inputs that are 0 when a quarter
    # or more of them are (MNIST pixels, one-hot columns, ReLU outputs).
    # The widths sum the first layer whole and in 4, 8 and 16 parts.
    net = fastnn.MLP([width, 150, 64, 3], dtype=np.dtype(float_dtype).name, random_state=4)
    rng = np.random.default_rng(width)
    X = rng.normal(size=(8, width))
    for i, zeros in enumerate([0.0, 0.1, 0.3, 0.5, 0.8, 0.95, 0.999, 1.0]):
        X[i, rng.random(width) < zeros] = 0.0
    X[2, ::7] = -0.0
    X[5, :width // 3] = 0.0  # whole parts without a nonzero input
    X[6, width // 2:] = -0.0
    X = X.astype(float_dtype)
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    try:
        predictor, logits = net.predictor(), net.predictor(logits=True)
        for i in range(len(X)):
            context = "row %d on %s" % (i, isa)
            assert_same_bits(predictor(X[i:i + 1]), net.predict_proba(X[i:i + 1]), context)
            assert_same_bits(logits(X[i]), net.decision_function(X[i:i + 1])[0], context)
    finally:
        fastnn.set_num_threads(previous)


@pytest.mark.parametrize("threads", [1, 2])
def test_sparse_row_zero_sum_sign(isa, float_dtype, threads):
    # A one-row call that skips the zero inputs keeps the sign of zero of
    # the sum over every input (see zero_sign_network).
    net, tiny = zero_sign_network(float_dtype)
    x = np.array([[tiny, 0.0, 0.0, 0.0]], dtype=float_dtype)
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    try:
        logits = net.predictor(logits=True)
        assert_same_bits(logits(x), net.decision_function(x), isa)
    finally:
        fastnn.set_num_threads(previous)


def test_one_row_small_thread_stack(tmp_path):
    # 32 KiB is threading.stack_size's minimum, so one- and two-row calls
    # must fit in it: the list of nonzero inputs lives in per-thread scratch
    # memory, not on the stack. A crash would end pytest, so it runs in a
    # subprocess.
    script = textwrap.dedent("""
        import threading, numpy as np, fastnn
        results = []
        for width, dtype in ((100, "float32"), (784, "float32"), (2048, "float64")):
            net = fastnn.MLP([width, 256, 10], dtype=dtype, random_state=0)
            predictor = net.predictor()
            x = np.zeros((2, width), dtype=dtype)
            x[:, ::7] = 1.0
            want = net.predict_proba(x)
            def call():
                results.append(np.array_equal(predictor(x[:1]), want[:1])
                               and np.array_equal(predictor(x), want))
            threading.stack_size(32 * 1024)
            thread = threading.Thread(target=call)
            thread.start()
            thread.join()
        print(results)
    """)
    # The fastnn under test, installed or built in place, imported from a
    # neutral folder.
    env = dict(os.environ)
    paths = [os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[True, True, True]", result.stdout + result.stderr


def test_infinite_weight_zero_input_fails(float_dtype):
    # 0 * inf is NaN in the full sum, which skipping the zero inputs would
    # miss. Weights that are not all finite therefore get no panel copy,
    # and the call fails as predict_proba does.
    net = fastnn.MLP([784, 256, 10], dtype=np.dtype(float_dtype).name, random_state=0)
    x = np.zeros((1, 784), dtype=float_dtype)
    x[0, 100:120] = 0.5
    params = net.params.copy()
    params[3 * 256 + 7] = np.inf  # weight of input 3, which is 0, to unit 7
    predictor = fastnn.Predictor(net.network, params)
    assert not predictor.panel_copy
    with pytest.raises(ValueError, match="row 0 of X is not finite"):
        predictor(x)
    assert net.predictor().panel_copy


def test_panel_copy_size_limit():
    # 3000 x 1500 float32 weights take 18 MB: no second copy, same results
    small = fastnn.MLP([784, 256, 128, 10], random_state=0)
    big = fastnn.MLP([3000, 1500, 10], random_state=0)
    X = rows(2, width=3000, seed=3).astype(np.float32)

    assert small.predictor().panel_copy
    predictor = big.predictor()
    assert not predictor.panel_copy
    np.testing.assert_array_equal(predictor(X[:1]), big.predict_proba(X[:1]))
    np.testing.assert_array_equal(predictor(X), big.predict_proba(X))


def aligned(a):
    return a.ctypes.data % 64 == 0


def test_buffers_cache_line_aligned(network):
    # With AVX-512, a vector load from a buffer that is not 64-byte aligned
    # spans two cache lines, and NumPy aligns large arrays to 16 bytes only.
    assert aligned(network.params)
    assert aligned(network.grads)
    assert all(aligned(s) for s in network._state)
    predictor = network.predictor()
    assert aligned(predictor.params)
    assert aligned(pickle.loads(pickle.dumps(predictor)).params)


def test_unpickle_realigns_buffers(network):
    X, y = rows(40), np.arange(40) % 4
    clone = pickle.loads(pickle.dumps(network))
    for name in ("params", "grads"):
        value = getattr(clone, name)
        assert aligned(value), name
        assert value.flags.writeable, name
        np.testing.assert_array_equal(value, getattr(network, name), err_msg=name)
    for mine, theirs in zip(clone._state, network._state):
        assert aligned(mine)
        assert mine.flags.writeable
        np.testing.assert_array_equal(mine, theirs)
    network.fit(X, y, epochs=1, batch_size=8)
    clone.fit(X, y, epochs=1, batch_size=8)
    np.testing.assert_array_equal(clone.params, network.params)


@pytest.mark.parametrize("n", [0, 1, 17, 1000])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_aligned_zeros(n, dtype):
    a = fastnn._core.aligned_zeros(n, dtype)
    assert a.shape == (n,)
    assert a.dtype == np.dtype(dtype)
    assert a.flags.c_contiguous
    assert a.flags.writeable
    assert not a.any()
    copy = fastnn._core.aligned_copy(np.arange(n, dtype=dtype).reshape(-1, 1))
    assert copy.shape == (n,)
    # An empty slice may keep its base's address, and nothing reads it.
    if n > 0:
        assert aligned(a)
        assert aligned(copy)
    np.testing.assert_array_equal(copy, np.arange(n))


def test_aligned_zeros_negative_count():
    with pytest.raises(ValueError, match="n must be >= 0"):
        fastnn._core.aligned_zeros(-1, "float32")
