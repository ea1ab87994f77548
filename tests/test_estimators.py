"""MLPClassifier and MLPRegressor: targets, outputs, training options, scikit-learn interplay."""

import pickle
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import MLPClassifier, MLPRegressor
from fastnn._estimators import ConvergenceWarning


# Most tests train for only a few epochs on purpose. The ConvergenceWarning
# tests record warnings with pytest.warns or turn them into errors themselves.
pytestmark = pytest.mark.filterwarnings("ignore::fastnn._estimators.ConvergenceWarning")


def _blobs(n_rows=240, n_classes=2, n_features=4, seed=0, dtype=np.float64):
    """Gaussian clusters of unit variance around centers 4 apart on separate axes.

    Returns (X, integer labels 0..n_classes-1).
    """
    rng = np.random.default_rng(seed)
    centers = 4.0 * np.eye(n_classes, n_features)
    y = np.arange(n_rows) % n_classes
    X = centers[y] + rng.normal(size=(n_rows, n_features))
    return X.astype(dtype), y


def _fast_classifier(**params):
    """A small classifier with a step size that fits the clusters within 50 epochs."""
    settings = {"hidden_layer_sizes": (16,), "max_iter": 50, "learning_rate_init": 0.01,
                "random_state": 0}
    settings.update(params)
    return MLPClassifier(**settings)


def _regression(n_rows=300, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_rows, 3)).astype(dtype)
    y = X[:, 0] - 2 * X[:, 1] ** 2 + 0.5 * X[:, 2]
    return X, y


# ---- classification ---------------------------------------------------------


def test_binary_int_labels():
    X, y = _blobs()
    clf = _fast_classifier().fit(X, y)
    proba = clf.predict_proba(X)
    assert np.array_equal(clf.classes_, [0, 1])
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 1
    assert clf.n_layers_ == 3
    assert clf.n_features_in_ == 4
    assert proba.shape == (240, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert set(np.unique(clf.predict(X))) <= {0, 1}
    assert clf.score(X, y) > 0.95


def test_binary_string_labels():
    X, y = _blobs()
    labels = np.array(["no", "yes"])[y]
    clf = _fast_classifier().fit(X, labels)
    predicted = clf.predict(X)
    assert np.array_equal(clf.classes_, ["no", "yes"])
    assert predicted.dtype.kind == "U"
    assert set(predicted) <= {"no", "yes"}
    assert np.mean(predicted == labels) > 0.95
    assert np.array_equal(predicted, np.array(["no", "yes"])[clf.predict_proba(X).argmax(axis=1)])


def test_binary_list_labels():
    X, y = _blobs()
    labels = ["b" if v else "a" for v in y]
    clf = _fast_classifier().fit(X.tolist(), labels)
    assert np.array_equal(clf.classes_, ["a", "b"])
    assert clf.score(X, labels) > 0.95


def test_multiclass():
    X, y = _blobs(n_rows=300, n_classes=3)
    clf = _fast_classifier().fit(X, y)
    proba = clf.predict_proba(X)
    assert clf.out_activation_ == "softmax"
    assert clf.n_outputs_ == 3
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert (proba >= 0).all()
    assert np.array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) > 0.95


def test_multiclass_string_labels():
    X, y = _blobs(n_rows=300, n_classes=3)
    names = np.array(["red", "green", "blue"])[y]
    clf = _fast_classifier().fit(X, names)
    assert np.array_equal(clf.classes_, ["blue", "green", "red"])
    assert np.mean(clf.predict(X) == names) > 0.95


def test_multilabel():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0], axis=1).astype(np.int64)
    clf = _fast_classifier(hidden_layer_sizes=(32,), max_iter=100).fit(X, Y)
    predicted = clf.predict(X)
    proba = clf.predict_proba(X)
    assert np.array_equal(clf.classes_, [0, 1, 2])
    assert clf.out_activation_ == "logistic"
    assert predicted.shape == (300, 3)
    assert set(np.unique(predicted)) <= {0, 1}
    assert proba.shape == (300, 3)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert np.array_equal(predicted, (proba >= 0.5).astype(np.int64))
    subset_accuracy = np.mean((predicted == Y).all(axis=1))
    assert clf.score(X, Y) == pytest.approx(subset_accuracy)
    assert subset_accuracy > 0.85


def test_predict_log_proba():
    X, y = _blobs(n_classes=3)
    clf = MLPClassifier((16,), max_iter=20, random_state=0).fit(X, y)
    with np.errstate(divide="ignore"):
        expected = np.log(clf.predict_proba(X))
    np.testing.assert_allclose(clf.predict_log_proba(X), expected)


def test_score_accuracy():
    X, y = _blobs(n_classes=3, n_features=2, seed=3)
    clf = MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y))


def test_score_sample_weight():
    X, y = _blobs(n_classes=3, n_features=2, seed=3)
    clf = MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    weights = np.linspace(0.1, 2.0, len(y))
    expected = np.sum(weights * (clf.predict(X) == y)) / weights.sum()
    assert clf.score(X, y, sample_weight=weights) == pytest.approx(expected)


def test_sample_weight_zero_rows_ignored():
    X, y = _blobs()
    flipped = 1 - y
    # Every row appears twice: once with its label, weight 1, once with the
    # flipped label, weight 0. The zero-weight copies must not be learned.
    X_both = np.vstack([X, X])
    y_both = np.concatenate([y, flipped])
    weights = np.concatenate([np.ones(len(y)), np.zeros(len(y))])
    clf = _fast_classifier().fit(X_both, y_both,
                                                                 sample_weight=weights)
    assert clf.score(X, y) > 0.95


# ---- regression -------------------------------------------------------------


def test_regressor_1d():
    X, y = _regression()
    reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, y)
    predicted = reg.predict(X)
    assert reg.out_activation_ == "identity"
    assert reg.n_outputs_ == 1
    assert predicted.shape == (300,)
    assert reg.score(X, y) > 0.9


def test_regressor_2d():
    X, y = _regression()
    Y = np.stack([y, X[:, 0] + X[:, 2]], axis=1)
    reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, Y)
    predicted = reg.predict(X)
    assert reg.n_outputs_ == 2
    assert predicted.shape == (300, 2)
    assert reg.score(X, Y) > 0.9


def test_regressor_column_y():
    X, y = _regression(n_rows=100)
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y.reshape(-1, 1))
    assert reg.predict(X).shape == (100, 1)


def test_regressor_score_r2():
    X, y = _regression(n_rows=100)
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    residual = np.sum((y - reg.predict(X)) ** 2)
    total = np.sum((y - y.mean()) ** 2)
    assert reg.score(X, y) == pytest.approx(1 - residual / total)


# ---- dtypes -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_classifier_dtype(dtype):
    X, y = _blobs(dtype=dtype)
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    for coef, intercept in zip(clf.coefs_, clf.intercepts_):
        assert coef.dtype == dtype
        assert intercept.dtype == dtype
    assert clf.predict_proba(X).dtype == dtype
    assert clf.predict_log_proba(X).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multiclass_dtype(dtype):
    X, y = _blobs(n_classes=3, dtype=dtype)
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    assert clf.coefs_[0].dtype == dtype
    assert clf.predict_proba(X).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regressor_dtype(dtype):
    X, y = _regression(n_rows=100, dtype=dtype)
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    assert reg.coefs_[0].dtype == dtype
    assert reg.predict(X).dtype == dtype


def test_integer_X_trains_float64():
    X, y = _blobs()
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(np.round(X).astype(np.int32), y)
    assert clf.coefs_[0].dtype == np.float64


def test_float32_model_predicts_float64_X():
    X, y = _blobs(dtype=np.float32)
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    assert clf.predict_proba(X.astype(np.float64)).dtype == np.float32


# ---- parameters -------------------------------------------------------------


def test_get_set_params():
    clf = MLPClassifier(hidden_layer_sizes=(8, 4), alpha=0.01, solver="sgd", random_state=3)
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == (8, 4)
    assert params["alpha"] == 0.01
    assert params["solver"] == "sgd"
    assert params["random_state"] == 3
    assert MLPClassifier(**params).get_params() == params

    returned = clf.set_params(alpha=0.5, max_iter=7)
    assert returned is clf
    assert clf.alpha == 0.5
    assert clf.max_iter == 7
    assert clf.get_params()["alpha"] == 0.5


def test_set_params_invalid_name():
    with pytest.raises(ValueError, match=r"invalid parameter 'bogus' for MLPRegressor; valid "
                                         r"parameters are: .*hidden_layer_sizes"):
        MLPRegressor().set_params(bogus=1)


def test_repr_shows_changed_params():
    text = repr(MLPClassifier(hidden_layer_sizes=(8,), alpha=0.5))
    assert text.startswith("MLPClassifier(")
    assert "alpha=0.5" in text
    assert "hidden_layer_sizes=(8,)" in text
    assert "max_iter" not in text


def test_params_match_sklearn():
    sklearn_neural = pytest.importorskip("sklearn.neural_network")
    for ours, theirs in ((MLPClassifier, sklearn_neural.MLPClassifier),
                         (MLPRegressor, sklearn_neural.MLPRegressor)):
        ours_params = ours().get_params()
        theirs_params = theirs().get_params()
        assert set(ours_params) <= set(theirs_params)
        for name, value in ours_params.items():
            assert value == theirs_params[name], name


def test_clone_unfitted():
    sklearn_base = pytest.importorskip("sklearn.base")
    X, y = _blobs()
    clf = MLPClassifier((8,), max_iter=5, alpha=0.01, random_state=0).fit(X, y)
    copy = sklearn_base.clone(clf)
    assert copy is not clf
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "coefs_")
    assert not hasattr(copy, "classes_")
    assert not hasattr(copy, "n_iter_")
    assert np.array_equal(copy.fit(X, y).predict_proba(X), clf.predict_proba(X))


def test_sklearn_pipeline():
    pytest.importorskip("sklearn")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _blobs()
    pipeline = make_pipeline(StandardScaler(), _fast_classifier())
    pipeline.fit(X * 100 + 5, y)
    assert pipeline.predict(X * 100 + 5).shape == (240,)
    assert pipeline.score(X * 100 + 5, y) > 0.95


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_sklearn_type_checks(cls):
    sklearn_base = pytest.importorskip("sklearn.base")
    assert sklearn_base.is_classifier(cls()) is (cls is MLPClassifier)
    assert sklearn_base.is_regressor(cls()) is (cls is MLPRegressor)


def test_cross_val_score_classifier():
    pytest.importorskip("sklearn")
    from sklearn.model_selection import cross_val_score

    X, y = _blobs(n_rows=180, n_classes=3)
    scores = cross_val_score(_fast_classifier(), X, y, cv=3)
    assert scores.shape == (3,)
    assert (scores > 0.9).all()


def test_cross_val_score_regressor():
    pytest.importorskip("sklearn")
    from sklearn.model_selection import cross_val_score

    X, y = _regression()
    scores = cross_val_score(MLPRegressor(hidden_layer_sizes=(32,), max_iter=200, random_state=0), X, y, cv=3)
    assert scores.shape == (3,)
    # scikit-learn's MLPRegressor with these settings scores R^2 0.63-0.69 here
    assert (scores > 0.6).all()


# ---- pickle -----------------------------------------------------------------


def test_pickle_classifier():
    X, y = _blobs(n_classes=3)
    labels = np.array(["a", "b", "c"])[y]
    clf = MLPClassifier((8,), max_iter=10, random_state=0).fit(X, labels)
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.predict(X), clf.predict(X))
    assert np.array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert np.array_equal(restored.classes_, clf.classes_)
    assert restored.loss_curve_ == clf.loss_curve_


def test_pickle_regressor_keeps_training():
    X, y = _regression(n_rows=100)
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, warm_start=True, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(reg))
    assert np.array_equal(restored.predict(X), reg.predict(X))
    restored.fit(X, y)
    reg.fit(X, y)
    assert restored.n_iter_ == 10
    assert np.array_equal(restored.predict(X), reg.predict(X))


# ---- training control -------------------------------------------------------


def test_convergence_warning():
    X, y = _blobs()
    with pytest.warns(ConvergenceWarning, match=r"maximum iterations \(3\) reached"):
        clf = MLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    assert clf.n_iter_ == 3
    assert issubclass(ConvergenceWarning, UserWarning)


def test_no_warning_when_converged():
    X, y = _blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = MLPClassifier((8,), max_iter=500, tol=0.1, n_iter_no_change=2,
                            random_state=0).fit(X, y)
    assert clf.n_iter_ < 500


def test_loss_attributes():
    X, y = _blobs()
    clf = MLPClassifier((8,), max_iter=10, random_state=0).fit(X, y)
    assert len(clf.loss_curve_) == clf.n_iter_ == 10
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.t_ == 10 * len(y)


def test_warm_start_continues():
    X, y = _blobs(n_classes=3)
    clf = MLPClassifier((16,), max_iter=5, warm_start=True, random_state=0).fit(X, y)
    first_curve = list(clf.loss_curve_)
    clf.fit(X, y)
    assert clf.n_iter_ == 10
    assert len(clf.loss_curve_) == 10
    assert clf.loss_curve_[:5] == first_curve
    assert clf.loss_curve_[5] < first_curve[0]
    assert clf.loss_curve_[-1] < first_curve[-1]


def test_no_warm_start_restarts():
    X, y = _blobs(n_classes=3)
    clf = MLPClassifier((16,), max_iter=5, random_state=0).fit(X, y)
    first_curve = list(clf.loss_curve_)
    clf.fit(X, y)
    assert clf.n_iter_ == 5
    assert clf.loss_curve_ == first_curve


def test_warm_start_new_classes():
    X, y = _blobs(n_classes=2)
    clf = MLPClassifier((8,), max_iter=3, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"warm_start can only be used where y has the same "
                                         r"classes.*the model has .*0.*1.*, y has .*0.*1.*2.*; "
                                         r"set warm_start=False"):
        clf.fit(X, y + (np.arange(len(y)) % 3 == 0))
    assert np.array_equal(clf.classes_, [0, 1])
    assert clf.n_iter_ == 3


def test_warm_start_new_width():
    X, y = _blobs(n_classes=2)
    clf = MLPClassifier((8,), max_iter=3, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"warm_start=True needs the same architecture and data "
                                         r"width: .*\(4, 8, 1\).*\(3, 8, 1\)"):
        clf.fit(X[:, :3], y)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_early_stopping_restores_best(cls):
    if cls is MLPClassifier:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(300, 5))
        y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=300) > 0).astype(np.int64)
    else:
        X, y = _regression()
    estimator = cls(hidden_layer_sizes=(32,), early_stopping=True, n_iter_no_change=5, max_iter=200,
                    learning_rate_init=0.01, random_state=0)
    # Record the held-out rows that fit scores, to score the final model on them.
    held_out = {}
    original = estimator._validation_score

    def recording_score(X_val, Y_val):
        held_out["X"], held_out["Y"] = X_val, Y_val
        return original(X_val, Y_val)

    estimator._validation_score = recording_score
    estimator.fit(X, y)

    scores = estimator.validation_scores_
    assert len(scores) == estimator.n_iter_
    assert estimator.n_iter_ < 200
    assert estimator.best_validation_score_ == max(scores)
    assert held_out["X"].shape[0] == round(0.1 * len(y))
    assert original(held_out["X"], held_out["Y"]) == estimator.best_validation_score_


def test_no_early_stopping_no_scores():
    X, y = _blobs()
    clf = MLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    assert clf.validation_scores_ is None
    assert clf.best_validation_score_ is None


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive"])
def test_sgd_schedules(schedule):
    X, y = _blobs(n_classes=3)
    clf = MLPClassifier((16,), solver="sgd", learning_rate=schedule, learning_rate_init=0.05,
                        max_iter=30, random_state=0).fit(X, y)
    assert clf.n_iter_ >= 1
    assert np.isfinite(clf.loss_curve_).all()
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(X, y) > 0.9


def test_adaptive_lowers_rate(capsys):
    X, y = _blobs()
    # tol=10 makes every epoch count as "no improvement", so after
    # n_iter_no_change + 1 such epochs the adaptive schedule divides the rate by 5.
    MLPClassifier((8,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.01,
                  tol=10.0, n_iter_no_change=2, max_iter=8, verbose=True,
                  random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "Setting learning rate to 0.002000" in out
    assert "Setting learning rate to 0.000400" in out


def test_invscaling_differs_from_constant():
    X, y = _blobs()
    curves = {}
    for schedule in ("constant", "invscaling"):
        clf = MLPClassifier((8,), solver="sgd", learning_rate=schedule, learning_rate_init=0.05,
                            max_iter=5, random_state=0).fit(X, y)
        curves[schedule] = clf.loss_curve_
    assert curves["constant"][0] == curves["invscaling"][0]
    assert curves["constant"][1:] != curves["invscaling"][1:]


def test_verbose_one_line_per_epoch(capsys):
    X, y = _blobs()
    clf = MLPClassifier((8,), max_iter=4, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == clf.n_iter_ == 4
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith("epoch %d/4" % epoch)
        assert "loss" in line


def test_quiet_by_default(capsys):
    X, y = _blobs()
    MLPClassifier((8,), max_iter=4, random_state=0).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_same_seed_same_model():
    X, y = _blobs()
    first = MLPClassifier((8,), max_iter=5, random_state=7).fit(X, y)
    second = MLPClassifier((8,), max_iter=5, random_state=7).fit(X, y)
    assert np.array_equal(first.predict_proba(X), second.predict_proba(X))


# ---- accuracy parity with scikit-learn --------------------------------------


def _load_shipped(name):
    from fastnn.datasets import load_dataset

    dataset = load_dataset(name)
    return dataset.data, dataset.target


@pytest.mark.parametrize("dataset", ["breast_cancer", "digits"])
def test_sklearn_accuracy_parity(dataset):
    pytest.importorskip("sklearn")
    from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
    from threadpoolctl import threadpool_limits

    from fastnn.model_selection import train_test_split
    from fastnn.preprocessing import StandardScaler

    X, y = _load_shipped(dataset)
    # Results do not depend on the thread count, as test_threads.py checks.
    # One thread keeps this test fast when other processes share the CPUs.
    previous_threads = fastnn.get_num_threads()
    fastnn.set_num_threads(1)
    ours, theirs = [], []
    for seed in range(3):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=y
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

        ours.append(MLPClassifier(random_state=seed).fit(X_train, y_train).score(X_test, y_test))
        # One BLAS thread: these matrices are small, so more threads only add overhead.
        with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = SklearnMLPClassifier(random_state=seed).fit(X_train, y_train)
        theirs.append(reference.score(X_test, y_test))
    fastnn.set_num_threads(previous_threads)

    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.02, (ours, theirs)
