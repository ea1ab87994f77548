"""One SGD step of a tiny network, worked out by hand.

Network [2, 2, 1]: two inputs, two tanh hidden units, one identity output,
squared-error loss 0.5 * (out - y)^2 on a single row, learning rate 0.1, no
momentum. The expected numbers are computed below with plain Python floats.
"""

import math

import numpy as np
import pytest

import fastnn

# Inputs, target and initial parameters (W is fan_in x fan_out).
X = [1.0, 2.0]
Y = 0.5
W1 = [[0.1, 0.2],
      [0.3, -0.4]]
B1 = [0.05, -0.05]
W2 = [[0.6],
      [-0.7]]
B2 = [0.1]
LEARNING_RATE = 0.1

# Forward pass.
#   z1 = x W1 + b1 = [1*0.1 + 2*0.3 + 0.05, 1*0.2 + 2*(-0.4) - 0.05] = [0.75, -0.65]
Z1 = [X[0] * W1[0][0] + X[1] * W1[1][0] + B1[0],
      X[0] * W1[0][1] + X[1] * W1[1][1] + B1[1]]
#   h = tanh(z1) ~= [0.635149, -0.571670]
H = [math.tanh(Z1[0]), math.tanh(Z1[1])]
#   out = h W2 + b2 ~= 0.6 * 0.635149 - 0.7 * (-0.571670) + 0.1 ~= 0.881258
OUT = H[0] * W2[0][0] + H[1] * W2[1][0] + B2[0]
#   loss = 0.5 * (out - y)^2 ~= 0.5 * 0.381258^2 ~= 0.072679
RESIDUAL = OUT - Y
LOSS = 0.5 * RESIDUAL * RESIDUAL

# Backward pass (one row, so the mean over rows is the row itself).
#   dL/dout = out - y,  dW2 = h^T dout,  db2 = dout
D_OUT = RESIDUAL
D_W2 = [[H[0] * D_OUT],
        [H[1] * D_OUT]]
D_B2 = [D_OUT]
#   dh = dout W2^T,  dz1 = dh * (1 - h^2) by the derivative of tanh
D_Z1 = [D_OUT * W2[0][0] * (1.0 - H[0] * H[0]),
        D_OUT * W2[1][0] * (1.0 - H[1] * H[1])]
#   dW1 = x^T dz1,  db1 = dz1
D_W1 = [[X[0] * D_Z1[0], X[0] * D_Z1[1]],
        [X[1] * D_Z1[0], X[1] * D_Z1[1]]]
D_B1 = [D_Z1[0], D_Z1[1]]


def sgd_update(value, gradient):
    """Plain SGD without momentum: p := p - lr * g, elementwise on nested lists."""
    if isinstance(value, list):
        return [sgd_update(v, g) for v, g in zip(value, gradient)]
    return value - LEARNING_RATE * gradient


def make_network():
    net = fastnn.MLP([2, 2, 1], activation="tanh", output="identity", dtype="float64",
                     random_state=0)
    net.coefs[0][...] = W1
    net.intercepts[0][...] = B1
    net.coefs[1][...] = W2
    net.intercepts[1][...] = B2
    return net


def gradient_views(net):
    """Return [(dW, db), ...] for each layer, sliced from net.grads like coefs/intercepts."""
    views = []
    sizes = net.layer_sizes
    for l, (w_off, b_off) in enumerate(net.network.offsets()):
        K, M = sizes[l], sizes[l + 1]
        views.append((net.grads[w_off:w_off + K * M].reshape(K, M), net.grads[b_off:b_off + M]))
    return views


def test_hand_worked_numbers():
    # Checks the arithmetic above against the rounded values in its comments.
    assert Z1 == pytest.approx([0.75, -0.65], rel=1e-15)
    assert H == pytest.approx([0.635149, -0.571670], abs=1e-6)
    assert OUT == pytest.approx(0.881258, abs=1e-6)
    assert LOSS == pytest.approx(0.072679, abs=1e-6)


def test_hand_worked_loss():
    net = make_network()

    loss = net.forward_backward(np.array([X]), np.array([Y]))

    assert loss == pytest.approx(LOSS, rel=1e-13)


def test_hand_worked_gradient():
    net = make_network()

    net.forward_backward(np.array([X]), np.array([Y]))

    (dW1, db1), (dW2, db2) = gradient_views(net)
    np.testing.assert_allclose(dW1, D_W1, rtol=1e-13, err_msg="dW1")
    np.testing.assert_allclose(db1, D_B1, rtol=1e-13, err_msg="db1")
    np.testing.assert_allclose(dW2, D_W2, rtol=1e-13, err_msg="dW2")
    np.testing.assert_allclose(db2, D_B2, rtol=1e-13, err_msg="db2")


def test_hand_worked_sgd_step():
    net = make_network()
    net.configure_optimizer("sgd", learning_rate=LEARNING_RATE, momentum=0.0)

    net.forward_backward(np.array([X]), np.array([Y]))
    net.step()

    np.testing.assert_allclose(net.coefs[0], sgd_update(W1, D_W1), rtol=1e-13, err_msg="W1 after")
    np.testing.assert_allclose(net.intercepts[0], sgd_update(B1, D_B1), rtol=1e-13,
                               err_msg="b1 after")
    np.testing.assert_allclose(net.coefs[1], sgd_update(W2, D_W2), rtol=1e-13, err_msg="W2 after")
    np.testing.assert_allclose(net.intercepts[1], sgd_update(B2, D_B2), rtol=1e-13,
                               err_msg="b2 after")


def test_hand_worked_predict_after_step():
    # The prediction after the step is the forward pass with updated weights.
    net = make_network()
    net.configure_optimizer("sgd", learning_rate=LEARNING_RATE, momentum=0.0)
    w1, b1 = sgd_update(W1, D_W1), sgd_update(B1, D_B1)
    w2, b2 = sgd_update(W2, D_W2), sgd_update(B2, D_B2)
    h = [math.tanh(X[0] * w1[0][j] + X[1] * w1[1][j] + b1[j]) for j in range(2)]
    expected = h[0] * w2[0][0] + h[1] * w2[1][0] + b2[0]

    net.forward_backward(np.array([X]), np.array([Y]))
    net.step()
    prediction = net.predict(np.array([X]))

    assert prediction.shape == (1,)
    assert prediction[0] == pytest.approx(expected, rel=1e-13)
