"""Parity of MLPClassifier and MLPRegressor with scikit-learn's (version 1.9).

Three kinds of evidence:

- Same steps. Started from the same weights with ``shuffle=False``, fastnn
  and scikit-learn take the same optimizer steps: their loss curves and
  predictions agree to rounding error in float64, for every solver and
  schedule, with and without sample weights.
- Same accuracy. With the same hyperparameters and data, and each library
  drawing its own initial weights and batch order from the same seeds, the
  test accuracy (or R^2) averaged over 3 seeds is within 0.01 of
  scikit-learn's.
- Same tools. ``Pipeline``, ``GridSearchCV``, ``cross_val_score`` and
  ``clone`` work with fastnn's estimators.
"""

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

import sklearn.neural_network as sklearn_nn  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import fastnn  # noqa: E402
from fastnn import MLPClassifier, MLPRegressor  # noqa: E402
from fastnn.datasets import load_breast_cancer, load_digits  # noqa: E402
from fastnn.model_selection import train_test_split  # noqa: E402
from fastnn.preprocessing import StandardScaler  # noqa: E402

# Several cases train for a few epochs on purpose, so both libraries warn.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(autouse=True)
def one_thread():
    """Run fastnn and scikit-learn's BLAS on one thread.

    The results do not depend on the thread count (test_threads.py checks
    fastnn's), and one thread keeps these small problems fast when other
    processes share the CPUs.
    """
    previous = fastnn.get_num_threads()
    fastnn.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        fastnn.set_num_threads(previous)


def _standardize(X_train, X_test):
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test)


# ---- same steps from the same start -----------------------------------------


def _step_data():
    """Return small problems of every kind: (X, y, classifier?, extra parameters)."""
    rng = np.random.default_rng(0)
    digits = load_digits()
    X_digits = digits.data[:400]
    X_digits = (X_digits - X_digits.mean(axis=0)) / np.maximum(X_digits.std(axis=0), 1e-12)
    X = rng.normal(size=(300, 5))
    counts = rng.poisson(np.exp(0.5 * X[:, 0])).astype(np.float64)
    return {
        "multiclass": (X_digits, digits.target[:400], True, {}),
        "binary": (X, (X[:, 0] + X[:, 1] > 0).astype(int), True, {}),
        "multilabel": (X, np.stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0.5], axis=1)
                       .astype(int), True, {}),
        "regression": (X, X[:, 0] - X[:, 1] ** 2 + 0.5 * X[:, 2], False, {}),
        "poisson": (X, counts, False, {"loss": "poisson"}),
    }


STEP_DATA = _step_data()

STEP_SOLVERS = {
    "adam": {"solver": "adam"},
    "sgd-nesterov-invscaling": {"solver": "sgd", "learning_rate": "invscaling",
                                "learning_rate_init": 0.1},
    "sgd-momentum-adaptive": {"solver": "sgd", "learning_rate": "adaptive",
                              "learning_rate_init": 0.01, "nesterovs_momentum": False},
    "sgd-no-momentum": {"solver": "sgd", "momentum": 0.0, "learning_rate_init": 0.05},
    # tol=10 counts every epoch as no improvement, so both libraries stop
    # (adam) or divide the step size by 5 (adaptive) at the same epochs.
    "adam-stops": {"solver": "adam", "tol": 10.0, "n_iter_no_change": 2},
    "sgd-adaptive-lowers-rate": {"solver": "sgd", "learning_rate": "adaptive",
                                 "learning_rate_init": 0.05, "tol": 10.0,
                                 "n_iter_no_change": 1},
    "lbfgs": {"solver": "lbfgs"},
}


def _fit_from_same_start(problem, solver_params, sample_weight=False, dtype=np.float64,
                         epochs=8):
    """Train fastnn and scikit-learn from fastnn's initial weights; return both and X.

    ``problem`` is a value of STEP_DATA. Both libraries first fit one epoch
    with warm_start=True (to build the network), then get the same weights
    and fit ``epochs`` more epochs. Each fit starts a fresh optimizer in
    both libraries.
    """
    X, y, is_classifier, extra = problem
    X = X.astype(dtype)
    weights = None
    if sample_weight:
        weights = np.random.default_rng(1).uniform(0.2, 2.0, size=len(X))
    ours_class, theirs_class = ((MLPClassifier, sklearn_nn.MLPClassifier) if is_classifier
                                else (MLPRegressor, sklearn_nn.MLPRegressor))
    params = dict(hidden_layer_sizes=(16, 8), activation="tanh", alpha=0.01, batch_size=64,
                  shuffle=False, warm_start=True, max_iter=1, random_state=0)
    params.update(extra)
    params.update(solver_params)

    ours = ours_class(**params).fit(X, y, sample_weight=weights)
    theirs = theirs_class(**params).fit(X, y, sample_weight=weights)
    theirs.coefs_ = [coef.copy() for coef in ours.coefs_]
    theirs.intercepts_ = [intercept.copy() for intercept in ours.intercepts_]
    for model in (ours, theirs):
        model.set_params(max_iter=epochs)
        model.fit(X, y, sample_weight=weights)
    return ours, theirs, X


def _outputs(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


@pytest.mark.parametrize("solver", STEP_SOLVERS)
@pytest.mark.parametrize("task", STEP_DATA)
def test_same_steps(task, solver):
    ours, theirs, X = _fit_from_same_start(STEP_DATA[task], STEP_SOLVERS[solver])
    assert ours.n_iter_ == theirs.n_iter_
    if solver == "lbfgs":
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    else:
        # the first epoch ran from each library's own initial weights
        np.testing.assert_allclose(ours.loss_curve_[1:], theirs.loss_curve_[1:], rtol=1e-9)
        assert ours.t_ == theirs.t_
    np.testing.assert_allclose(_outputs(ours, X), _outputs(theirs, X), rtol=1e-9, atol=1e-12)
    for ours_coef, theirs_coef in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(ours_coef, theirs_coef, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("solver", ["adam", "sgd-nesterov-invscaling", "lbfgs"])
@pytest.mark.parametrize("task", ["multiclass", "binary", "regression"])
def test_same_steps_sample_weight(task, solver):
    ours, theirs, X = _fit_from_same_start(STEP_DATA[task], STEP_SOLVERS[solver],
                                           sample_weight=True)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    np.testing.assert_allclose(_outputs(ours, X), _outputs(theirs, X), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_same_steps_float32(task):
    # float32 sums in another order than NumPy, so the two drift apart by
    # rounding error over the epochs.
    ours, theirs, X = _fit_from_same_start(STEP_DATA[task], STEP_SOLVERS["adam"],
                                           dtype=np.float32)
    assert ours.coefs_[0].dtype == theirs.coefs_[0].dtype == np.float32
    np.testing.assert_allclose(ours.loss_curve_[1:], theirs.loss_curve_[1:], rtol=1e-4)
    np.testing.assert_allclose(_outputs(ours, X), _outputs(theirs, X), atol=1e-4)


def test_same_steps_multi_output_regression():
    # NOTE: with several outputs, scikit-learn 1.9 reports loss_ as the mean
    # over outputs of half the squared error, but it follows the gradient of
    # their sum. fastnn reports the sum, the loss that its gradient belongs
    # to. The steps are the same. Only loss_ differs, and with it the epoch
    # at which the tol rule stops training.
    X = STEP_DATA["regression"][0]
    Y = np.stack([X[:, 0] - X[:, 1] ** 2, X[:, 2]], axis=1)
    ours, theirs, X = _fit_from_same_start((X, Y, False, {}), STEP_SOLVERS["adam"])
    assert ours.predict(X).shape == theirs.predict(X).shape == (len(X), 2)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9, atol=1e-12)


# ---- same accuracy from the same seeds --------------------------------------

SEEDS = (0, 1, 2)
MAX_GAP = 0.01


def _classification_split(load, seed):
    data = load()
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=seed, stratify=data.target
    )
    X_train, X_test = _standardize(X_train, X_test)
    return X_train, X_test, y_train, y_test


def _diabetes_split(seed):
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
    X_train, X_test = _standardize(X_train, X_test)
    # scikit-learn's MLP tests scale y to zero mean and unit variance too
    mean, std = y_train.mean(), y_train.std()
    return X_train, X_test, (y_train - mean) / std, (y_test - mean) / std


SPLITS = {
    "breast_cancer": lambda seed: _classification_split(load_breast_cancer, seed),
    "digits": lambda seed: _classification_split(load_digits, seed),
    "diabetes": _diabetes_split,
}


def _mean_scores(dataset, params):
    """Return (fastnn's, scikit-learn's) test scores per seed."""
    is_regression = dataset == "diabetes"
    ours_class = MLPRegressor if is_regression else MLPClassifier
    theirs_class = sklearn_nn.MLPRegressor if is_regression else sklearn_nn.MLPClassifier
    ours, theirs = [], []
    for seed in SEEDS:
        X_train, X_test, y_train, y_test = SPLITS[dataset](seed)
        model = ours_class(random_state=seed, **params).fit(X_train, y_train)
        ours.append(model.score(X_test, y_test))
        reference = theirs_class(random_state=seed, **params).fit(X_train, y_train)
        theirs.append(reference.score(X_test, y_test))
    return np.array(ours), np.array(theirs)


# Mean gap (fastnn - scikit-learn) over seeds 0 to n-1 (n = 8 to 20), with
# its standard error, and the standard deviation of the gap per seed. They
# were measured with the splits and scaling of _mean_scores, scikit-learn
# 1.9.1 and NumPy 2.4 on an x86-64 CPU with AVX2:
#   breast_cancer adam           -0.0028 +- 0.0018 (10 seeds), sd 0.0056
#   digits adam                  -0.0006 +- 0.0022 (8 seeds),  sd 0.0063
#   diabetes adam, alpha=10      +0.0007 +- 0.0007 (10 seeds), sd 0.0021
#   diabetes lbfgs, alpha=10     -0.0011 +- 0.0006 (10 seeds), sd 0.0018
#   diabetes sgd invscaling      -0.0002 +- 0.0008 (10 seeds), sd 0.0024
#   diabetes sgd adaptive        -0.0003 +- 0.0008 (10 seeds), sd 0.0025
#   digits sgd adaptive          -0.0025 +- 0.0016 (16 seeds), sd 0.0064
# Every mean gap is within two standard errors of zero, as test_same_steps
# predicts: the gaps come from the different random draws of the two
# libraries. diabetes uses alpha=10 because with the default alpha=1e-4 the
# test R^2 depends so much on the seed (gap sd 0.024 per seed, mean gap
# +0.0003 +- 0.0053 over 20 seeds) that a mean over 3 seeds cannot resolve
# 0.01. For the same reason the invscaling case runs on diabetes: on digits
# (learning_rate_init=0.1) its gap sd is 0.008 per seed.
ACCURACY_CASES = [
    ("breast_cancer", {}),
    ("digits", {}),
    ("diabetes", {"alpha": 10.0}),
    ("diabetes", {"solver": "lbfgs", "alpha": 10.0}),
    ("diabetes", {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.1,
                  "power_t": 0.25, "alpha": 10.0}),
    ("diabetes", {"solver": "sgd", "learning_rate": "adaptive", "learning_rate_init": 0.01,
                  "alpha": 10.0}),
    ("digits", {"solver": "sgd", "learning_rate": "adaptive", "learning_rate_init": 0.01}),
]


def _case_id(case):
    dataset, params = case
    return "-".join([dataset] + ["%s=%s" % item for item in params.items()])


@pytest.mark.parametrize("dataset, params", ACCURACY_CASES,
                         ids=[_case_id(case) for case in ACCURACY_CASES])
def test_same_accuracy(dataset, params):
    ours, theirs = _mean_scores(dataset, params)
    gap = ours.mean() - theirs.mean()
    assert abs(gap) <= MAX_GAP, (
        "%s %s: fastnn %.4f %s, scikit-learn %.4f %s, gap %+.4f"
        % (dataset, params, ours.mean(), np.round(ours, 4).tolist(), theirs.mean(),
           np.round(theirs, 4).tolist(), gap)
    )


# ---- scikit-learn's tools ----------------------------------------------------


def _blobs(n_rows=240, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n_rows) % 3
    X = 4.0 * np.eye(3, 4)[y] + rng.normal(size=(n_rows, 4))
    return X * 100 + 5, y


def test_pipeline_scales_and_predicts():
    from sklearn.preprocessing import StandardScaler as SklearnScaler

    X, y = _blobs()
    pipeline = make_pipeline(SklearnScaler(), MLPClassifier((16,), max_iter=50,
                                                            learning_rate_init=0.01,
                                                            random_state=0))
    pipeline.fit(X, y)
    assert pipeline.predict(X).shape == (240,)
    assert pipeline.predict_proba(X).shape == (240, 3)
    assert pipeline.score(X, y) > 0.95


def test_grid_search_over_pipeline():
    from sklearn.preprocessing import StandardScaler as SklearnScaler

    X, y = _blobs()
    pipeline = make_pipeline(SklearnScaler(), MLPClassifier(max_iter=50, learning_rate_init=0.01,
                                                            random_state=0))
    grid = {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)],
            "mlpclassifier__alpha": [1e-4, 1.0]}
    search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_.named_steps["mlpclassifier"]
    assert isinstance(best, MLPClassifier)
    assert best.hidden_layer_sizes == search.best_params_["mlpclassifier__hidden_layer_sizes"]
    assert search.score(X, y) > 0.9


def test_grid_search_regressor_refits():
    X, y = _blobs()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    target = X[:, 0] - X[:, 1]
    search = GridSearchCV(MLPRegressor(max_iter=50, random_state=0),
                          {"learning_rate_init": [0.001, 0.01]}, cv=3, scoring="r2")
    search.fit(X, target)
    assert search.best_estimator_.n_features_in_ == 4
    assert search.best_score_ > 0.5


@pytest.mark.parametrize("scoring", ["accuracy", "neg_log_loss", "f1_macro"])
def test_cross_val_score_scorings(scoring):
    X, y = _blobs(n_rows=180)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    scores = cross_val_score(MLPClassifier((16,), max_iter=50, learning_rate_init=0.01,
                                           random_state=0), X, y, cv=3, scoring=scoring)
    assert scores.shape == (3,)
    assert np.isfinite(scores).all()


def test_clone_fitted_gives_unfitted_copy():
    X, y = _blobs()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    fitted = MLPClassifier((8,), max_iter=5, alpha=0.01, random_state=0).fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "classes_")
    assert not hasattr(copy, "coefs_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copy.fit(X, y)
    np.testing.assert_array_equal(copy.predict_proba(X), fitted.predict_proba(X))
