"""Shared fixtures: a seeded random generator, the supported ISAs and both float dtypes."""

import numpy as np
import pytest

from fastnn import _core


def _supported_isas():
    """Return the ISAs that this build compiled and this CPU can run."""
    original = _core.isa_active()
    supported = []
    try:
        for name in ("scalar", "avx2", "avx512"):
            if not _core.isa_compiled(name):
                continue
            try:
                _core.isa_select(name)
            except ValueError:
                continue
            supported.append(name)
    finally:
        _core.isa_select(original)
    return tuple(supported)


SUPPORTED_ISAS = _supported_isas()


@pytest.fixture
def rng():
    """A NumPy generator with a fixed seed, fresh for every test."""
    return np.random.default_rng(12345)


@pytest.fixture(params=SUPPORTED_ISAS)
def isa(request):
    """Select each supported ISA's kernels in turn and restore the previous choice afterwards."""
    original = _core.isa_active()
    _core.isa_select(request.param)
    try:
        yield request.param
    finally:
        _core.isa_select(original)


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def float_dtype(request):
    """Each floating-point dtype that fastnn computes in."""
    return request.param
