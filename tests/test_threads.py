"""Thread policy, thread-count invariance, fork safety and ISA dispatch."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn import _config, _core

needs_openmp = pytest.mark.skipif(
    not _core.has_openmp(), reason="serial build: every kernel runs on one thread"
)

# The folder that contains the fastnn package under test: the source checkout
# for an in-place build, site-packages for an installed one. Subprocesses
# run there, because a source checkout without the compiled extension
# would otherwise shadow the installed package.
PACKAGE_PARENT = Path(fastnn.__file__).resolve().parents[1]
ISA_NAMES = ("scalar", "avx2", "avx512")
ISA_RANK = {name: rank for rank, name in enumerate(ISA_NAMES)}


@pytest.fixture(autouse=True)
def restore_threads():
    """Put back the thread count that was active before each test."""
    previous = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(previous)


@pytest.fixture
def restore_isa():
    previous = _core.isa_active()
    yield
    _core.isa_select(previous)


@pytest.fixture
def clean_thread_env(monkeypatch):
    """Remove both thread variables so each test sets only what it checks."""
    monkeypatch.delenv("FASTNN_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    return monkeypatch


def _training_data(n_rows=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 30))
    y = rng.integers(0, 3, size=n_rows)
    return X, y


def _run_python(code, env_updates, timeout=60):
    """Run `python -c code` beside the package under test with a changed environment."""
    env = dict(os.environ)
    for name in ("FASTNN_ISA", "FASTNN_NUM_THREADS", "OMP_NUM_THREADS"):
        env.pop(name, None)
    env.update(env_updates)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PACKAGE_PARENT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PACKAGE_PARENT, env=env, capture_output=True,
        text=True, timeout=timeout,
    )


# ---- thread policy ----------------------------------------------------------


def test_resolve_argument_beats_environment(clean_thread_env):
    clean_thread_env.setenv("FASTNN_NUM_THREADS", "3")
    clean_thread_env.setenv("OMP_NUM_THREADS", "5")
    assert _config.resolve_num_threads(7) == 7


def test_resolve_fastnn_env_beats_omp(clean_thread_env):
    clean_thread_env.setenv("FASTNN_NUM_THREADS", "3")
    clean_thread_env.setenv("OMP_NUM_THREADS", "5")
    assert _config.resolve_num_threads() == 3


def test_resolve_omp_env(clean_thread_env):
    clean_thread_env.setenv("OMP_NUM_THREADS", "5")
    assert _config.resolve_num_threads() == 5


def test_resolve_omp_nested_list(clean_thread_env):
    clean_thread_env.setenv("OMP_NUM_THREADS", "4,2")
    assert _config.resolve_num_threads() == 4


def test_resolve_usable_cpus(clean_thread_env):
    clean_thread_env.setattr(_config, "usable_cpu_count", lambda: 6)
    assert _config.resolve_num_threads() == 6


def test_resolve_empty_env_ignored(clean_thread_env):
    clean_thread_env.setenv("FASTNN_NUM_THREADS", "  ")
    clean_thread_env.setenv("OMP_NUM_THREADS", "2")
    assert _config.resolve_num_threads() == 2


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5"])
def test_resolve_invalid_fastnn_env(clean_thread_env, value):
    clean_thread_env.setenv("FASTNN_NUM_THREADS", value)
    clean_thread_env.setenv("OMP_NUM_THREADS", "5")
    with pytest.warns(RuntimeWarning, match="FASTNN_NUM_THREADS=%r" % value):
        n = _config.resolve_num_threads()
    assert n == 5


@pytest.mark.parametrize("value", ["many", "0"])
def test_resolve_invalid_omp_env(clean_thread_env, value):
    clean_thread_env.setenv("OMP_NUM_THREADS", value)
    clean_thread_env.setattr(_config, "usable_cpu_count", lambda: 6)
    pattern = "OMP_NUM_THREADS=%r is not a positive integer" % value
    with pytest.warns(RuntimeWarning, match=pattern):
        n = _config.resolve_num_threads()
    assert n == 6


def test_usable_cpus_affinity(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    monkeypatch.setattr(_config, "_cgroup_cpu_limit", lambda: None)
    assert _config.usable_cpu_count() == 3


def test_usable_cpus_cgroup_lower(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(_config, "_cgroup_cpu_limit", lambda: 2)
    assert _config.usable_cpu_count() == 2


def test_usable_cpus_cgroup_higher(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    monkeypatch.setattr(_config, "_cgroup_cpu_limit", lambda: 8)
    assert _config.usable_cpu_count() == 3


def test_usable_cpus_no_affinity(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 5)
    monkeypatch.setattr(_config, "_cgroup_cpu_limit", lambda: None)
    assert _config.usable_cpu_count() == 5


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"/sys/fs/cgroup/cpu.max": "150000 100000\n"}, 2),
        ({"/sys/fs/cgroup/cpu.max": "100000 100000\n"}, 1),
        ({"/sys/fs/cgroup/cpu.max": "max 100000\n"}, None),
        (
            {
                "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "300000\n",
                "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n",
            },
            3,
        ),
        (
            {
                "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n",
                "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n",
            },
            None,
        ),
        ({}, None),
    ],
    ids=["v2-fraction", "v2-one", "v2-max", "v1-quota", "v1-unlimited", "none"],
)
def test_cgroup_limit_parsing(monkeypatch, files, expected):
    def fake_open(path, *args, **kwargs):
        if path not in files:
            raise FileNotFoundError(path)
        return io.StringIO(files[path])

    # _config looks up `open` in its module globals before the builtins.
    monkeypatch.setattr(_config, "open", fake_open, raising=False)
    assert _config._cgroup_cpu_limit() == expected


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_invalid(bad):
    before = fastnn.get_num_threads()
    expected = "n_threads must be a positive integer or None, got " + re.escape(repr(bad))
    with pytest.raises(ValueError, match=expected):
        fastnn.set_num_threads(bad)
    assert fastnn.get_num_threads() == before


@needs_openmp
def test_set_num_threads_explicit():
    fastnn.set_num_threads(3)
    assert fastnn.get_num_threads() == 3
    assert fastnn.config()["num_threads"] == 3


@needs_openmp
def test_set_num_threads_numpy_int():
    fastnn.set_num_threads(np.int64(2))
    assert fastnn.get_num_threads() == 2


@needs_openmp
def test_set_num_threads_none_reapplies_env(clean_thread_env):
    fastnn.set_num_threads(1)
    clean_thread_env.setenv("FASTNN_NUM_THREADS", "3")
    fastnn.set_num_threads(None)
    assert fastnn.get_num_threads() == 3


@needs_openmp
def test_env_threads_at_import():
    result = _run_python(
        "import fastnn; print(fastnn.get_num_threads())", {"FASTNN_NUM_THREADS": "3"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"


def test_omp_env_threads_at_import():
    result = _run_python(
        "import fastnn; print(fastnn.get_num_threads())", {"OMP_NUM_THREADS": "1"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


# ---- results do not depend on the thread count ------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_thread_invariance(dtype):
    # Batches of 512 rows make 512 x 30 x 128 products (3.9 MFLOP) and
    # larger. The GEMM gives a product one thread per 1 MFLOP, so these
    # split over up to three threads.
    X, y = _training_data()
    X_test = np.random.default_rng(1).normal(size=(5000, 30))
    params, predictions = {}, {}
    for n_threads in (1, 2, 3):
        fastnn.set_num_threads(n_threads)
        net = fastnn.MLP([30, 128, 64, 3], random_state=0, dtype=dtype)
        net.fit(X, y, epochs=3, batch_size=512)
        params[n_threads] = net.params.copy()
        predictions[n_threads] = net.predict_proba(X_test)

    assert params[1].dtype == np.dtype(dtype)
    assert np.array_equal(params[1], params[2])
    assert np.array_equal(params[1], params[3])
    assert np.array_equal(predictions[1], predictions[2])
    assert np.array_equal(predictions[1], predictions[3])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_predict_thread_invariance(dtype):
    X, y = _training_data(n_rows=500)
    net = fastnn.MLP([30, 64, 32, 3], random_state=0, dtype=dtype).fit(X, y, epochs=2)
    X_test = np.random.default_rng(2).normal(size=(5000, 30))
    outputs = {}
    for n_threads in (1, 2, 3):
        fastnn.set_num_threads(n_threads)
        outputs[n_threads] = (net.predict_proba(X_test), net.decision_function(X_test))

    for n_threads in (2, 3):
        assert np.array_equal(outputs[1][0], outputs[n_threads][0])
        assert np.array_equal(outputs[1][1], outputs[n_threads][1])


# ---- small batches stay on one thread ---------------------------------------


def _digits_shaped(n_rows):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n_rows, 64)).astype(np.float32)
    return X, rng.integers(0, 10, size=n_rows)


@needs_openmp
def test_small_training_batches_run_serially():
    # 64-100-10 has 7,510 parameters, so a step over 200 rows has 9 MFLOP
    # of products. A step needs 20 MFLOP for more threads, although its
    # largest product (2.6 MFLOP) would get two on its own.
    fastnn.set_num_threads(2)
    X, y = _digits_shaped(800)
    net = fastnn.MLP([64, 100, 10], random_state=0)
    before = _core.parallel_calls()
    net.fit(X, y, epochs=2, batch_size=200)
    assert _core.parallel_calls() == before

    # batches of 800 rows (36 MFLOP per step) split their products
    net.fit(X, y, epochs=1, batch_size=800)
    assert _core.parallel_calls() > before


@needs_openmp
def test_small_forward_backward_runs_serially():
    fastnn.set_num_threads(2)
    net = fastnn.MLP([64, 100, 10], random_state=0)
    X, y = _digits_shaped(1000)
    before = _core.parallel_calls()
    small = net.forward_backward(X[:200], y[:200])
    assert _core.parallel_calls() == before
    # 1,000 rows: 45 MFLOP
    large = net.forward_backward(X, y)
    assert _core.parallel_calls() > before
    assert np.isfinite(small)
    assert np.isfinite(large)


def test_small_batches_match_one_thread():
    # the serial rule changes where products run, never their bits
    X, y = _digits_shaped(800)
    params = {}
    for n_threads in (1, 2):
        fastnn.set_num_threads(n_threads)
        net = fastnn.MLP([64, 100, 10], random_state=0)
        net.fit(X, y, epochs=2, batch_size=200)
        params[n_threads] = net.params.copy()
    assert np.array_equal(params[1], params[2])


# ---- the thread pool of one-row calls ---------------------------------------


@pytest.fixture
def team_window():
    """Set the pool's waiting time after an OpenMP region; the default comes back after the test."""
    yield _core.set_team_window
    _core.set_team_window(None)


def _wide():
    """A network whose one-row product gets two threads, with a 300-row batch for OpenMP."""
    net = fastnn.MLP([600, 256, 10], random_state=3)
    rng = np.random.default_rng(5)
    return (net, rng.normal(size=(1, 600)).astype(np.float32),
            rng.normal(size=(300, 600)).astype(np.float32))


@needs_openmp
def test_pool_waits_while_openmp_workers_spin(team_window):
    net, x, batch = _wide()
    fastnn.set_num_threads(1)
    expected = net.predictor()(x)
    fastnn.set_num_threads(2)
    predictor = net.predictor()

    team_window(3600.0)
    predictor(batch)  # an OpenMP region: its workers spin for a while after it
    before = _core.team_jobs()
    on_openmp = predictor(x)
    assert _core.team_jobs() == before

    team_window(0.0)
    on_pool = predictor(x)
    assert _core.team_jobs() == before + 1
    assert np.array_equal(on_openmp, expected)
    assert np.array_equal(on_pool, expected)


@needs_openmp
def test_one_row_steps_match_on_pool_and_openmp(team_window):
    # the forward product summed in parts and the fused update, each on the
    # pool, in an OpenMP region and on one thread
    net, _, batch = _wide()
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(40, 600)).astype(np.float32), rng.integers(0, 10, size=40)
    params, jobs = {}, {}
    for mode in ("one thread", "pool", "openmp"):
        fastnn.set_num_threads(1 if mode == "one thread" else 2)
        team_window(3600.0 if mode == "openmp" else 0.0)
        net.predict_proba(batch)
        model = fastnn.MLP([600, 256, 10], random_state=0)
        before = _core.team_jobs()
        model.train_epoch(X, model.encode_targets(y), 1, shuffle=False)
        jobs[mode] = _core.team_jobs() - before
        params[mode] = model.params.copy()
    assert jobs == {"one thread": 0, "pool": 80, "openmp": 0}
    assert np.array_equal(params["pool"], params["one thread"])
    assert np.array_equal(params["openmp"], params["one thread"])


@needs_openmp
@pytest.mark.parametrize("window", [0.0, 3600.0], ids=["pool", "openmp"])
def test_one_row_steps_while_thread_count_changes(team_window, window):
    # Another thread switches the thread count between 1 and 2 while
    # one-row steps run. Each update reads the count once for all its
    # threads, so every weight is updated exactly once, and the weights
    # equal those of a run on one thread.
    rng = np.random.default_rng(7)
    X = rng.normal(size=(600, 600)).astype(np.float32)
    y = rng.integers(0, 10, size=600)
    fastnn.set_num_threads(1)
    reference = fastnn.MLP([600, 256, 10], random_state=3)
    Y = reference.encode_targets(y)
    reference.train_epoch(X, Y, 1, shuffle=False)

    fastnn.set_num_threads(2)
    team_window(window)
    net = fastnn.MLP([600, 256, 10], random_state=3)
    net.predict_proba(X[:300])  # an OpenMP region
    stop = threading.Event()
    flips = [0]

    def toggle():
        while not stop.is_set():
            _core.set_num_threads(1 + flips[0] % 2)
            flips[0] += 1

    thread = threading.Thread(target=toggle)
    thread.start()
    try:
        net.train_epoch(X, Y, 1, shuffle=False)
    finally:
        stop.set()
        thread.join()
    assert flips[0] > 100
    assert np.array_equal(net.params, reference.params)


@needs_openmp
def test_pool_callers_at_once(team_window):
    # One caller at a time gets the pool's team, and the others run their
    # rows alone. Every result must equal the one-thread result.
    team_window(0.0)
    net = fastnn.MLP([600, 256, 10], random_state=3)
    inputs = [np.random.default_rng(30 + i).normal(size=(1 + i % 2, 600)).astype(np.float32)
              for i in range(8)]
    fastnn.set_num_threads(1)
    expected = [net.predictor()(X) for X in inputs]
    fastnn.set_num_threads(2)
    predictor = net.predictor()
    failures = []
    start = threading.Barrier(4)

    def serve(worker):
        start.wait()
        for repeat in range(300):
            i = (worker + repeat) % len(inputs)
            if not np.array_equal(predictor(inputs[i]), expected[i]):
                failures.append((worker, repeat))

    threads = [threading.Thread(target=serve, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []


@needs_openmp
def test_pool_wakes_sleeping_workers(team_window):
    # An idle worker spins for 0.1 ms and then sleeps. An OpenMP region
    # sends it to sleep at once. The next job must wake it.
    team_window(0.0)
    net, x, batch = _wide()
    fastnn.set_num_threads(1)
    expected = net.predictor()(x)
    fastnn.set_num_threads(2)
    predictor = net.predictor()
    before = _core.team_jobs()
    for pause in [0, 0.0002, 0.002, 0.02, 0, 0.001, "openmp", 0, "openmp", 0.001]:
        if pause == "openmp":
            predictor(batch)
        else:
            time.sleep(pause)
        assert np.array_equal(predictor(x), expected)
    assert _core.team_jobs() == before + 10


@needs_openmp
@pytest.mark.parametrize("spin_env", [{}, {"GOMP_SPINCOUNT": "infinite", "KMP_BLOCKTIME": "infinite"}])
def test_pool_window_from_environment(spin_env):
    # A fresh process runs an OpenMP region, then pauses for longer than
    # the default window (0.07 s for libgomp, 0.21 s for LLVM's runtime).
    # Its one-row call then runs on the pool, unless the environment makes
    # the OpenMP workers spin without end.
    script = (
        "import time, numpy as np, fastnn\n"
        "from fastnn import _core\n"
        "fastnn.set_num_threads(2)\n"
        "net = fastnn.MLP([600, 256, 10], random_state=3)\n"
        "p = net.predictor()\n"
        "p(np.ones((300, 600), np.float32))\n"
        "time.sleep(0.5)\n"
        "p(np.ones((1, 600), np.float32))\n"
        "print(_core.team_jobs())\n"
    )
    env = dict(os.environ, **spin_env)
    for name in ("GOMP_SPINCOUNT", "KMP_BLOCKTIME", "OMP_WAIT_POLICY"):
        if name not in spin_env:
            env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", script], cwd=PACKAGE_PARENT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("0" if spin_env else "1")


@pytest.mark.parametrize("settings, seconds", [
    ({}, 0.07),
    ({"wait_policy": "PASSIVE"}, 0.01),
    ({"wait_policy": "active"}, 6000.01),
    ({"spincount": "INFINITE"}, float("inf")),
    ({"spincount": "infinity", "wait_policy": "passive"}, float("inf")),
    ({"spincount": "10k"}, 0.012),
    ({"spincount": " 2M "}, 0.41),
    ({"spincount": "0"}, 0.01),
    ({"spincount": "many"}, 0.07),
    ({"spincount": "-5"}, 0.07),
    ({"llvm_runtime": True}, 0.21),
    ({"llvm_runtime": True, "blocktime": "50"}, 0.06),
    ({"llvm_runtime": True, "blocktime": "1s"}, 1.01),
    ({"llvm_runtime": True, "blocktime": "500us"}, 0.0105),
    ({"llvm_runtime": True, "blocktime": "infinite"}, float("inf")),
    ({"llvm_runtime": True, "wait_policy": "ACTIVE"}, float("inf")),
    ({"llvm_runtime": True, "wait_policy": "passive"}, 0.01),
    ({"llvm_runtime": True, "wait_policy": "passive", "blocktime": "20"}, 0.03),
    ({"llvm_runtime": True, "blocktime": "soon"}, 0.21),
    ({"llvm_runtime": True, "blocktime": "soon", "wait_policy": "active"}, float("inf")),
    ({"llvm_runtime": True, "spincount": "infinite"}, 0.21),
])
def test_omp_spin_window(settings, seconds):
    # libgomp spins GOMP_SPINCOUNT times (300,000 by default), counted at
    # 200 ns each; LLVM's runtime spins for KMP_BLOCKTIME (200 ms by
    # default). Each window has 10 ms added.
    assert _core.omp_spin_window(**settings) == pytest.approx(seconds)


# ---- fork safety ------------------------------------------------------------


def _wait_for_child(pid, timeout):
    """Return the child's wait status, or kill it and fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the forked child was still running after %d s and was killed "
                "(deadlock in its first parallel region?)" % timeout)


def _fork():
    """Call os.fork without the warning Python 3.12+ gives for forking a threaded process.

    The OpenMP worker threads are what these tests fork past on purpose.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _in_child(tmp_path, work):
    """Run work() in a forked child and return the arrays it returned, as a dict.

    Fails with the child's traceback when work raised, and kills a child
    that is still running after 60 s.
    """
    result_path = tmp_path / "child.npz"
    error_path = tmp_path / "child-error.txt"
    pid = _fork()
    if pid == 0:
        exit_code = 1
        try:
            np.savez(result_path, **work())
            exit_code = 0
        except BaseException:
            error_path.write_text(traceback.format_exc())
        finally:
            os._exit(exit_code)

    status = _wait_for_child(pid, timeout=60)
    child_error = error_path.read_text() if error_path.exists() else ""
    assert os.WIFEXITED(status), "child ended by signal %d" % os.WTERMSIG(status)
    assert os.WEXITSTATUS(status) == 0, child_error
    with np.load(result_path) as result:
        return dict(result)


@needs_openmp
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is not available")
def test_fork_child_predicts(tmp_path):
    fastnn.set_num_threads(2)
    X, y = _training_data()
    net = fastnn.MLP([30, 64, 32, 3], random_state=0).fit(X, y, epochs=2, batch_size=256)
    # 20,000 rows x 30 x 64 is far above the parallel threshold, so the
    # parent has run a parallel region before it forks.
    X_big = np.random.default_rng(3).normal(size=(20000, 30))
    expected = net.predict_proba(X_big)

    result = _in_child(tmp_path, lambda: {
        "proba": net.predict_proba(X_big),
        "fork_serial": _core.fork_serial(),
        "config_fork_serial": fastnn.config()["fork_serial"],
    })
    assert np.array_equal(result["proba"], expected)
    assert bool(result["fork_serial"]) is True
    assert bool(result["config_fork_serial"]) is True
    assert _core.fork_serial() is False


@needs_openmp
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is not available")
def test_fork_child_after_pool(tmp_path, team_window):
    # The parent ran one-row calls on the thread pool only, whose workers
    # do not exist in the child, so the child must run serially.
    team_window(0.0)
    net, x, _ = _wide()
    fastnn.set_num_threads(2)
    predictor = net.predictor()
    before = _core.team_jobs()
    expected = [predictor(x) for _ in range(3)][0]
    assert _core.team_jobs() == before + 3

    def work():
        jobs = _core.team_jobs()
        one = predictor(x)
        return {"one": one, "fork_serial": _core.fork_serial(),
                "jobs": _core.team_jobs() - jobs}

    result = _in_child(tmp_path, work)
    assert np.array_equal(result["one"], expected)
    assert bool(result["fork_serial"]) is True
    assert int(result["jobs"]) == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is not available")
def test_fork_child_trains(tmp_path):
    fastnn.set_num_threads(2)
    X, y = _training_data()
    net = fastnn.MLP([30, 64, 32, 3], random_state=0).fit(X, y, epochs=1, batch_size=256)
    net.predict_proba(np.zeros((20000, 30)))
    result_path = tmp_path / "child.npy"

    pid = _fork()
    if pid == 0:
        exit_code = 1
        try:
            child_net = fastnn.MLP([30, 64, 32, 3], random_state=0)
            child_net.fit(X, y, epochs=2, batch_size=256)
            np.save(result_path, child_net.params)
            exit_code = 0
        finally:
            os._exit(exit_code)

    status = _wait_for_child(pid, timeout=60)
    assert os.WIFEXITED(status)
    assert os.WEXITSTATUS(status) == 0
    parent_net = fastnn.MLP([30, 64, 32, 3], random_state=0).fit(X, y, epochs=2, batch_size=256)
    assert np.array_equal(np.load(result_path), parent_net.params)


# ---- instruction sets -------------------------------------------------------


@pytest.fixture(scope="module")
def isa_network():
    X, y = _training_data(n_rows=600)
    net = fastnn.MLP([30, 64, 32, 3], activation="tanh", random_state=0).fit(X, y, epochs=2)
    X_test = np.random.default_rng(4).normal(size=(3000, 30))
    return net, X, y, X_test


def _select_or_skip(name):
    if not _core.isa_compiled(name):
        pytest.skip("this build has no %s kernels" % name)
    try:
        _core.isa_select(name)
    except ValueError:
        pytest.skip("this CPU does not support %s" % name)


@pytest.mark.parametrize("name", ISA_NAMES)
def test_isa_predictions_match_scalar(isa_network, restore_isa, name):
    net, X, y, X_test = isa_network
    _core.isa_select("scalar")
    reference_proba = net.predict_proba(X_test)
    reference_logits = net.decision_function(X_test)

    _select_or_skip(name)
    assert _core.isa_active() == name
    assert fastnn.config()["isa"] == name
    np.testing.assert_allclose(net.predict_proba(X_test), reference_proba, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(net.decision_function(X_test), reference_logits,
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ISA_NAMES)
def test_isa_gradients_match_scalar(isa_network, restore_isa, name):
    net, X, y, _ = isa_network
    _core.isa_select("scalar")
    reference_loss = net.forward_backward(X, y, alpha=1e-3)
    reference_grads = net.grads.copy()

    _select_or_skip(name)
    loss = net.forward_backward(X, y, alpha=1e-3)
    assert loss == pytest.approx(reference_loss, rel=1e-5)
    np.testing.assert_allclose(net.grads, reference_grads, rtol=1e-3, atol=1e-6)


def test_isa_unknown_name(restore_isa):
    before = _core.isa_active()
    with pytest.raises(ValueError, match="unknown instruction set 'sse9'") as info:
        _core.isa_select("sse9")
    for name in ISA_NAMES:
        assert name in str(info.value)
    assert _core.isa_active() == before


def test_isa_above_detected_rejected(restore_isa):
    detected = _core.isa_detected()
    better = [n for n in ISA_NAMES if ISA_RANK[n] > ISA_RANK[detected] and _core.isa_compiled(n)]
    if not better:
        pytest.skip("this CPU supports the best instruction set compiled in")
    before = _core.isa_active()
    with pytest.raises(ValueError, match="instruction set %r is not available here" % better[0]):
        _core.isa_select(better[0])
    assert _core.isa_active() == before


def test_isa_compiled_scalar():
    assert _core.isa_compiled("scalar") is True
    assert _core.isa_detected() in ISA_NAMES
    assert fastnn.config()["isa_detected"] == _core.isa_detected()


def test_isa_env_scalar():
    result = _run_python(
        "import json, fastnn; print(json.dumps(fastnn.config()))", {"FASTNN_ISA": "scalar"}
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["isa"] == "scalar"
    assert config["isa_detected"] == _core.isa_detected()
    assert "Warning" not in result.stderr


def test_isa_env_bogus():
    result = _run_python(
        "import json, fastnn; print(json.dumps(fastnn.config()))", {"FASTNN_ISA": "bogus"}
    )
    assert result.returncode == 0, result.stderr
    assert "RuntimeWarning" in result.stderr
    assert "FASTNN_ISA='bogus'" in result.stderr
    config = json.loads(result.stdout)
    assert config["isa"] == _core.isa_detected()


# ---- configuration report ---------------------------------------------------


@needs_openmp
def test_show_config_lines():
    fastnn.set_num_threads(2)
    buffer = io.StringIO()
    fastnn.show_config(file=buffer)
    text = buffer.getvalue()
    assert "OpenMP" in text
    assert "SIMD kernels" in text
    assert _core.isa_active() in text
    threads_lines = [line for line in text.splitlines() if "threads" in line]
    assert len(threads_lines) == 1
    assert " 2 " in threads_lines[0]


def test_show_config_stdout(capsys):
    fastnn.show_config()
    out = capsys.readouterr().out
    assert out.startswith("fastnn %s" % fastnn.__version__)


@needs_openmp
def test_info_json():
    env = dict(os.environ, FASTNN_NUM_THREADS="2")
    env.pop("FASTNN_ISA", None)
    result = subprocess.run(
        [sys.executable, "-m", "fastnn", "info", "--json"], cwd=PACKAGE_PARENT, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert isinstance(config, dict)
    for key in ("version", "openmp", "isa", "num_threads"):
        assert key in config
    assert config["version"] == fastnn.__version__
    assert config["openmp"] is _core.has_openmp()
    assert config["isa"] == _core.isa_detected()
    assert config["num_threads"] == 2
