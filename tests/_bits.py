"""Comparison of floating-point results bit for bit, for the tests."""

import numpy as np


def assert_same_bits(got, expected, context=""):
    """np.array_equal with the sign of zero: compares the raw bits."""
    got, expected = np.ascontiguousarray(got), np.ascontiguousarray(expected)
    assert got.dtype == expected.dtype, context
    assert got.shape == expected.shape, context
    view = np.uint32 if got.dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(got.view(view), expected.view(view), err_msg=context)
