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
    assert np.array_equal(predicted, (proba > 0.5).astype(np.int64))
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
    # As in scikit-learn, a (n, 1) y trains one output and predict returns 1-D.
    X, y = _regression(n_rows=100)
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y.reshape(-1, 1))
    reference = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    assert reg.n_outputs_ == 1
    assert reg.predict(X).shape == (100,)
    assert np.array_equal(reg.predict(X), reference.predict(X))


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


EXTRA_DEFAULTS = {
    "MLPClassifier": {"weight_decay": 0.0, "n_threads": None, "callbacks": None,
                      "scoring": None, "dropout": None, "class_weight": None},
    "MLPRegressor": {"weight_decay": 0.0, "n_threads": None, "callbacks": None,
                     "scoring": None, "dropout": None},
}


def test_params_match_sklearn():
    sklearn_neural = pytest.importorskip("sklearn.neural_network")
    for ours, theirs in ((MLPClassifier, sklearn_neural.MLPClassifier),
                         (MLPRegressor, sklearn_neural.MLPRegressor)):
        ours_params = ours().get_params()
        theirs_params = theirs().get_params()
        # every scikit-learn parameter exists here with the same default
        assert set(theirs_params) <= set(ours_params)
        for name, value in theirs_params.items():
            assert ours_params[name] == value, name
        # the parameters scikit-learn lacks default to its behaviour
        extras = {name: ours_params[name] for name in set(ours_params) - set(theirs_params)}
        assert extras == EXTRA_DEFAULTS[ours.__name__]


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
    assert restored.n_iter_ == 5
    assert len(restored.loss_curve_) == 10
    assert restored.loss_curve_ == reg.loss_curve_
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
    # as in scikit-learn, n_iter_ counts the epochs of the last fit and
    # loss_curve_ all of them
    assert clf.n_iter_ == 5
    assert clf.t_ == 10 * len(y)
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
    with pytest.raises(ValueError, match=r"X has 3 features, but MLPClassifier is expecting 4 "
                                         r"features as input"):
        clf.fit(X[:, :3], y)
    assert clf.n_features_in_ == 4


def test_warm_start_new_hidden_sizes():
    X, y = _blobs(n_classes=2)
    clf = MLPClassifier((8,), max_iter=3, warm_start=True, random_state=0).fit(X, y)
    clf.set_params(hidden_layer_sizes=(6,))
    with pytest.raises(ValueError, match=r"it has layer sizes \(4, 8, 1\), but "
                                         r"hidden_layer_sizes=\(6,\) .*give \(4, 6, 1\); "
                                         r"set warm_start=False"):
        clf.fit(X, y)


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

    def recording_score(X_val, Y_val, w_val):
        held_out["X"], held_out["Y"], held_out["w"] = X_val, Y_val, w_val
        return original(X_val, Y_val, w_val)

    estimator._validation_score = recording_score
    estimator.fit(X, y)

    scores = estimator.validation_scores_
    assert len(scores) == estimator.n_iter_
    assert estimator.n_iter_ < 200
    assert estimator.best_validation_score_ == max(scores)
    assert held_out["X"].shape[0] == round(0.1 * len(y))
    assert original(held_out["X"], held_out["Y"], None) == estimator.best_validation_score_


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


def test_convergence_warning_lbfgs():
    X, y = _blobs(n_classes=3)
    with pytest.warns(ConvergenceWarning, match=r"lbfgs failed to converge after 2 iterations"):
        clf = MLPClassifier((8,), solver="lbfgs", max_iter=2, random_state=0).fit(X, y)
    assert clf.n_iter_ == 2


def test_n_iter_no_change_inf_runs_max_iter():
    X, y = _blobs()
    clf = MLPClassifier((8,), max_iter=6, tol=10.0, n_iter_no_change=np.inf,
                        random_state=0).fit(X, y)
    assert clf.n_iter_ == 6


def test_batch_size_above_rows_warns():
    X, y = _blobs(n_rows=50)
    with pytest.warns(UserWarning, match=r"batch_size=64 is larger than the 50 training rows"):
        clf = MLPClassifier((8,), batch_size=64, max_iter=2, random_state=0).fit(X, y)
    assert clf.t_ == 100


# ---- early stopping ---------------------------------------------------------


def _record_validation(estimator):
    """Wrap the validation scorer of estimator; return the dict it fills."""
    seen = {}
    original = estimator._validation_score

    def recording_score(X_val, Y_val, w_val):
        seen["X"], seen["Y"], seen["w"] = X_val, Y_val, w_val
        return original(X_val, Y_val, w_val)

    estimator._validation_score = recording_score
    return seen


def test_early_stopping_split_is_stratified():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [150, 40, 10])
    X = 2.0 * np.eye(3, 4)[y] + rng.normal(size=(200, 4))
    clf = MLPClassifier((8,), early_stopping=True, validation_fraction=0.2, max_iter=3,
                        random_state=0)
    seen = _record_validation(clf)
    clf.fit(X, y)
    counts = np.bincount(seen["Y"].argmax(axis=1), minlength=3)
    assert counts.tolist() == [30, 8, 2]


def test_early_stopping_warm_start_same_rows():
    X, y = _blobs(n_classes=3)
    clf = MLPClassifier((8,), early_stopping=True, warm_start=True, max_iter=2, random_state=0)
    seen = _record_validation(clf)
    clf.fit(X, y)
    first_rows = seen["X"].copy()
    clf.fit(X, y)
    np.testing.assert_array_equal(seen["X"], first_rows)
    assert len(clf.validation_scores_) == 4


def test_early_stopping_weighted_validation_score():
    X, y = _regression()
    weights = np.linspace(0.5, 1.5, len(y))
    reg = MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True, max_iter=3, random_state=0)
    seen = _record_validation(reg)
    reg.fit(X, y, sample_weight=weights)
    assert seen["w"] is not None
    assert seen["w"].shape == (30,)
    assert set(np.round(seen["w"], 12)) <= set(np.round(weights, 12))


def test_early_stopping_validation_set_too_small():
    X, y = _blobs(n_rows=12)
    clf = MLPClassifier((4,), early_stopping=True, validation_fraction=0.05, random_state=0)
    with pytest.raises(ValueError, match=r"The validation set is too small: "
                                         r"validation_fraction=0\.05 of 12 rows gives 1 "
                                         r"validation row\(s\)"):
        clf.fit(X, y)


def test_early_stopping_rare_class():
    X, y = _blobs(n_rows=60)
    y = y.copy()
    y[0] = 5
    clf = MLPClassifier((4,), early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match=r"early_stopping=True could not hold out a stratified "
                                         r"validation set of 6 rows.*only 1 member"):
        clf.fit(X, y)


def test_early_stopping_best_weights_after_stop():
    X, y = _regression()
    reg = MLPRegressor(hidden_layer_sizes=(32,), early_stopping=True, n_iter_no_change=3,
                       learning_rate_init=0.05, max_iter=200, random_state=0)
    seen = _record_validation(reg)
    reg.fit(X, y)
    assert reg.n_iter_ < 200
    assert int(np.argmax(reg.validation_scores_)) < reg.n_iter_ - 1
    del reg._validation_score  # back to the method of the class
    assert reg._validation_score(seen["X"], seen["Y"], None) == reg.best_validation_score_


def test_warnings_point_at_caller():
    X, y = _blobs()
    with pytest.warns(ConvergenceWarning) as records:
        MLPClassifier((4,), max_iter=1, random_state=0).fit(X, y)
    assert records[0].filename == __file__


# ---- partial_fit ------------------------------------------------------------


def test_partial_fit_needs_classes_first():
    X, y = _blobs()
    clf = MLPClassifier((8,), random_state=0)
    with pytest.raises(ValueError, match=r"classes must be passed on the first call to "
                                         r"partial_fit"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "classes_")
    assert not hasattr(clf, "n_iter_")


def test_partial_fit_classes_absent_from_batch():
    X, y = _blobs(n_classes=3)
    clf = MLPClassifier((8,), random_state=0)
    first = y < 2
    clf.partial_fit(X[first], y[first], classes=[0, 1, 2])
    assert np.array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (len(y), 3)
    clf.partial_fit(X, y)
    assert clf.predict_proba(X).shape == (len(y), 3)


def test_partial_fit_other_classes_rejected():
    X, y = _blobs(n_classes=3)
    clf = MLPClassifier((8,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2, 3\] is not the same as on the "
                                         r"first call to partial_fit \(\[0, 1, 2\]\)"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"y has classes not in classes_ \[0, 1, 2\]: \[7\]"):
        clf.partial_fit(X, np.where(y == 2, 7, y))


def test_partial_fit_new_feature_count():
    X, y = _blobs()
    clf = MLPClassifier((8,), random_state=0).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"X has 3 features, but MLPClassifier is expecting 4 "
                                         r"features as input"):
        clf.partial_fit(X[:, :3], y)


def test_partial_fit_counts_one_epoch():
    X, y = _blobs()
    clf = MLPClassifier((8,), random_state=0)
    for call in range(1, 4):
        clf.partial_fit(X, y, classes=[0, 1])
        assert clf.n_iter_ == 1
        assert clf.t_ == call * len(y)
        assert len(clf.loss_curve_) == call


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_epochs_match_fit(solver):
    # With shuffle=False, n partial_fit calls take the steps of one fit over
    # n epochs: both keep one optimizer throughout.
    X, y = _blobs(n_classes=3)
    params = {"hidden_layer_sizes": (8,), "solver": solver, "shuffle": False, "random_state": 0}
    fitted = MLPClassifier(max_iter=4, **params).fit(X, y)
    stepped = MLPClassifier(**params)
    for _ in range(4):
        stepped.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_allclose(stepped.loss_curve_, fitted.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(stepped.predict_proba(X), fitted.predict_proba(X), rtol=1e-12)


def test_partial_fit_rejects_early_stopping():
    X, y = _blobs()
    clf = MLPClassifier((8,), early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match=r"partial_fit does not support early_stopping=True"):
        clf.partial_fit(X, y, classes=[0, 1])


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_partial_fit_absent_for_lbfgs(cls):
    estimator = cls(solver="lbfgs")
    assert not hasattr(estimator, "partial_fit")
    with pytest.raises(AttributeError, match=r"partial_fit is only available for stochastic "
                                             r"optimizers .*solver='lbfgs' is not stochastic"):
        estimator.partial_fit
    assert hasattr(cls(solver="sgd"), "partial_fit")
    assert "partial_fit" in dir(cls)


def test_partial_fit_multilabel():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0], axis=1).astype(int)
    clf = MLPClassifier((8,), random_state=0)
    clf.partial_fit(X, Y, classes=[0, 1])
    clf.partial_fit(X, Y)
    assert np.array_equal(clf.classes_, [0, 1])
    assert clf.predict(X).shape == (200, 2)
    with pytest.raises(ValueError, match=r"y contains class labels, but the model was fitted on a "
                                         r"multilabel indicator matrix of 2 columns"):
        clf.partial_fit(X, Y[:, 0])


def test_partial_fit_regressor():
    X, y = _regression()
    reg = MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    for _ in range(30):
        reg.partial_fit(X, y)
    assert reg.t_ == 30 * len(y)
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]
    with pytest.raises(ValueError, match=r"y has 2 output\(s\), but the model was fitted with 1"):
        reg.partial_fit(X, np.stack([y, y], axis=1))


def test_warm_start_labels_after_multilabel():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0], axis=1).astype(int)
    clf = MLPClassifier((8,), warm_start=True, max_iter=2, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match=r"y contains class labels, but the model was fitted on a "
                                         r"multilabel indicator matrix"):
        clf.fit(X, Y[:, 0])


# ---- float32 end to end -----------------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_stays_float32(solver):
    X, y = _blobs(dtype=np.float32)
    weights = np.linspace(0.5, 1.5, len(y))  # float64 weights do not promote the model
    clf = MLPClassifier((8,), solver=solver, max_iter=5, random_state=0)
    clf.fit(X, y, sample_weight=weights)
    assert all(coef.dtype == np.float32 for coef in clf.coefs_)
    assert all(intercept.dtype == np.float32 for intercept in clf.intercepts_)
    assert clf.predict_proba(X).dtype == np.float32
    assert clf.predict_log_proba(X).dtype == np.float32

    X_reg, y_reg = _regression(n_rows=100, dtype=np.float32)
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver=solver, max_iter=5, random_state=0)
    reg.fit(X_reg, np.stack([y_reg, 2 * y_reg], axis=1))
    assert reg.coefs_[0].dtype == np.float32
    assert reg.predict(X_reg).dtype == np.float32


def test_float32_warm_start_keeps_dtype():
    X, y = _blobs(dtype=np.float32)
    clf = MLPClassifier((8,), warm_start=True, max_iter=3, random_state=0).fit(X, y)
    clf.fit(X.astype(np.float64), y)
    assert clf.coefs_[0].dtype == np.float32
    clf.partial_fit(X.astype(np.float64), y)
    assert clf.predict_proba(X).dtype == np.float32


# ---- other inputs -----------------------------------------------------------


def _readonly_memmap(array, path):
    np.save(path, array)
    return np.load(path, mmap_mode="r")


def test_fit_readonly_memmap(tmp_path):
    X, y = _blobs()
    X_map = _readonly_memmap(X, tmp_path / "X.npy")
    weights = _readonly_memmap(np.ones(len(y)), tmp_path / "w.npy")
    assert not X_map.flags.writeable
    clf = _fast_classifier().fit(X_map, y, sample_weight=weights)
    reference = _fast_classifier().fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X_map), reference.predict_proba(X))

    X_reg, y_reg = _regression()
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    reg.fit(_readonly_memmap(X_reg, tmp_path / "Xr.npy"), _readonly_memmap(y_reg, tmp_path / "y.npy"))
    reg.partial_fit(_readonly_memmap(X_reg, tmp_path / "Xr.npy"), y_reg)
    assert reg.n_features_in_ == 3


def test_unpickled_from_readonly_memmap(tmp_path):
    joblib = pytest.importorskip("joblib")
    X, y = _blobs(n_classes=3)
    clf = MLPClassifier((8,), max_iter=5, warm_start=True, random_state=0).fit(X, y)
    joblib.dump(clf, tmp_path / "model.joblib")
    restored = joblib.load(tmp_path / "model.joblib", mmap_mode="r")
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    restored.fit(X, y)
    clf.fit(X, y)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_scalar_sample_weight():
    X, y = _regression(n_rows=100)
    params = {"hidden_layer_sizes": (8,), "alpha": 0.0, "max_iter": 5, "random_state": 0}
    weighted = MLPRegressor(**params).fit(X, y, sample_weight=3.0)
    plain = MLPRegressor(**params).fit(X, y)
    np.testing.assert_allclose(weighted.predict(X), plain.predict(X), rtol=1e-10, atol=1e-12)


def test_random_state_randomstate_and_generator():
    X, y = _blobs()
    first = MLPClassifier((8,), max_iter=3, random_state=np.random.RandomState(5)).fit(X, y)
    second = MLPClassifier((8,), max_iter=3, random_state=np.random.RandomState(5)).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    generator = np.random.default_rng(5)
    MLPClassifier((8,), max_iter=3, random_state=generator).fit(X, y)


def test_no_hidden_layer():
    X, y = _blobs()
    clf = MLPClassifier(hidden_layer_sizes=(), max_iter=50, learning_rate_init=0.05,
                        random_state=0).fit(X, y)
    assert clf.n_layers_ == 2
    assert [coef.shape for coef in clf.coefs_] == [(4, 1)]
    assert clf.score(X, y) > 0.95


def test_sparse_input_rejected():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _blobs()
    with pytest.raises(TypeError, match=r"X is a sparse matrix \(csr_matrix\), but fastnn needs "
                                        r"dense data; convert it with X\.toarray\(\)"):
        MLPClassifier((4,), max_iter=1).fit(sparse.csr_matrix(X), y)


@pytest.mark.parametrize("cls, what", [(MLPClassifier, "class labels"),
                                       (MLPRegressor, "target values")])
def test_y_none(cls, what):
    X, _ = _blobs()
    with pytest.raises(ValueError, match=r"%s requires y to be passed, but the target y is "
                                         r"None; pass the %s" % (cls.__name__, what)):
        cls(max_iter=1).fit(X, None)


# ---- coefs_ and intercepts_ -------------------------------------------------


def test_assign_coefs_changes_model():
    X, y = _blobs()
    clf = _fast_classifier().fit(X, y)
    clf.coefs_[1] = np.zeros_like(clf.coefs_[1])
    clf.intercepts_[1] = np.array([0.0])
    np.testing.assert_allclose(clf.predict_proba(X), 0.5)

    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(*_regression())
    reg.coefs_ = [np.zeros((3, 4)), np.ones((4, 1))]
    reg.intercepts_ = [np.ones(4), np.full(1, 2.0)]
    # relu(0 + 1) summed over 4 units, plus 2
    np.testing.assert_allclose(reg.predict(np.zeros((2, 3))), 6.0)


def test_assign_coefs_wrong_shape():
    clf = _fast_classifier().fit(*_blobs())
    with pytest.raises(ValueError, match=r"layer 0 has shape \(4, 16\), but the new array has "
                                         r"shape \(3, 16\)"):
        clf.coefs_[0] = np.zeros((3, 16))
    with pytest.raises(ValueError, match=r"coefs_ needs 2 arrays, one per layer, got 1"):
        clf.coefs_ = [np.zeros((4, 16))]


# ---- feature names ----------------------------------------------------------


def _frame(X, names):
    pandas = pytest.importorskip("pandas")
    return pandas.DataFrame(X, columns=names)


NAMES = ["age", "height", "weight", "score"]


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_feature_names_recorded(cls):
    X, y = _blobs()
    estimator = cls(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    estimator.fit(_frame(X, NAMES), y)
    assert estimator.feature_names_in_.dtype == object
    assert estimator.feature_names_in_.tolist() == NAMES
    estimator.predict(_frame(X, NAMES))
    estimator.fit(X, y)
    assert not hasattr(estimator, "feature_names_in_")


def test_feature_names_mismatch():
    X, y = _blobs()
    clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(_frame(X, NAMES), y)
    with pytest.raises(ValueError, match=r"(?s)The feature names should match those that were "
                                         r"passed during fit\.\nFeature names must be in the "
                                         r"same order as they were in fit"):
        clf.predict(_frame(X, NAMES[::-1]))
    renamed = ["age", "height", "weight", "grade"]
    with pytest.raises(ValueError, match=r"(?s)Feature names unseen at fit time:\n- grade\n"
                                         r"Feature names seen at fit time, yet now missing:\n"
                                         r"- score\n"):
        clf.predict_proba(_frame(X, renamed))


def test_feature_names_warnings():
    X, y = _blobs()
    clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(_frame(X, NAMES), y)
    with pytest.warns(UserWarning, match=r"X does not have valid feature names, but "
                                         r"MLPClassifier was fitted with feature names"):
        clf.predict(X)
    plain = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match=r"X has feature names, but MLPClassifier was fitted "
                                         r"without feature names"):
        plain.predict(_frame(X, NAMES))


def test_feature_names_not_strings():
    X, y = _blobs()
    clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(_frame(X, [0, 1, 2, 3]), y)
    assert not hasattr(clf, "feature_names_in_")
    with pytest.raises(TypeError, match=r"Feature names are only supported if all input "
                                        r"features have string names"):
        MLPClassifier((4,), max_iter=2).fit(_frame(X, ["a", "b", 2, 3]), y)


def test_feature_names_in_model_file(tmp_path):
    X, y = _blobs()
    clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(_frame(X, NAMES), y)
    clf.save(tmp_path / "model.safetensors")
    restored = fastnn.load(tmp_path / "model.safetensors")
    assert restored.feature_names_in_.tolist() == NAMES
    np.testing.assert_array_equal(restored.predict(_frame(X, NAMES)),
                                  clf.predict(_frame(X, NAMES)))


def test_lbfgs_model_file(tmp_path):
    X, y = _blobs()
    clf = MLPClassifier((4,), solver="lbfgs", max_iter=5, random_state=0).fit(X, y)
    clf.save(tmp_path / "model.safetensors")
    restored = fastnn.load(tmp_path / "model.safetensors")
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_interrupt_keeps_usable_model(monkeypatch):
    from fastnn._network import MLP

    original = MLP.train_epoch
    calls = []

    def interrupted_epoch(self, *args, **kwargs):
        calls.append(None)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MLP, "train_epoch", interrupted_epoch)
    X, y = _blobs()
    with pytest.warns(RuntimeWarning, match=r"Training interrupted by the user; the model keeps "
                                            r"the weights of the last completed batches"):
        clf = _fast_classifier(max_iter=10).fit(X, y)
    assert clf.n_iter_ == 2
    assert len(clf.loss_curve_) == 2
    assert np.isfinite(clf.predict_proba(X)).all()


def test_warm_start_switches_solver_and_early_stopping():
    X, y = _blobs(n_classes=3)
    clf = MLPClassifier((8,), solver="lbfgs", warm_start=True, max_iter=3, random_state=0)
    clf.fit(X, y)
    assert not hasattr(clf, "loss_curve_")
    clf.set_params(solver="adam").fit(X, y)
    assert len(clf.loss_curve_) == 3
    assert clf.best_loss_ == min(clf.loss_curve_)
    clf.set_params(early_stopping=True).fit(X, y)
    assert len(clf.loss_curve_) == 6
    assert len(clf.validation_scores_) == 3
    assert clf.best_loss_ is None
    assert clf.best_validation_score_ == max(clf.validation_scores_)
