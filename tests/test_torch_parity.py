"""Training parity with PyTorch: same initial weights and batches, 50 Adam steps, float32.

fastnn's Adam is scikit-learn's form: eps is added to sqrt(v) and the bias
correction sits in the step size, lr * sqrt(1 - b2^t) / (1 - b1^t).
torch.optim.Adam adds eps to sqrt(v_hat) instead, which equals fastnn with
eps / sqrt(1 - b2^t) in place of eps: 3.2e-7 at step 1 for eps = 1e-8. That
changes the updates of weights whose gradients are tiny. With eps = 1e-8 the
losses still agree to 1e-4, but single weights drift apart by up to about
7e-3 of the largest weight in 50 steps (measured with torch 2.13). The
weights are therefore compared twice: against torch.optim.Adam with
eps = 1e-12 on both sides, where the placement no longer matters, and with
eps = 1e-8 against torch gradients fed to the scikit-learn form written out
here.
"""

import numpy as np
import pytest

import fastnn

torch = pytest.importorskip("torch")

N_ROWS = 128
N_STEPS = 50
LEARNING_RATE = 1e-3
BETAS = (0.9, 0.999)
EPSILON = 1e-8
# Small enough that adding it to sqrt(v) or to sqrt(v_hat) gives the same updates.
TINY_EPSILON = 1e-12

# name: (layer sizes, hidden activation, output head, batch size)
CASES = {
    "softmax": ([20, 32, 16, 5], "relu", "softmax", N_ROWS),
    "regression": ([20, 32, 16, 3], "tanh", "identity", 32),
    "binary": ([20, 32, 16, 1], "relu", "logistic", 32),
}
TORCH_ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}


def make_data(case):
    sizes, _, output, _ = CASES[case]
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N_ROWS, sizes[0])).astype(np.float32)
    if output == "softmax":
        y = rng.integers(0, sizes[-1], size=N_ROWS)
    elif output == "logistic":
        y = (X[:, 0] + 0.5 * rng.standard_normal(N_ROWS) > 0).astype(np.float32)
    else:
        y = (X[:, : sizes[-1]] ** 2 + 0.1 * rng.standard_normal((N_ROWS, sizes[-1])))
        y = y.astype(np.float32)
    return X, y


def torch_loss(case, logits, y_batch):
    """The fastnn loss of the case, written with torch's own loss modules."""
    _, _, output, _ = CASES[case]
    if output == "softmax":
        return torch.nn.CrossEntropyLoss()(logits, torch.from_numpy(y_batch))
    if output == "logistic":
        # One output, so the mean over elements is the mean over rows.
        return torch.nn.BCEWithLogitsLoss()(logits, torch.from_numpy(y_batch).reshape(-1, 1))
    # fastnn: 0.5 * sum over outputs, mean over rows.
    sum_sq = torch.nn.MSELoss(reduction="sum")(logits, torch.from_numpy(y_batch))
    return 0.5 * sum_sq / len(y_batch)


def torch_copy(net, activation):
    """Return an nn.Sequential with the weights of `net` (Linear.weight is W.T)."""
    modules = []
    for l, (W, b) in enumerate(zip(net.coefs, net.intercepts)):
        linear = torch.nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            linear.bias.copy_(torch.from_numpy(b.copy()))
        modules.append(linear)
        if l < len(net.coefs) - 1:
            modules.append(TORCH_ACTIVATIONS[activation]())
    return torch.nn.Sequential(*modules)


class SklearnAdam:
    """scikit-learn's form of Adam (the one fastnn documents), on torch tensors."""

    def __init__(self, params, epsilon):
        self.params = list(params)
        self.epsilon = epsilon
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self):
        self.t += 1
        b1, b2 = BETAS
        step_size = LEARNING_RATE * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v):
                m.mul_(b1).add_((1 - b1) * p.grad)
                v.mul_(b2).add_((1 - b2) * p.grad * p.grad)
                p.sub_(step_size * m / (v.sqrt() + self.epsilon))


def train_both(case, adam_form, epsilon=EPSILON):
    """Train fastnn and torch side by side and return (fastnn losses, torch losses, net, model).

    adam_form is "torch" for torch.optim.Adam or "sklearn" for SklearnAdam.
    """
    sizes, activation, output, batch_size = CASES[case]
    X, y = make_data(case)
    net = fastnn.MLP(sizes, activation=activation, output=output, dtype="float32",
                     random_state=0)
    model = torch_copy(net, activation)
    net.configure_optimizer("adam", LEARNING_RATE, beta_1=BETAS[0], beta_2=BETAS[1],
                            epsilon=epsilon)
    if adam_form == "torch":
        optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=BETAS,
                                     eps=epsilon)
    else:
        optimizer = SklearnAdam(model.parameters(), epsilon)

    fastnn_losses, torch_losses = [], []
    n_batches = N_ROWS // batch_size
    for step in range(N_STEPS):
        rows = slice((step % n_batches) * batch_size, (step % n_batches + 1) * batch_size)
        X_batch, y_batch = X[rows], y[rows]

        fastnn_losses.append(net.forward_backward(X_batch, y_batch))
        net.step()

        for p in model.parameters():
            p.grad = None
        loss = torch_loss(case, model(torch.from_numpy(X_batch)), y_batch)
        loss.backward()
        optimizer.step()
        torch_losses.append(loss.item())
    return np.array(fastnn_losses), np.array(torch_losses), net, model


def weight_pairs(net, model):
    """Yield (name, fastnn array, torch array) for every weight matrix and bias."""
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for l, (W, b, linear) in enumerate(zip(net.coefs, net.intercepts, linears)):
        yield "W%d" % l, W, linear.weight.detach().numpy().T
        yield "b%d" % l, b, linear.bias.detach().numpy()


def describe_difference(name, ours, theirs):
    diff = np.abs(ours.astype(np.float64) - theirs)
    worst = np.unravel_index(diff.argmax(), diff.shape)
    return "%s: max |diff| %.3e at %s (fastnn %.9g, torch %.9g), max |torch| %.3e" % (
        name, diff.max(), worst, ours[worst], theirs[worst], np.abs(theirs).max())


@pytest.fixture(autouse=True, scope="module")
def torch_one_thread():
    # These networks are too small for torch's thread pool to help, and on a
    # 2-core machine its threads compete with fastnn's OpenMP threads.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.mark.parametrize("case", list(CASES))
def test_torch_loss_trajectory(case):
    fastnn_losses, torch_losses, _, _ = train_both(case, "torch")

    # Mini-batches repeat every N_ROWS / batch_size steps: compare the first
    # batch with its last visit.
    period = N_ROWS // CASES[case][3]
    last_visit = (N_STEPS - 1) // period * period
    assert fastnn_losses[last_visit] < fastnn_losses[0], "the loss did not decrease: %s" % (
        fastnn_losses[::period])
    worst = np.argmax(np.abs(fastnn_losses / torch_losses - 1))
    np.testing.assert_allclose(
        fastnn_losses, torch_losses, rtol=1e-4,
        err_msg="%s: worst step %d: fastnn %.9g, torch %.9g"
        % (case, worst, fastnn_losses[worst], torch_losses[worst]),
    )


@pytest.mark.parametrize("case", list(CASES))
def test_torch_weights_tiny_eps(case):
    fastnn_losses, torch_losses, net, model = train_both(case, "torch", TINY_EPSILON)

    np.testing.assert_allclose(fastnn_losses, torch_losses, rtol=1e-4,
                               err_msg="%s: losses with eps = %g" % (case, TINY_EPSILON))
    for name, ours, theirs in weight_pairs(net, model):
        scale = np.abs(theirs).max()
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4 * scale,
                                   err_msg="%s, %s" % (case, describe_difference(name, ours, theirs)))


@pytest.mark.parametrize("case", list(CASES))
def test_torch_weights_same_adam(case):
    # torch gradients with fastnn's (scikit-learn's) Adam: float32 rounding only.
    fastnn_losses, torch_losses, net, model = train_both(case, "sklearn")

    np.testing.assert_allclose(fastnn_losses, torch_losses, rtol=1e-4,
                               err_msg="%s: losses with the same Adam form" % case)
    for name, ours, theirs in weight_pairs(net, model):
        scale = np.abs(theirs).max()
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5 * scale,
                                   err_msg="%s, %s" % (case, describe_difference(name, ours, theirs)))
