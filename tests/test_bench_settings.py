"""The environment variables that size a benchmark run (bench/_workload.py)."""

import importlib.util
import pathlib

import pytest

WORKLOAD = pathlib.Path(__file__).resolve().parent.parent / "bench" / "_workload.py"


def load_workload():
    spec = importlib.util.spec_from_file_location("bench_workload_under_test", WORKLOAD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_defaults(monkeypatch):
    for name in ("FASTNN_BENCH_ROWS", "FASTNN_BENCH_THREADS", "FASTNN_BENCH_SETTLE"):
        monkeypatch.delenv(name, raising=False)

    workload = load_workload()

    assert workload.ROWS == 20000
    assert workload.THREAD_COUNTS == [1, 2]
    assert workload.SETTLE_SECONDS == 0.3


@pytest.mark.parametrize("value,expected", [("0", 0.0), ("1.5", 1.5), (" 2 ", 2.0)])
def test_settle_seconds(monkeypatch, value, expected):
    monkeypatch.setenv("FASTNN_BENCH_SETTLE", value)

    assert load_workload().SETTLE_SECONDS == expected


@pytest.mark.parametrize("value", ["-1", "61", "soon", "nan"])
def test_settle_seconds_invalid(monkeypatch, value):
    monkeypatch.setenv("FASTNN_BENCH_SETTLE", value)

    with pytest.raises(ValueError, match="FASTNN_BENCH_SETTLE must be a number of seconds"):
        load_workload()


@pytest.mark.parametrize("name,value", [("FASTNN_BENCH_ROWS", "0"),
                                        ("FASTNN_BENCH_THREADS", "1,x")])
def test_sizes_invalid(monkeypatch, name, value):
    monkeypatch.setenv(name, value)

    with pytest.raises(ValueError, match=name):
        load_workload()


class FakeItem:
    """What the bench's ordering hook reads of a collected test: its path and parameters."""

    def __init__(self, path, name, **params):
        self.path = pathlib.Path(path)
        self.name = name
        if params:
            self.callspec = type("CallSpec", (), {"params": params})()

    def __repr__(self):
        return self.name


def load_bench_conftest(monkeypatch):
    monkeypatch.syspath_prepend(str(WORKLOAD.parent))
    spec = importlib.util.spec_from_file_location("bench_conftest_under_test",
                                                  WORKLOAD.parent / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_cases_run_back_to_back(monkeypatch):
    conftest = load_bench_conftest(monkeypatch)
    items = []
    for library in ("fastnn", "numpy"):
        for threads in (1, 2):
            for shape in ("128x784x256", "128x128x10"):
                items.append(FakeItem("bench/test_gemm.py", "%s-t%d-%s" % (library, threads, shape),
                                      threads=threads, shape=shape))
    for variant in ("predict_proba", "predictor"):
        for rows in (1, 10000):
            items.append(FakeItem("bench/test_inference.py", "fastnn-%s-%d" % (variant, rows),
                                  threads=1, rows=rows, variant=variant))
    for rows in (1, 10000):
        items.append(FakeItem("bench/test_inference.py", "torch-%d" % rows, threads=1, rows=rows))
    items.append(FakeItem("bench/test_other.py", "unparametrized"))

    conftest.pytest_collection_modifyitems(None, None, items)

    assert [item.name for item in items] == [
        "fastnn-t1-128x784x256", "numpy-t1-128x784x256",
        "fastnn-t1-128x128x10", "numpy-t1-128x128x10",
        "fastnn-t2-128x784x256", "numpy-t2-128x784x256",
        "fastnn-t2-128x128x10", "numpy-t2-128x128x10",
        "fastnn-predict_proba-1", "fastnn-predictor-1", "torch-1",
        "fastnn-predict_proba-10000", "fastnn-predictor-10000", "torch-10000",
        "unparametrized",
    ]
