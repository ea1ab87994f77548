"""Tests for fastnn.metrics, against scikit-learn where it is installed."""

import warnings

import numpy as np
import pytest

from fastnn import metrics

PRF_FUNCTIONS = ("precision_score", "recall_score", "f1_score")


def _random_labels(rng, n_samples, classes):
    classes = np.asarray(classes)
    return classes[rng.integers(0, len(classes), n_samples)]


def _label_cases():
    """(name, y_true, y_pred) triples covering binary, multiclass and strings."""
    rng = np.random.default_rng(0)
    cases = [
        ("binary_ints", [0, 1, 1, 0, 1, 1, 0], [0, 1, 0, 0, 1, 1, 1]),
        ("binary_strings", ["no", "yes", "yes", "no"], ["yes", "yes", "no", "no"]),
        ("multiclass_ints", [0, 1, 2, 2, 1, 0, 2], [0, 2, 2, 1, 1, 0, 0]),
        ("multiclass_strings", ["a", "b", "c", "c", "b"], ["a", "c", "c", "a", "b"]),
        ("pred_only_label", [0, 0, 1, 1], [0, 2, 1, 1]),
        ("true_only_label", [0, 1, 2, 2], [0, 1, 1, 1]),
    ]
    for seed in range(4):
        y_true = _random_labels(rng, 60, [3, 5, 7, 9])
        y_pred = np.where(rng.random(60) < 0.6, y_true, _random_labels(rng, 60, [3, 5, 7, 9]))
        cases.append((f"random_multiclass_{seed}", y_true, y_pred))
    return cases


LABEL_CASES = _label_cases()
LABEL_CASE_IDS = [case[0] for case in LABEL_CASES]


# ---------------------------------------------------------------------------
# Hand-worked values, run without scikit-learn
# ---------------------------------------------------------------------------


def test_confusion_matrix_by_hand():
    matrix = metrics.confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0])
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.dtype == np.int64


def test_confusion_matrix_labels_order_and_filter():
    y_true = ["cat", "dog", "bird", "dog"]
    y_pred = ["cat", "cat", "bird", "dog"]
    matrix = metrics.confusion_matrix(y_true, y_pred, labels=["dog", "cat"])
    # The bird sample is left out because "bird" is not listed.
    np.testing.assert_array_equal(matrix, [[1, 1], [0, 1]])


def test_confusion_matrix_sample_weight():
    matrix = metrics.confusion_matrix([0, 1, 1], [0, 1, 0], sample_weight=[2.0, 0.5, 1.0])
    np.testing.assert_allclose(matrix, [[2.0, 0.0], [1.0, 0.5]])
    assert matrix.dtype == np.float64


def test_binary_prf_by_hand():
    # tp = 2, fp = 1, fn = 1 for the positive label 1.
    y_true = [1, 1, 1, 0, 0]
    y_pred = [1, 1, 0, 1, 0]
    assert metrics.precision_score(y_true, y_pred) == pytest.approx(2 / 3)
    assert metrics.recall_score(y_true, y_pred) == pytest.approx(2 / 3)
    assert metrics.f1_score(y_true, y_pred) == pytest.approx(2 / 3)
    assert metrics.precision_score(y_true, y_pred, pos_label=0) == pytest.approx(1 / 2)


def test_macro_micro_weighted_by_hand():
    y_true = ["a", "a", "a", "b"]
    y_pred = ["a", "b", "b", "b"]
    # recall: a = 1/3, b = 1/1
    assert metrics.recall_score(y_true, y_pred, average="macro") == pytest.approx(2 / 3)
    assert metrics.recall_score(y_true, y_pred, average="weighted") == pytest.approx(0.5)
    assert metrics.recall_score(y_true, y_pred, average="micro") == pytest.approx(0.5)


def test_accuracy_by_hand():
    assert metrics.accuracy_score(["x", "y", "y"], ["x", "y", "x"]) == pytest.approx(2 / 3)
    assert metrics.accuracy_score([1, 2, 3], [1, 2, 0], normalize=False) == 2
    weighted = metrics.accuracy_score([1, 2, 3], [1, 2, 0], sample_weight=[1, 1, 2])
    assert weighted == pytest.approx(0.5)


def test_accuracy_multilabel_rows():
    y_true = np.array([[1, 0, 1], [0, 1, 0]])
    y_pred = np.array([[1, 0, 1], [0, 1, 1]])
    assert metrics.accuracy_score(y_true, y_pred) == 0.5


def test_zero_division_values():
    # Label 1 is never predicted, so precision is 0 / 0.
    y_true = [0, 1, 1]
    y_pred = [0, 0, 0]
    assert metrics.precision_score(y_true, y_pred) == 0.0
    assert metrics.precision_score(y_true, y_pred, zero_division=1.0) == 1.0
    assert np.isnan(metrics.precision_score(y_true, y_pred, zero_division=np.nan))

    # F1 uses 2 tp / (2 tp + fp + fn), which is 0 here, not zero_division.
    assert metrics.f1_score(y_true, y_pred, zero_division=1.0) == 0.0


def test_zero_division_nan_left_out_of_macro():
    # Precision of label 2 is 0 / 0 (never predicted) and is skipped.
    y_true = [0, 1, 2]
    y_pred = [0, 1, 1]
    score = metrics.precision_score(y_true, y_pred, average="macro", zero_division=np.nan)
    assert score == pytest.approx((1.0 + 0.5) / 2)


def test_one_class_binary_scores_zero_division():
    # Only negatives: pos_label=1 is absent but allowed, as in scikit-learn.
    assert metrics.precision_score([0, 0], [0, 0]) == 0.0
    assert metrics.recall_score([0, 0], [0, 0], zero_division=1.0) == 1.0


def test_balanced_accuracy_by_hand():
    # recall of 0 is 2/3, of 1 is 1/1
    score = metrics.balanced_accuracy_score([0, 0, 0, 1], [0, 0, 1, 1])
    assert score == pytest.approx(5 / 6)
    adjusted = metrics.balanced_accuracy_score([0, 0, 0, 1], [0, 0, 1, 1], adjusted=True)
    assert adjusted == pytest.approx((5 / 6 - 0.5) / 0.5)


def test_classification_report_layout():
    report = metrics.classification_report(["a", "b", "b"], ["a", "b", "a"], digits=3)
    lines = report.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[2].split() == ["a", "0.500", "1.000", "0.667", "1"]
    assert lines[5].split() == ["accuracy", "0.667", "3"]
    assert lines[7].split()[:2] == ["weighted", "avg"]


def test_classification_report_target_names():
    report = metrics.classification_report(
        [0, 1, 1], [0, 1, 0], target_names=["benign", "malignant"]
    )
    assert "malignant" in report
    assert "benign" in report


def test_roc_auc_by_hand():
    # Positives score 0.35 and 0.8, negatives 0.1 and 0.4. Of the 4
    # (positive, negative) pairs, 3 rank the positive higher.
    assert metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75


def test_roc_auc_ties_count_half():
    # The tied pair (0.5, 0.5) counts 1/2 and the other three pairs count 1.
    assert metrics.roc_auc_score([0, 1, 0, 1], [0.5, 0.5, 0.1, 0.9]) == pytest.approx(0.875)
    assert metrics.roc_auc_score([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3]) == 0.5


def test_roc_auc_string_labels_positive_is_greater():
    # "yes" > "no", so y_score scores "yes".
    score = metrics.roc_auc_score(["no", "yes", "no", "yes"], [0.1, 0.9, 0.2, 0.8])
    assert score == 1.0


def test_roc_auc_multiclass_by_hand():
    y_true = [0, 1, 2]
    y_score = np.eye(3)
    assert metrics.roc_auc_score(y_true, y_score) == 1.0


def test_log_loss_by_hand():
    loss = metrics.log_loss(["a", "b"], [[0.8, 0.2], [0.4, 0.6]])
    assert loss == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    loss_1d = metrics.log_loss([0, 1], [0.2, 0.6])
    assert loss_1d == pytest.approx(loss)


def test_log_loss_clips_zero_probability():
    loss = metrics.log_loss([0, 1], [[1.0, 0.0], [1.0, 0.0]])
    assert np.isfinite(loss)
    assert loss == pytest.approx(-np.log(np.finfo(np.float64).eps) / 2)


def test_regression_by_hand():
    y_true = [3.0, -0.5, 2.0, 7.0]
    y_pred = [2.5, 0.0, 2.0, 8.0]
    assert metrics.mean_squared_error(y_true, y_pred) == pytest.approx(0.375)
    assert metrics.mean_absolute_error(y_true, y_pred) == pytest.approx(0.5)
    ss_tot = np.sum((np.array(y_true) - 2.875) ** 2)
    assert metrics.r2_score(y_true, y_pred) == pytest.approx(1 - 1.5 / ss_tot)


def test_r2_constant_target():
    assert metrics.r2_score([2.0, 2.0], [2.0, 2.0]) == 1.0
    assert metrics.r2_score([2.0, 2.0], [2.0, 3.0]) == 0.0


def test_r2_single_sample_warns_nan():
    with pytest.warns(UserWarning, match="fewer than two samples"):
        score = metrics.r2_score([1.0], [2.0])
    assert np.isnan(score)


def test_r2_2d_uniform_average():
    y_true = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    y_pred = np.array([[1.0, 10.0], [2.0, 20.0], [4.0, 30.0]])
    per_output = [1 - 1 / 2, 1.0]
    assert metrics.r2_score(y_true, y_pred) == pytest.approx(np.mean(per_output))


# ---------------------------------------------------------------------------
# Agreement with scikit-learn
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, y_true, y_pred", LABEL_CASES, ids=LABEL_CASE_IDS)
@pytest.mark.parametrize("average", ["macro", "weighted", "micro", None])
@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_prf_matches_sklearn(name, y_true, y_pred, average, zero_division):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    for function_name in PRF_FUNCTIONS:
        ours = getattr(metrics, function_name)(
            y_true, y_pred, average=average, zero_division=zero_division
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = getattr(sk_metrics, function_name)(
                y_true, y_pred, average=average, zero_division=zero_division
            )
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=function_name)


@pytest.mark.parametrize("name, y_true, y_pred", LABEL_CASES[:2], ids=LABEL_CASE_IDS[:2])
@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_binary_prf_matches_sklearn(name, y_true, y_pred, zero_division):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    for pos_label in np.unique(y_true).tolist():
        for function_name in PRF_FUNCTIONS:
            ours = getattr(metrics, function_name)(
                y_true, y_pred, pos_label=pos_label, zero_division=zero_division
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = getattr(sk_metrics, function_name)(
                    y_true, y_pred, pos_label=pos_label, zero_division=zero_division
                )
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=function_name)


@pytest.mark.parametrize("average", ["macro", "weighted", "micro"])
def test_prf_labels_argument_matches_sklearn(average):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    y_true = [0, 1, 2, 2, 1, 3]
    y_pred = [0, 2, 2, 1, 1, 3]
    # A subset in a custom order, plus label 7 that never occurs.
    labels = [2, 0, 7]
    for function_name in PRF_FUNCTIONS:
        ours = getattr(metrics, function_name)(
            y_true, y_pred, average=average, labels=labels
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = getattr(sk_metrics, function_name)(
                y_true, y_pred, average=average, labels=labels
            )
        assert ours == pytest.approx(theirs, rel=1e-12), function_name


def test_prf_sample_weight_matches_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    y_true = _random_labels(rng, 50, ["a", "b", "c"])
    y_pred = _random_labels(rng, 50, ["a", "b", "c"])
    weights = rng.random(50)
    for function_name in PRF_FUNCTIONS:
        for average in ("macro", "weighted", "micro"):
            ours = getattr(metrics, function_name)(
                y_true, y_pred, average=average, sample_weight=weights
            )
            theirs = getattr(sk_metrics, function_name)(
                y_true, y_pred, average=average, sample_weight=weights
            )
            assert ours == pytest.approx(theirs, rel=1e-12), (function_name, average)


@pytest.mark.parametrize("name, y_true, y_pred", LABEL_CASES, ids=LABEL_CASE_IDS)
def test_label_metrics_match_sklearn(name, y_true, y_pred):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_true, y_pred), sk_metrics.confusion_matrix(y_true, y_pred)
    )
    assert metrics.accuracy_score(y_true, y_pred) == pytest.approx(
        sk_metrics.accuracy_score(y_true, y_pred), rel=1e-12
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_balanced = sk_metrics.balanced_accuracy_score(y_true, y_pred)
    assert metrics.balanced_accuracy_score(y_true, y_pred) == pytest.approx(
        expected_balanced, rel=1e-12
    )


@pytest.mark.parametrize("name, y_true, y_pred", LABEL_CASES, ids=LABEL_CASE_IDS)
@pytest.mark.parametrize("digits", [2, 4])
def test_classification_report_matches_sklearn(name, y_true, y_pred, digits):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = sk_metrics.classification_report(
            y_true, y_pred, digits=digits, zero_division=0.0
        )
    assert metrics.classification_report(y_true, y_pred, digits=digits) == expected


def test_classification_report_subset_labels_matches_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    y_true = [0, 1, 2, 2, 1]
    y_pred = [0, 2, 2, 1, 1]
    # Listing only some labels shows a micro average instead of accuracy.
    ours = metrics.classification_report(y_true, y_pred, labels=[1, 2])
    theirs = sk_metrics.classification_report(y_true, y_pred, labels=[1, 2])
    assert "micro avg" in ours
    assert ours == theirs


def test_roc_auc_binary_with_ties_matches_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(5)
    for _ in range(10):
        y_true = rng.integers(0, 2, 200)
        # Rounding to one decimal creates many ties.
        y_score = np.round(rng.random(200) + 0.3 * y_true, 1)
        ours = metrics.roc_auc_score(y_true, y_score)
        assert ours == pytest.approx(sk_metrics.roc_auc_score(y_true, y_score), rel=1e-12)


def test_roc_auc_string_labels_match_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    y_true = np.array(["benign", "malignant", "benign", "malignant", "benign"])
    y_score = [0.1, 0.7, 0.7, 0.9, 0.3]
    ours = metrics.roc_auc_score(y_true, y_score)
    assert ours == pytest.approx(sk_metrics.roc_auc_score(y_true, y_score), rel=1e-12)


def test_roc_auc_multiclass_ovr_matches_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(6)
    y_true = rng.integers(0, 4, 300)
    logits = rng.normal(size=(300, 4)) + np.eye(4)[y_true]
    y_prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ours = metrics.roc_auc_score(y_true, y_prob)
    theirs = sk_metrics.roc_auc_score(y_true, y_prob, multi_class="ovr")
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_roc_auc_multiclass_labels_argument_matches_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    y_true = ["b", "c", "a", "c", "b", "a"]
    y_prob = np.array(
        [
            [0.2, 0.5, 0.3],
            [0.1, 0.3, 0.6],
            [0.7, 0.2, 0.1],
            [0.3, 0.3, 0.4],
            [0.4, 0.4, 0.2],
            [0.5, 0.1, 0.4],
        ]
    )
    labels = ["a", "b", "c"]
    ours = metrics.roc_auc_score(y_true, y_prob, labels=labels)
    theirs = sk_metrics.roc_auc_score(y_true, y_prob, multi_class="ovr", labels=labels)
    assert ours == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_log_loss_matches_sklearn(n_classes):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(n_classes)
    y_true = rng.integers(0, n_classes, 100)
    y_prob = rng.dirichlet(np.ones(n_classes), size=100)
    y_prob[0] = 0.0
    y_prob[0, (y_true[0] + 1) % n_classes] = 1.0
    ours = metrics.log_loss(y_true, y_prob)
    assert ours == pytest.approx(sk_metrics.log_loss(y_true, y_prob), rel=1e-12)
    weights = rng.random(100)
    weighted = metrics.log_loss(y_true, y_prob, sample_weight=weights)
    expected = sk_metrics.log_loss(y_true, y_prob, sample_weight=weights)
    assert weighted == pytest.approx(expected, rel=1e-12)


def test_log_loss_labels_and_1d_match_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    # y_true lacks class "c", so labels must list it.
    y_true = ["a", "b", "a"]
    y_prob = [[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.5, 0.25, 0.25]]
    ours = metrics.log_loss(y_true, y_prob, labels=["c", "b", "a"])
    with warnings.catch_warnings():
        # scikit-learn warns that it sorts the labels, as fastnn does.
        warnings.simplefilter("ignore")
        theirs = sk_metrics.log_loss(y_true, y_prob, labels=["c", "b", "a"])
    assert ours == pytest.approx(theirs, rel=1e-12)

    y_true = ["spam", "ham", "ham", "spam"]
    y_prob = [0.9, 0.1, 0.2, 0.65]
    ours = metrics.log_loss(y_true, y_prob)
    assert ours == pytest.approx(sk_metrics.log_loss(y_true, y_prob), rel=1e-12)


def test_log_loss_float32_matches_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    y_prob = np.array([[1.0, 0.0], [0.3, 0.7]], dtype=np.float32)
    ours = metrics.log_loss([1, 1], y_prob, labels=[0, 1])
    theirs = sk_metrics.log_loss([1, 1], y_prob, labels=[0, 1])
    assert ours == pytest.approx(theirs, rel=1e-6)


@pytest.mark.parametrize("shape", [(40,), (40, 1), (40, 3)])
def test_regression_metrics_match_sklearn(shape):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(len(shape))
    y_true = rng.normal(size=shape)
    y_pred = y_true + rng.normal(scale=0.5, size=shape)
    weights = rng.random(shape[0])
    for function_name in ("mean_squared_error", "mean_absolute_error", "r2_score"):
        ours = getattr(metrics, function_name)(y_true, y_pred)
        theirs = getattr(sk_metrics, function_name)(y_true, y_pred)
        assert ours == pytest.approx(theirs, rel=1e-12), function_name
        ours = getattr(metrics, function_name)(y_true, y_pred, sample_weight=weights)
        theirs = getattr(sk_metrics, function_name)(y_true, y_pred, sample_weight=weights)
        assert ours == pytest.approx(theirs, rel=1e-12), function_name


def test_r2_2d_with_constant_column_matches_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    y_true = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    y_pred = np.array([[1.5, 5.0], [2.0, 4.0], [2.5, 5.0]])
    ours = metrics.r2_score(y_true, y_pred)
    assert ours == pytest.approx(sk_metrics.r2_score(y_true, y_pred), rel=1e-12)


# ---------------------------------------------------------------------------
# Invalid input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "function_name",
    ["accuracy_score", "confusion_matrix", "precision_score", "balanced_accuracy_score"],
)
def test_label_metric_length_mismatch(function_name):
    with pytest.raises(ValueError, match="different lengths: 3 and 2"):
        getattr(metrics, function_name)([0, 1, 1], [0, 1])


@pytest.mark.parametrize("function_name", ["accuracy_score", "f1_score", "confusion_matrix"])
def test_label_metric_empty_input(function_name):
    with pytest.raises(ValueError, match="y_true is empty"):
        getattr(metrics, function_name)([], [])


def test_mixed_label_types_rejected():
    with pytest.raises(ValueError, match="y_true contains strings and y_pred contains numbers"):
        metrics.accuracy_score(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="mixes strings"):
        metrics.accuracy_score(np.array(["a", 1], dtype=object), ["a", "b"])


def test_continuous_labels_rejected():
    with pytest.raises(ValueError, match="non-integer floats such as 0.5"):
        metrics.f1_score([0.5, 1.0], [1.0, 1.0])


def test_2d_labels_rejected():
    with pytest.raises(ValueError, match=r"must be a 1-D array of labels.*ravel"):
        metrics.f1_score([[0], [1]], [0, 1])


def test_binary_average_with_three_labels():
    with pytest.raises(ValueError, match="average='binary' needs at most two labels"):
        metrics.precision_score([0, 1, 2], [0, 1, 1])


def test_pos_label_not_present():
    with pytest.raises(ValueError, match=r"pos_label=1 is not one of the labels \[0, 2\]"):
        metrics.recall_score([0, 2, 2], [0, 2, 0])
    with pytest.raises(ValueError, match="pos_label=1 is not one of the labels"):
        metrics.f1_score(["no", "yes"], ["yes", "yes"])
    # A single string label with the default pos_label is also a mistake.
    with pytest.raises(ValueError, match="pos_label=1 is not one of the labels"):
        metrics.f1_score(["yes", "yes"], ["yes", "yes"])


def test_invalid_average():
    with pytest.raises(ValueError, match="average must be one of .* got 'samples'"):
        metrics.f1_score([0, 1], [0, 1], average="samples")


def test_invalid_zero_division():
    with pytest.raises(ValueError, match="zero_division must be 0.0, 1.0 or np.nan, got 'warn'"):
        metrics.f1_score([0, 1], [0, 1], zero_division="warn")


def test_labels_argument_errors():
    with pytest.raises(ValueError, match="labels contains duplicates"):
        metrics.f1_score([0, 1, 2], [0, 1, 2], average="macro", labels=[0, 0])
    with pytest.raises(ValueError, match="labels contains strings but the targets contain"):
        metrics.confusion_matrix([0, 1], [0, 1], labels=["a"])
    with pytest.raises(ValueError, match="None of labels"):
        metrics.confusion_matrix([0, 1], [0, 1], labels=[5])


def test_sample_weight_errors():
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(3,\)"):
        metrics.accuracy_score([0, 1, 1], [0, 1, 1], sample_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        metrics.accuracy_score([0, 1], [0, 1], sample_weight=[1.0, -1.0])


def test_balanced_accuracy_adjusted_single_class():
    with pytest.raises(ValueError, match="adjusted=True needs at least two classes"):
        metrics.balanced_accuracy_score([1, 1], [1, 0], adjusted=True)


def test_classification_report_errors():
    with pytest.raises(ValueError, match="target_names has 1 entries but there are 2 labels"):
        metrics.classification_report([0, 1], [0, 1], target_names=["only"])
    with pytest.raises(ValueError, match="digits must be a non-negative integer"):
        metrics.classification_report([0, 1], [0, 1], digits=-1)


def test_roc_auc_nan_score():
    with pytest.raises(ValueError, match="y_score contains NaN or infinity"):
        metrics.roc_auc_score([0, 1], [0.5, np.nan])


def test_roc_auc_errors():
    with pytest.raises(ValueError, match="different lengths: 2 and 3"):
        metrics.roc_auc_score([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y_true is empty"):
        metrics.roc_auc_score([], [])
    with pytest.raises(ValueError, match="contains only the class 1"):
        metrics.roc_auc_score([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="3 classes but y_score is 1-D"):
        metrics.roc_auc_score([0, 1, 2], [0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match=r"2 columns for a binary problem.*y_score\[:, 1\]"):
        metrics.roc_auc_score([0, 1], [[0.4, 0.6], [0.3, 0.7]])
    with pytest.raises(ValueError, match="sum to 1"):
        metrics.roc_auc_score([0, 1, 2], [[0.9, 0.6, 0.1]] * 3)
    with pytest.raises(ValueError, match="multi_class='ovo' is not supported"):
        metrics.roc_auc_score([0, 1, 2], np.eye(3), multi_class="ovo")


def test_roc_auc_multiclass_label_errors():
    with pytest.raises(ValueError, match="has 4 columns but there are 3 labels"):
        metrics.roc_auc_score([0, 1, 2], np.full((3, 4), 0.25))
    with pytest.raises(ValueError, match="Class 3 has no positive or no negative"):
        metrics.roc_auc_score([0, 1, 2], np.full((3, 4), 0.25), labels=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="labels must be sorted"):
        metrics.roc_auc_score([0, 1, 2], np.eye(3), labels=[2, 1, 0])


def test_log_loss_errors():
    with pytest.raises(ValueError, match="contains only the label 1.*labels"):
        metrics.log_loss([1, 1], [0.9, 0.8])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        metrics.log_loss([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match="y_prob contains NaN or infinity"):
        metrics.log_loss([0, 1], [0.5, np.nan])
    with pytest.raises(ValueError, match="y_prob has 3 columns but there are 2 labels"):
        metrics.log_loss([0, 1], np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"missing from labels: \['z'\]"):
        metrics.log_loss(["a", "z"], [0.5, 0.5], labels=["a", "b"])
    with pytest.warns(UserWarning, match="do not sum to 1"):
        metrics.log_loss([0, 1], [[0.5, 0.6], [0.5, 0.5]])


def test_regression_errors():
    with pytest.raises(ValueError, match="different lengths: 2 and 3"):
        metrics.mean_squared_error([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="y_true has 2 outputs and y_pred has 3"):
        metrics.r2_score(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="y_pred contains NaN or infinity"):
        metrics.mean_absolute_error([1.0, 2.0], [np.inf, 2.0])
    with pytest.raises(ValueError, match="y_true is empty"):
        metrics.mean_squared_error([], [])


# ---------------------------------------------------------------------------
# ROC curve and RMSE
# ---------------------------------------------------------------------------


def test_roc_curve_by_hand():
    fpr, tpr, thresholds = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert fpr.tolist() == [0.0, 0.0, 0.5, 0.5, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 0.5, 1.0, 1.0]
    assert thresholds.tolist() == [np.inf, 0.8, 0.4, 0.35, 0.1]


def test_roc_curve_area_equals_roc_auc():
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, 200)
    y_score = np.round(rng.random(200) + 0.3 * y_true, 2)
    fpr, tpr, _ = metrics.roc_curve(y_true, y_score)
    area = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)
    assert area == pytest.approx(metrics.roc_auc_score(y_true, y_score), rel=1e-12)


def test_roc_curve_string_labels_need_pos_label():
    with pytest.raises(ValueError, match=r"pass pos_label to say which one is positive"):
        metrics.roc_curve(["no", "yes"], [0.2, 0.8])
    fpr, tpr, _ = metrics.roc_curve(["no", "yes", "no"], [0.2, 0.8, 0.5], pos_label="yes")
    assert tpr[-1] == 1.0


def test_roc_curve_errors():
    with pytest.raises(ValueError, match=r"roc_curve needs a binary problem"):
        metrics.roc_curve([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"y_score must be 1-D"):
        metrics.roc_curve([0, 1], [[0.1, 0.9], [0.5, 0.5]])
    with pytest.warns(UserWarning, match=r"No negative samples in y_true"):
        fpr, _, _ = metrics.roc_curve([1, 1], [0.2, 0.8])
    assert np.isnan(fpr).all()


@pytest.mark.parametrize("drop_intermediate", [True, False])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_roc_curve_matches_sklearn(drop_intermediate, weighted):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    for trial in range(50):
        n = int(rng.integers(3, 60))
        y_true = rng.integers(0, 2, n)
        y_true[:2] = [0, 1]
        y_score = np.round(rng.random(n), 1)
        weights = None
        if weighted:
            # Some weights are 0; the first two samples keep both classes present.
            weights = rng.random(n) * (rng.random(n) > 0.2)
            weights[:2] = 1.0
        ours = metrics.roc_curve(y_true, y_score, sample_weight=weights,
                                 drop_intermediate=drop_intermediate)
        theirs = sk_metrics.roc_curve(y_true, y_score, sample_weight=weights,
                                      drop_intermediate=drop_intermediate)
        for name, a, b in zip(("fpr", "tpr", "thresholds"), ours, theirs):
            assert np.array_equal(a, b), (trial, name, a, b)


def test_roc_curve_pos_label_matches_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    y_true = ["bad", "good", "good", "bad", "good"]
    y_score = [0.9, 0.2, 0.4, 0.6, 0.1]
    for ours, theirs in zip(metrics.roc_curve(y_true, y_score, pos_label="bad"),
                            sk_metrics.roc_curve(y_true, y_score, pos_label="bad")):
        assert np.array_equal(ours, theirs)


def test_rmse_by_hand():
    assert metrics.root_mean_squared_error([3.0, -0.5, 2.0], [2.5, 0.0, 2.0]) == pytest.approx(
        np.sqrt(1.0 / 6.0), rel=1e-15)


@pytest.mark.parametrize("shape", [(40,), (40, 3)])
def test_rmse_matches_sklearn(shape):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(11)
    y_true = rng.normal(size=shape)
    y_pred = y_true + rng.normal(scale=0.5, size=shape)
    weights = rng.random(shape[0])
    assert metrics.root_mean_squared_error(y_true, y_pred) == sk_metrics.root_mean_squared_error(
        y_true, y_pred)
    ours = metrics.root_mean_squared_error(y_true, y_pred, sample_weight=weights)
    theirs = sk_metrics.root_mean_squared_error(y_true, y_pred, sample_weight=weights)
    assert ours == pytest.approx(theirs, rel=1e-15)
