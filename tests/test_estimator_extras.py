"""The estimator options scikit-learn lacks: class weights, weight decay,
threads, callbacks, the validation loss curve and per-layer activations."""

import numpy as np
import pytest

import fastnn
from fastnn import MLPClassifier, MLPRegressor

# Most fits here stop at a small max_iter on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::fastnn.ConvergenceWarning")


def _imbalanced(n_rows=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 4))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=n_rows) > 0.8, "rare", "common")
    return X, y


def _fit(X, y, sample_weight=None, **params):
    options = dict(hidden_layer_sizes=(8,), max_iter=5, shuffle=False, random_state=0)
    options.update(params)
    return MLPClassifier(**options).fit(X, y, sample_weight=sample_weight)


def test_class_weight_balanced_equals_weights():
    X, y = _imbalanced()
    classes, counts = np.unique(y, return_counts=True)
    balanced = {c: len(y) / (len(classes) * n) for c, n in zip(classes, counts)}
    weights = np.array([balanced[label] for label in y])

    by_class = _fit(X, y, class_weight="balanced")
    by_sample = _fit(X, y, sample_weight=weights)

    np.testing.assert_allclose(by_class._mlp.params, by_sample._mlp.params, rtol=1e-12)


def test_class_weight_dict_multiplies_weights():
    X, y = _imbalanced()
    sample_weight = np.linspace(0.5, 1.5, len(y))
    combined = sample_weight * np.where(y == "rare", 3.0, 1.0)

    by_class = _fit(X, y, sample_weight=sample_weight, class_weight={"rare": 3.0})
    by_sample = _fit(X, y, sample_weight=combined)

    np.testing.assert_allclose(by_class._mlp.params, by_sample._mlp.params, rtol=1e-12)


def test_class_weight_unknown_label():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match=r"class_weight names the label 'missing'"):
        _fit(X, y, class_weight={"missing": 2.0})


def test_class_weight_invalid_value():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match=r"class_weight must be one of 'balanced', got 'even'"):
        _fit(X, y, class_weight="even")


def test_class_weight_multilabel_rejected():
    X, _ = _imbalanced()
    Y = (X[:, :2] > 0).astype(int)
    with pytest.raises(ValueError, match="class_weight is not supported for multilabel"):
        _fit(X, Y, class_weight="balanced")


def test_weight_decay_shrinks_weights():
    X, y = _imbalanced()
    plain = _fit(X, y, max_iter=30, learning_rate_init=0.01)
    decayed = _fit(X, y, max_iter=30, weight_decay=1.0, learning_rate_init=0.01)
    assert np.abs(decayed._mlp.params).sum() < np.abs(plain._mlp.params).sum()


def test_weight_decay_lbfgs_rejected():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match="weight_decay=0.1 applies to solver='adam' or 'sgd'"):
        _fit(X, y, solver="lbfgs", weight_decay=0.1)


def test_n_threads_same_result_and_restored():
    X, y = _imbalanced(n_rows=2000)
    before = fastnn.get_num_threads()
    one = _fit(X, y, n_threads=1, hidden_layer_sizes=(64,), batch_size=500)
    assert fastnn.get_num_threads() == before
    two = _fit(X, y, n_threads=2, hidden_layer_sizes=(64,), batch_size=500)
    assert fastnn.get_num_threads() == before
    assert np.array_equal(one._mlp.params, two._mlp.params)
    assert np.array_equal(one.predict_proba(X), two.predict_proba(X))


def test_n_threads_invalid():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match="n_threads must be >= 1, got 0"):
        _fit(X, y, n_threads=0)


def test_callbacks_receive_epoch_info():
    X, y = _imbalanced()
    seen = []
    _fit(X, y, max_iter=4, callbacks=[lambda est, info: seen.append(info)])
    assert [info["epoch"] for info in seen] == [1, 2, 3, 4]
    assert all(set(info) == {"epoch", "loss"} for info in seen)


def test_callback_true_stops_training():
    X, y = _imbalanced()
    clf = _fit(X, y, max_iter=50, callbacks=[lambda est, info: info["epoch"] == 3])
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3


def test_callbacks_with_early_stopping_info():
    X, y = _imbalanced()
    seen = []
    _fit(X, y, max_iter=3, early_stopping=True, callbacks=[lambda est, info: seen.append(info)])
    assert set(seen[0]) == {"epoch", "loss", "val_loss", "val_score"}


def test_callbacks_invalid():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match="callbacks must be None or a list of callables"):
        _fit(X, y, callbacks=["print"])


def test_validation_loss_curve_recorded():
    X, y = _imbalanced()
    clf = _fit(X, y, max_iter=6, early_stopping=True, n_iter_no_change=100)
    assert len(clf.validation_loss_curve_) == clf.n_iter_ == 6
    assert all(np.isfinite(clf.validation_loss_curve_))


def test_validation_loss_curve_none_without_early_stopping():
    X, y = _imbalanced()
    assert _fit(X, y).validation_loss_curve_ is None


def test_activation_per_layer():
    X, y = _imbalanced()
    clf = _fit(X, y, hidden_layer_sizes=(8, 6), activation=["tanh", "leaky_relu"])
    assert clf._mlp.activations == ("tanh", "leaky_relu")


def test_activation_list_wrong_length():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match=r"one of them per hidden layer \(2 here\)"):
        _fit(X, y, hidden_layer_sizes=(8, 6), activation=["tanh"])


@pytest.mark.parametrize("activation", ["leaky_relu", "elu"])
def test_new_activations_regress(activation):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 3))
    y = X[:, 0] - 2 * X[:, 1] ** 2
    reg = MLPRegressor(hidden_layer_sizes=(32,), activation=activation, max_iter=300,
                       random_state=0).fit(X, y)
    # relu reaches R^2 0.97 here and tanh 0.82; elu, smooth like tanh, 0.82
    assert reg.score(X, y) > 0.75


@pytest.mark.parametrize("scoring", ["accuracy", "balanced_accuracy", "f1", "f1_macro",
                                     "roc_auc", "neg_log_loss", "loss"])
def test_scoring_binary(scoring):
    X, y = _imbalanced()
    clf = _fit(X, y, max_iter=8, early_stopping=True, scoring=scoring, n_iter_no_change=100)
    assert len(clf.validation_scores_) == 8
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert all(np.isfinite(clf.validation_scores_))


def test_scoring_roc_auc_matches_metric():
    metrics = pytest.importorskip("sklearn.metrics")
    X, y = _imbalanced()
    held_out = {}
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=1, early_stopping=True,
                        scoring="roc_auc", random_state=0)
    original = clf._scored_validation

    def recording(X_val, Y_val, w_val):
        held_out["X"], held_out["Y"] = X_val, Y_val
        return original(X_val, Y_val, w_val)

    clf._scored_validation = recording
    clf.fit(X, y)
    proba = clf._mlp.network.predict(clf._mlp.params, held_out["X"])[:, 0]
    expected = metrics.roc_auc_score(held_out["Y"][:, 0], proba)
    assert clf.validation_scores_[0] == pytest.approx(expected, rel=1e-12)


def test_scoring_multiclass_roc_auc():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    clf = _fit(X, y, max_iter=4, early_stopping=True, scoring="roc_auc", n_iter_no_change=100)
    assert 0.5 < clf.best_validation_score_ <= 1.0


@pytest.mark.parametrize("scoring", ["r2", "neg_mean_squared_error", "neg_mean_absolute_error",
                                     "loss"])
def test_scoring_regressor(scoring):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 3))
    y = X[:, 0] - X[:, 1]
    reg = MLPRegressor(hidden_layer_sizes=(16,), max_iter=5, early_stopping=True,
                       scoring=scoring, n_iter_no_change=100, random_state=0).fit(X, y)
    assert len(reg.validation_scores_) == 5
    if scoring != "r2":
        assert max(reg.validation_scores_) <= 0


def test_scoring_invalid_for_regressor():
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match=r"scoring must be one of 'r2', .* got 'roc_auc'"):
        MLPRegressor(scoring="roc_auc").fit(X, X[:, 0])


def test_dropout_trains_and_predicts_deterministically():
    X, y = _imbalanced(n_rows=400)
    clf = _fit(X, y, hidden_layer_sizes=(32, 16), dropout=[0.2, 0.4], max_iter=40,
               shuffle=True)
    again = _fit(X, y, hidden_layer_sizes=(32, 16), dropout=[0.2, 0.4], max_iter=40,
                 shuffle=True)
    assert np.array_equal(clf._mlp.params, again._mlp.params)
    assert np.array_equal(clf.predict_proba(X), clf.predict_proba(X))
    assert clf.score(X, y) > 0.8


def test_dropout_changes_training():
    X, y = _imbalanced()
    plain = _fit(X, y, max_iter=10)
    dropped = _fit(X, y, max_iter=10, dropout=0.5)
    assert not np.array_equal(plain._mlp.params, dropped._mlp.params)


def test_dropout_zero_is_plain():
    X, y = _imbalanced()
    assert np.array_equal(_fit(X, y, dropout=0.0)._mlp.params, _fit(X, y)._mlp.params)


def test_dropout_thread_invariant():
    X, y = _imbalanced(n_rows=2000)
    options = dict(hidden_layer_sizes=(64,), batch_size=500, dropout=0.3)
    one = _fit(X, y, n_threads=1, **options)
    two = _fit(X, y, n_threads=2, **options)
    assert np.array_equal(one._mlp.params, two._mlp.params)


@pytest.mark.parametrize("dropout, message", [
    (1.0, r"dropout rates must be in \[0, 1\), got 1.0"),
    ([0.1, 0.2], r"dropout lists 2 rates but the network has 1 hidden layer"),
    ("high", r"dropout must be a rate in \[0, 1\) or a list"),
])
def test_dropout_invalid(dropout, message):
    X, y = _imbalanced()
    with pytest.raises(ValueError, match=message):
        _fit(X, y, dropout=dropout)


def test_dropout_lbfgs_rejected():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match="dropout=0.2 applies to solver='adam' or 'sgd'"):
        _fit(X, y, solver="lbfgs", dropout=0.2)


def test_dropout_kept_in_model_file(tmp_path):
    X, y = _imbalanced()
    clf = _fit(X, y, dropout=0.25)
    clf.save(tmp_path / "model.bin")
    loaded = fastnn.load(tmp_path / "model.bin")
    assert loaded._mlp.network.dropout == (0.25,)
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
