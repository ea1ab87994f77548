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
