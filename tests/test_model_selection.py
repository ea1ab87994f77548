"""Tests for fastnn.model_selection, against scikit-learn where it is installed."""

import warnings

import numpy as np
import pytest

from fastnn.model_selection import KFold, StratifiedKFold, train_test_split


class _FakeFrame:
    """Minimal stand-in for a pandas object: positional access through .iloc."""

    def __init__(self, values):
        self.values = np.asarray(values)
        self.shape = self.values.shape
        self.iloc = self

    def __getitem__(self, positions):
        return _FakeFrame(self.values[positions])


def _size_cases():
    """(n_samples, test_size, train_size) triples that scikit-learn accepts."""
    cases = []
    for n_samples in (4, 10, 11, 97):
        cases.extend(
            [
                (n_samples, None, None),
                (n_samples, 0.25, None),
                (n_samples, 0.33, None),
                (n_samples, None, 0.6),
                (n_samples, 0.2, 0.5),
                (n_samples, 1, None),
                (n_samples, None, 2),
                (n_samples, 2, 0.5),
            ]
        )
    return cases


# ---------------------------------------------------------------------------
# train_test_split
# ---------------------------------------------------------------------------


def test_split_default_sizes():
    X_train, X_test = train_test_split(np.arange(10), random_state=0)
    # The test fraction 0.25 is rounded up: ceil(2.5) = 3.
    assert len(X_test) == 3
    assert len(X_train) == 7


@pytest.mark.parametrize("n_samples, test_size, train_size", _size_cases())
def test_split_sizes_match_sklearn(n_samples, test_size, train_size):
    sk_model_selection = pytest.importorskip("sklearn.model_selection")
    X = np.arange(n_samples)
    ours = train_test_split(X, test_size=test_size, train_size=train_size, random_state=0)
    theirs = sk_model_selection.train_test_split(
        X, test_size=test_size, train_size=train_size, random_state=0
    )
    assert [len(part) for part in ours] == [len(part) for part in theirs]


def test_split_is_a_partition_and_rows_stay_aligned():
    X = np.arange(40).reshape(20, 2)
    y = np.arange(20) * 10
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=1)
    rows = np.concatenate([X_train[:, 0], X_test[:, 0]]) // 2
    np.testing.assert_array_equal(np.sort(rows), np.arange(20))
    np.testing.assert_array_equal(X_train[:, 0] // 2 * 10, y_train)
    np.testing.assert_array_equal(X_test[:, 0] // 2 * 10, y_test)


def test_split_keeps_container_types():
    X_train, X_test, y_train, y_test = train_test_split(
        np.zeros((8, 2)), list("abcdefgh"), test_size=2, random_state=0
    )
    assert isinstance(X_train, np.ndarray)
    assert isinstance(y_train, list)
    assert isinstance(y_test, list)
    assert len(y_test) == 2


def test_split_uses_iloc_when_present():
    frame = _FakeFrame(np.arange(12).reshape(6, 2))
    train, test = train_test_split(frame, test_size=2, random_state=0)
    assert isinstance(train, _FakeFrame)
    assert train.shape == (4, 2)
    assert test.shape == (2, 2)


def test_split_pandas_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": range(10), "b": range(10, 20)}, index=range(100, 110))
    series = pd.Series(range(10), index=range(100, 110))
    frame_train, frame_test, series_train, series_test = train_test_split(
        frame, series, test_size=0.2, random_state=0
    )
    assert isinstance(frame_train, pd.DataFrame)
    assert len(frame_test) == 2
    assert list(frame_test.index) == list(series_test.index)


def test_split_without_shuffle_keeps_order():
    X_train, X_test = train_test_split(np.arange(10), test_size=3, shuffle=False)
    np.testing.assert_array_equal(X_train, np.arange(7))
    np.testing.assert_array_equal(X_test, [7, 8, 9])


def test_split_without_shuffle_matches_sklearn():
    sk_model_selection = pytest.importorskip("sklearn.model_selection")
    X = np.arange(13)
    ours = train_test_split(X, test_size=0.3, train_size=0.5, shuffle=False)
    theirs = sk_model_selection.train_test_split(X, test_size=0.3, train_size=0.5, shuffle=False)
    for our_part, their_part in zip(ours, theirs):
        np.testing.assert_array_equal(our_part, their_part)


def test_split_random_state_reproducible():
    X = np.arange(50)
    first = train_test_split(X, random_state=42)
    second = train_test_split(X, random_state=42)
    other = train_test_split(X, random_state=43)
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[1], other[1])


def test_split_accepts_generator():
    X = np.arange(50)
    first = train_test_split(X, random_state=np.random.default_rng(7))
    second = train_test_split(X, random_state=np.random.default_rng(7))
    np.testing.assert_array_equal(first[1], second[1])


def test_stratified_split_keeps_proportions():
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    y_train, y_test = train_test_split(y, test_size=0.2, stratify=y, random_state=0)
    np.testing.assert_array_equal(np.bincount(y_test), [12, 6, 2])
    np.testing.assert_array_equal(np.bincount(y_train), [48, 24, 8])


def test_stratified_split_shares_within_one():
    rng = np.random.default_rng(2)
    y = rng.choice(["a", "b", "c", "d"], size=203, p=[0.5, 0.3, 0.15, 0.05])
    for test_size in (0.1, 0.25, 0.5, 37):
        y_train, y_test = train_test_split(y, test_size=test_size, stratify=y, random_state=0)
        classes, counts = np.unique(y, return_counts=True)
        for label, count in zip(classes, counts):
            exact = len(y_test) * count / len(y)
            assert abs(np.sum(y_test == label) - exact) < 1, (test_size, label)
        assert len(y_train) + len(y_test) == len(y)


def test_stratified_split_two_member_classes():
    # Each class of two members goes once into train and once into test.
    y = np.repeat(np.arange(5), 2)
    X = np.arange(10)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=5, stratify=y, random_state=0
    )
    np.testing.assert_array_equal(np.sort(y_train), np.arange(5))
    np.testing.assert_array_equal(np.sort(y_test), np.arange(5))


def test_stratified_split_small_test_still_covers_classes():
    # By proportion, class "b" would get 0.25 test rows, but it gets one.
    y = ["a"] * 36 + ["b"] * 2 + ["c"] * 2
    y_train, y_test = train_test_split(y, test_size=5, stratify=y, random_state=3)
    assert sorted(set(y_test)) == ["a", "b", "c"]
    assert sorted(set(y_train)) == ["a", "b", "c"]
    assert len(y_test) == 5


def test_stratified_split_with_train_size():
    y = np.array([0] * 50 + [1] * 50)
    y_train, y_test = train_test_split(
        y, test_size=0.2, train_size=0.5, stratify=y, random_state=0
    )
    np.testing.assert_array_equal(np.bincount(y_test), [10, 10])
    np.testing.assert_array_equal(np.bincount(y_train), [25, 25])


def test_stratified_split_sizes_match_sklearn():
    sk_model_selection = pytest.importorskip("sklearn.model_selection")
    y = np.array([0] * 31 + [1] * 17 + [2] * 9)
    for test_size in (0.1, 0.3, 20):
        ours = train_test_split(y, test_size=test_size, stratify=y, random_state=0)
        theirs = sk_model_selection.train_test_split(
            y, test_size=test_size, stratify=y, random_state=0
        )
        assert [len(part) for part in ours] == [len(part) for part in theirs]


def test_stratified_split_one_member_class():
    y = [0, 0, 0, 1]
    with pytest.raises(ValueError, match="The least populated class in y has only 1 member"):
        train_test_split(y, stratify=y, random_state=0)


def test_stratified_split_too_few_test_samples():
    y = [0, 0, 1, 1, 2, 2, 3, 3]
    with pytest.raises(ValueError, match="test set has 2 samples but stratify has 4 classes"):
        train_test_split(y, test_size=2, stratify=y)
    with pytest.raises(ValueError, match="train set has 2 samples but stratify has 4 classes"):
        train_test_split(y, train_size=2, stratify=y)


def test_stratified_split_needs_shuffle():
    y = [0, 0, 1, 1]
    with pytest.raises(ValueError, match="stratify needs shuffle=True"):
        train_test_split(y, stratify=y, shuffle=False)


def test_stratify_wrong_length():
    with pytest.raises(ValueError, match="class labels have 3 entries but there are 4 samples"):
        train_test_split(np.arange(4), stratify=[0, 1, 0])


def test_split_inconsistent_lengths():
    with pytest.raises(ValueError, match=r"different numbers of samples: \[3, 2\]"):
        train_test_split([1, 2, 3], [1, 2])


def test_split_no_arrays():
    with pytest.raises(ValueError, match="at least one array"):
        train_test_split()


@pytest.mark.parametrize("test_size", [0, 0.0, 1.0, -0.1, 10, 11, "half", True])
def test_split_invalid_test_size(test_size):
    with pytest.raises(ValueError, match="test_size=.* is invalid: pass a float in"):
        train_test_split(np.arange(10), test_size=test_size)


def test_split_sizes_too_large():
    with pytest.raises(ValueError, match="test_size \\+ train_size = 1.1 must not exceed 1"):
        train_test_split(np.arange(10), test_size=0.6, train_size=0.5)
    with pytest.raises(ValueError, match="12 samples, more than the 10 samples"):
        train_test_split(np.arange(10), test_size=6, train_size=6)
    with pytest.raises(ValueError, match="the train set would be empty"):
        train_test_split(np.arange(3), test_size=0.9)


def test_split_invalid_random_state():
    with pytest.raises(TypeError, match="random_state must be None, an int or a numpy.random"):
        train_test_split(np.arange(10), random_state=1.5)
    with pytest.raises(ValueError, match="random_state must be a non-negative int, got -1"):
        train_test_split(np.arange(10), random_state=-1)


# ---------------------------------------------------------------------------
# KFold
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_samples, n_splits", [(10, 5), (11, 3), (7, 7), (20, 2)])
def test_kfold_matches_sklearn(n_samples, n_splits):
    sk_model_selection = pytest.importorskip("sklearn.model_selection")
    X = np.zeros((n_samples, 2))
    ours = list(KFold(n_splits=n_splits).split(X))
    theirs = list(sk_model_selection.KFold(n_splits=n_splits).split(X))
    assert len(ours) == len(theirs)
    for (our_train, our_test), (their_train, their_test) in zip(ours, theirs):
        np.testing.assert_array_equal(our_train, their_train)
        np.testing.assert_array_equal(our_test, their_test)


def test_kfold_shuffle_partition():
    folds = list(KFold(n_splits=4, shuffle=True, random_state=0).split(np.arange(18)))
    tests = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(18))
    assert [len(test) for _, test in folds] == [5, 5, 4, 4]
    for train, test in folds:
        assert len(np.intersect1d(train, test)) == 0
        assert len(train) + len(test) == 18
    assert not np.array_equal(folds[0][1], np.arange(5))


def test_kfold_shuffle_reproducible():
    splitter = KFold(n_splits=3, shuffle=True, random_state=5)
    first = [test for _, test in splitter.split(np.arange(12))]
    second = [test for _, test in splitter.split(np.arange(12))]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_kfold_get_n_splits():
    assert KFold(n_splits=4).get_n_splits() == 4


def test_kfold_invalid_parameters():
    with pytest.raises(ValueError, match="n_splits must be an int of at least 2, got 1"):
        KFold(n_splits=1)
    with pytest.raises(ValueError, match="n_splits must be an int of at least 2, got 2.5"):
        KFold(n_splits=2.5)
    with pytest.raises(ValueError, match="random_state=0 has no effect when shuffle=False"):
        KFold(random_state=0)
    with pytest.raises(ValueError, match="n_splits=5 is greater than the number of samples 3"):
        list(KFold(n_splits=5).split(np.arange(3)))


# ---------------------------------------------------------------------------
# StratifiedKFold
# ---------------------------------------------------------------------------


def _check_stratified_folds(folds, y, n_splits):
    y = np.asarray(y)
    tests = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(len(y)))
    fold_sizes = [len(test) for _, test in folds]
    assert max(fold_sizes) - min(fold_sizes) <= 1
    for label in np.unique(y):
        per_fold = [np.sum(y[test] == label) for _, test in folds]
        assert max(per_fold) - min(per_fold) <= 1, label
    for train, test in folds:
        np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(len(y)))
    assert len(folds) == n_splits


@pytest.mark.parametrize("shuffle", [False, True])
def test_stratified_kfold_balanced(shuffle):
    rng = np.random.default_rng(4)
    y = rng.choice(["a", "b", "c"], size=101, p=[0.6, 0.3, 0.1])
    random_state = 0 if shuffle else None
    splitter = StratifiedKFold(n_splits=5, shuffle=shuffle, random_state=random_state)
    folds = list(splitter.split(np.zeros((101, 3)), y))
    _check_stratified_folds(folds, y, 5)


def test_stratified_kfold_class_counts_match_sklearn():
    sk_model_selection = pytest.importorskip("sklearn.model_selection")
    y = np.array([0] * 23 + [1] * 11 + [2] * 6)
    ours = list(StratifiedKFold(n_splits=4).split(y, y))
    theirs = list(sk_model_selection.StratifiedKFold(n_splits=4).split(y, y))

    # Which fold gets a class's extra sample may differ, but the counts may not.
    for label in range(3):
        our_counts = sorted(np.sum(y[test] == label) for _, test in ours)
        their_counts = sorted(np.sum(y[test] == label) for _, test in theirs)
        assert our_counts == their_counts, label


def test_stratified_kfold_without_shuffle_is_contiguous_per_class():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    folds = list(StratifiedKFold(n_splits=2).split(y, y))
    np.testing.assert_array_equal(folds[0][1], [0, 1, 4, 5])
    np.testing.assert_array_equal(folds[1][1], [2, 3, 6, 7])


def test_stratified_kfold_shuffle_reproducible():
    y = np.repeat([0, 1], 10)
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=3)
    first = [test for _, test in splitter.split(y, y)]
    second = [test for _, test in splitter.split(y, y)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    unshuffled = [test for _, test in StratifiedKFold(n_splits=5).split(y, y)]
    assert any(not np.array_equal(a, b) for a, b in zip(first, unshuffled))


def test_stratified_kfold_small_class_warns():
    y = [0] * 10 + [1] * 2
    with pytest.warns(UserWarning, match="only 2 members, which is less than n_splits=3"):
        folds = list(StratifiedKFold(n_splits=3).split(y, y))
    assert len(folds) == 3


def test_stratified_kfold_errors():
    with pytest.raises(ValueError, match="needs the class labels y"):
        list(StratifiedKFold(n_splits=2).split(np.zeros(4), None))
    with pytest.raises(ValueError, match="greater than the number of members of every class"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            list(StratifiedKFold(n_splits=3).split(np.zeros(4), [0, 0, 1, 1]))
    with pytest.raises(ValueError, match="class labels have 3 entries but there are 4 samples"):
        list(StratifiedKFold(n_splits=2).split(np.zeros(4), [0, 0, 1]))
    with pytest.raises(ValueError, match="class labels must be 1-D"):
        list(StratifiedKFold(n_splits=2).split(np.zeros(4), np.zeros((4, 2))))


# ---------------------------------------------------------------------------
# Cross-validation
# ---------------------------------------------------------------------------

# The estimators here train for a few epochs on purpose.
_short_training = pytest.mark.filterwarnings("ignore::fastnn._estimators.ConvergenceWarning")


def _classification_data(n_samples=90, n_classes=2):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(n_samples, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    if n_classes == 3:
        y = y + (X[:, 2] > 0.8)
    return X, y


@_short_training
@pytest.mark.parametrize("scoring", [None, "accuracy", "balanced_accuracy", "f1", "precision",
                                     "recall", "f1_macro", "roc_auc", "neg_log_loss"])
def test_cross_val_score_matches_sklearn(scoring):
    sk_model_selection = pytest.importorskip("sklearn.model_selection")
    from fastnn import MLPClassifier
    from fastnn.model_selection import cross_val_score

    X, y = _classification_data()
    clf = MLPClassifier((8,), max_iter=30, random_state=0)
    ours = cross_val_score(clf, X, y, cv=3, scoring=scoring)
    theirs = sk_model_selection.cross_val_score(clf, X, y, cv=3, scoring=scoring)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@_short_training
@pytest.mark.parametrize("scoring", [None, "r2", "neg_mean_squared_error",
                                     "neg_root_mean_squared_error", "neg_mean_absolute_error"])
def test_cross_val_score_regression_matches_sklearn(scoring):
    sk_model_selection = pytest.importorskip("sklearn.model_selection")
    from fastnn import MLPRegressor
    from fastnn.model_selection import cross_val_score

    X, _ = _classification_data()
    y = X[:, 0] - 2 * X[:, 1]
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    ours = cross_val_score(reg, X, y, cv=4, scoring=scoring)
    theirs = sk_model_selection.cross_val_score(reg, X, y, cv=4, scoring=scoring)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@_short_training
def test_cross_validate_multiclass_roc_auc_matches_sklearn():
    sk_model_selection = pytest.importorskip("sklearn.model_selection")
    from fastnn import MLPClassifier
    from fastnn.model_selection import cross_validate

    X, y = _classification_data(n_classes=3)
    clf = MLPClassifier((8,), max_iter=30, random_state=0)
    ours = cross_validate(clf, X, y, cv=3, scoring="roc_auc_ovr")
    theirs = sk_model_selection.cross_validate(clf, X, y, cv=3, scoring="roc_auc_ovr")
    np.testing.assert_allclose(ours["test_score"], theirs["test_score"], rtol=1e-12)


@_short_training
def test_cross_validate_result_keys():
    from fastnn import MLPClassifier
    from fastnn.model_selection import cross_validate

    X, y = _classification_data()
    clf = MLPClassifier((8,), max_iter=5, random_state=0)
    result = cross_validate(clf, X, y, cv=KFold(3, shuffle=True, random_state=0),
                            return_train_score=True, return_estimator=True)
    for key in ("test_score", "train_score", "fit_time", "score_time"):
        assert result[key].shape == (3,), key
    assert all(fitted is not clf for fitted in result["estimator"])
    assert not hasattr(clf, "classes_")


@_short_training
def test_cross_validate_explicit_folds_and_callable():
    from fastnn import MLPClassifier
    from fastnn.model_selection import cross_validate

    X, y = _classification_data()
    folds = [(np.arange(0, 60), np.arange(60, 90)), (np.arange(30, 90), np.arange(0, 30))]
    seen = []

    def rows_scored(estimator, X_test, y_test):
        seen.append(len(y_test))
        return 1.0

    result = cross_validate(MLPClassifier((4,), max_iter=3, random_state=0), X, y, cv=folds,
                            scoring=rows_scored)
    assert result["test_score"].tolist() == [1.0, 1.0]
    assert seen == [30, 30]


def test_cross_validate_stratifies_classifiers():
    from fastnn.model_selection import _folds

    class Classifier:
        _estimator_type = "classifier"

    y = np.array([0] * 6 + [1] * 3)
    for train, test in _folds(3, Classifier(), np.zeros((9, 1)), y):
        assert np.sum(y[test] == 1) == 1


def test_cross_validate_errors():
    from fastnn import MLPClassifier
    from fastnn.model_selection import cross_validate

    X, y = _classification_data()
    with pytest.raises(ValueError, match=r"scoring='auc' is not a known scorer"):
        cross_validate(MLPClassifier(), X, y, scoring="auc")
    with pytest.raises(ValueError, match=r"X has 90 samples but y has 10"):
        cross_validate(MLPClassifier(), X, y[:10])
    with pytest.raises(ValueError, match=r"cv must be an int, a splitter"):
        cross_validate(MLPClassifier(), X, y, cv="five")
    with pytest.raises(TypeError, match=r"estimator must have get_params"):
        cross_validate(object(), X, y)
