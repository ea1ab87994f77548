"""Fixtures shared by fastnn's benchmarks: peers, thread limits, data and extra_info.

The environment variables that size a run are read in ``_workload.py``.
"""

import contextlib
import importlib
import importlib.metadata
import importlib.util
import os
import time

import numpy as np
import pytest

import fastnn

from _workload import BATCH_SIZES, ROWS, ROWS_BATCH1, SETTLE_SECONDS, THREAD_COUNTS, make_data


# Import name and distribution name of each peer library.
PEERS = {
    "numpy": "numpy",
    "torch": "torch",
    "sklearn": "scikit-learn",
    "onnxruntime": "onnxruntime",
    "skl2onnx": "skl2onnx",
    "threadpoolctl": "threadpoolctl",
}


def is_installed(module_name):
    """Return whether a module can be imported, without importing it."""
    return importlib.util.find_spec(module_name) is not None


def import_if_installed(module_name):
    """Return the imported module, or None when it is missing or fails to import."""
    if not is_installed(module_name):
        return None
    try:
        return importlib.import_module(module_name)
    except ImportError:
        return None


def library_version(module_name):
    """Return the installed version of a library by its import name, or None."""
    if module_name == "fastnn":
        return fastnn.__version__
    try:
        return importlib.metadata.version(PEERS.get(module_name, module_name))
    except importlib.metadata.PackageNotFoundError:
        return None


def installed_peers():
    """Return {import name: version} for the peer libraries that are installed."""
    return {name: library_version(name) for name in PEERS if is_installed(name)}


# ---- threads --------------------------------------------------------------------


@contextlib.contextmanager
def limit_threads(n_threads):
    """Run the block with n_threads in fastnn, PyTorch and the loaded BLAS libraries.

    PyTorch is limited only when installed. The BLAS libraries loaded so far
    (NumPy's OpenBLAS, which scikit-learn's MLP uses, and SciPy's) are
    limited through threadpoolctl when that is installed. ONNX Runtime takes
    its count per session, so its fixture reads the ``threads`` value
    instead. The previous counts are restored on exit.
    """
    saved_fastnn = fastnn.get_num_threads()
    torch_module = import_if_installed("torch")

    with contextlib.ExitStack() as stack:
        fastnn.set_num_threads(n_threads)
        stack.callback(fastnn.set_num_threads, saved_fastnn)
        if torch_module is not None:
            stack.callback(torch_module.set_num_threads, torch_module.get_num_threads())
            torch_module.set_num_threads(n_threads)
        if is_installed("threadpoolctl"):
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=n_threads, user_api="blas"))
        yield n_threads


@pytest.fixture(params=THREAD_COUNTS, ids=lambda n: "t%d" % n)
def threads(request):
    """Thread count of the test, applied to every library for its duration."""
    n_threads = request.param
    usable = fastnn.config()["usable_cpus"]
    if n_threads > usable:
        pytest.skip("%d threads requested but only %d CPUs are usable" % (n_threads, usable))
    with limit_threads(n_threads):
        yield n_threads


# ---- peers ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def torch():
    """The torch module; skips the test when PyTorch is not installed."""
    return pytest.importorskip("torch", reason="PyTorch is not installed")


@pytest.fixture(scope="session")
def sklearn():
    """The sklearn module; skips the test when scikit-learn is not installed."""
    return pytest.importorskip("sklearn", reason="scikit-learn is not installed")


@pytest.fixture(scope="session")
def onnxruntime():
    """The onnxruntime module; skips the test without ONNX Runtime or skl2onnx."""
    module = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("skl2onnx", reason="skl2onnx (to convert the model) is not installed")
    return module


# ---- data -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def workload_data():
    """(X, y) of workload A: enough MNIST-shaped float32 rows and int64 labels for any epoch."""
    return make_data(max(ROWS, ROWS_BATCH1, max(BATCH_SIZES)))


# ---- extra_info -----------------------------------------------------------------


class BenchmarkRecord:
    """Writer of one benchmark's group and extra_info fields.

    ``bench/report.py`` pairs benchmarks by these fields: suite, library,
    threads and the suite's own keys (shape, batch_size, ...).
    """

    def __init__(self, benchmark):
        self.benchmark = benchmark

    def describe(self, group, library, threads, **fields):
        """Set the group and the fields that identify the benchmark; call just before it runs.

        Then waits SETTLE_SECONDS before the timing starts. The worker
        threads of the library used last (OpenBLAS's in a reference check,
        or the previous benchmark's peer) stop spinning in that time; see
        ``_workload.py``.
        """
        self.benchmark.group = group
        info = self.benchmark.extra_info
        info.update(fields)
        info["library"] = library
        info["version"] = library_version(library)
        info["threads"] = threads
        if library == "fastnn":
            info["isa"] = fastnn.config()["isa"]
        if not getattr(self.benchmark, "disabled", False):
            info["settle_s"] = SETTLE_SECONDS
            time.sleep(SETTLE_SECONDS)

    def rates(self, flop=None, rows=None):
        """Add GFLOP/s and samples/s from the median time; call after the run.

        The counts themselves (``flop`` and ``rows`` per timed call) are
        stored too, so the report can use another statistic. Without timings
        (``--benchmark-disable``) only the counts are stored.
        """
        info = self.benchmark.extra_info
        if flop is not None:
            info["flop"] = flop
        if rows is not None:
            info["rows"] = rows
        stats = getattr(self.benchmark, "stats", None)
        if not stats:
            return
        median = stats.stats.median
        if flop is not None:
            info["gflops"] = flop / median / 1e9
        if rows is not None:
            info["samples_per_s"] = rows / median


@pytest.fixture
def record(benchmark):
    """A BenchmarkRecord for this test's benchmark."""
    return BenchmarkRecord(benchmark)


# ---- order ----------------------------------------------------------------------


# Parameters that pick a library or one of its call paths rather than the
# case being measured.
LIBRARY_PARAMS = ("library", "variant")


def case_key(item):
    """The file and the parameters of the case that item measures, library aside."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    return (str(item.path), tuple(sorted((name, repr(value)) for name, value in params.items()
                                         if name not in LIBRARY_PARAMS)))


def pytest_collection_modifyitems(session, config, items):
    """Run the libraries' benchmarks of each case back to back.

    pytest collects a file's benchmarks function by function: every case of
    fastnn, then every case of each peer. The two timings that a ratio
    compares then ran tens of seconds or more apart, and a host whose speed drifts
    over minutes (a shared virtual machine) moved one and not the other.
    Grouped by case, they run within seconds of each other. The sort is
    stable: cases keep the order of their first benchmark, and the
    libraries within a case their order in the file.
    """
    first = {}
    for index, item in enumerate(items):
        first.setdefault(case_key(item), index)
    items.sort(key=lambda item: first[case_key(item)])


def pytest_benchmark_update_machine_info(config, machine_info):
    """Add fastnn's configuration, library versions, BLAS and bench settings to the JSON."""
    machine_info["fastnn"] = fastnn.config()
    machine_info["libraries"] = installed_peers()
    machine_info["openblas_environment"] = {
        key: value for key, value in os.environ.items() if key.startswith("OPENBLAS")
    }
    if is_installed("threadpoolctl"):
        from threadpoolctl import threadpool_info

        # Each wheel may bundle its own BLAS (NumPy, SciPy, PyTorch), so all are listed.
        machine_info["blas"] = [
            {key: pool.get(key) for key in ("internal_api", "version", "architecture",
                                            "num_threads", "filepath")}
            for pool in threadpool_info() if pool.get("user_api") == "blas"
        ]
    machine_info["bench_settings"] = {
        "rows": ROWS,
        "rows_batch1": ROWS_BATCH1,
        "thread_counts": THREAD_COUNTS,
        "numpy": np.__version__,
    }
