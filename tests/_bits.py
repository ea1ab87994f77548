"""Helpers for the tests that compare floating-point results bit for bit."""

import numpy as np

import fastnn


def assert_same_bits(got, expected, context=""):
    """Assert that got and expected have the same dtype, shape and raw bits.

    Unlike np.array_equal, this distinguishes +0.0 from -0.0.
    """
    got, expected = np.ascontiguousarray(got), np.ascontiguousarray(expected)
    assert got.dtype == expected.dtype, context
    assert got.shape == expected.shape, context
    view = np.uint32 if got.dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(got.view(view), expected.view(view), err_msg=context)


def zero_sign_network(dtype):
    """Return (net, tiny): a 4-64 network whose sums for the input row
    [tiny, 0, 0, 0] end at zero, with a sign that depends on the zero inputs.

    With fused multiply-adds, input 0's tiny product (tiny * -tiny)
    underflows and turns the sum +0 into -0. The sum over every input then
    adds 0 * 1 for the zero inputs, which gives +0 again. A sum that skips
    them must not stay at -0: the bias of -0.0 carries the sign to the
    logits, which must be +0.
    """
    tiny = 1e-25 if dtype == np.float32 else 1e-170
    net = fastnn.MLP([4, 64], output="identity", dtype=np.dtype(dtype).name, random_state=0)
    W, b = net.coefs[0], net.intercepts[0]
    W[:] = 1.0
    W[0, :] = -tiny
    b[:] = -0.0
    return net, tiny
