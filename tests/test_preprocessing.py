"""Tests for fastnn.preprocessing, against scikit-learn where it is installed."""

import numpy as np
import pytest

from fastnn.preprocessing import LabelEncoder, StandardScaler


def _sample_matrix(dtype=np.float64):
    rng = np.random.default_rng(0)
    X = rng.normal(loc=[0.0, 5.0, -3.0], scale=[1.0, 10.0, 0.01], size=(50, 3))
    return X.astype(dtype)


# ---------------------------------------------------------------------------
# StandardScaler
# ---------------------------------------------------------------------------


def test_scaler_zero_mean_unit_variance():
    X_scaled = StandardScaler().fit_transform(_sample_matrix())
    np.testing.assert_allclose(X_scaled.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_scaled.std(axis=0), 1.0, rtol=1e-12)


def test_scaler_attributes():
    X = _sample_matrix()
    scaler = StandardScaler().fit(X)
    assert scaler.n_features_in_ == 3
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.var_, X.var(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, X.std(axis=0), rtol=1e-12)


def test_scaler_inverse_round_trip():
    X = _sample_matrix()
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(X)), X, rtol=1e-12)


def test_scaler_constant_column_gets_scale_one():
    X = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    scaler = StandardScaler().fit(X)
    assert scaler.scale_[1] == 1.0
    assert scaler.var_[1] == 0.0
    X_scaled = scaler.transform(X)
    assert np.all(np.isfinite(X_scaled))
    np.testing.assert_array_equal(X_scaled[:, 1], 0.0)


def test_scaler_near_constant_column_gets_scale_one():
    # 0.1 repeated: the computed mean differs from 0.1 only by rounding.
    X = np.full((1000, 1), 0.1)
    X[0, 0] = np.nextafter(0.1, 1.0)
    scaler = StandardScaler().fit(X)
    assert scaler.scale_[0] == 1.0


def test_scaler_single_row():
    scaler = StandardScaler().fit([[1.0, 2.0]])
    np.testing.assert_array_equal(scaler.scale_, [1.0, 1.0])
    np.testing.assert_array_equal(scaler.transform([[1.0, 2.0]]), [[0.0, 0.0]])


def test_scaler_keeps_float32():
    X = _sample_matrix(np.float32)
    scaler = StandardScaler().fit(X)
    X_scaled = scaler.transform(X)
    assert X_scaled.dtype == np.float32
    assert scaler.inverse_transform(X_scaled).dtype == np.float32
    # Column 2 has mean -3 and std 0.01: float32 rounding of the inputs
    # (about 3e-7 absolute) is about 3e-5 after scaling.
    np.testing.assert_allclose(X_scaled.mean(axis=0), 0.0, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, bool, np.float16])
def test_scaler_converts_other_dtypes_to_float64(dtype):
    X = np.array([[0, 1], [1, 1], [1, 0]]).astype(dtype)
    X_scaled = StandardScaler().fit_transform(X)
    assert X_scaled.dtype == np.float64


def test_scaler_accepts_lists():
    X_scaled = StandardScaler().fit_transform([[0, 10], [2, 30]])
    np.testing.assert_array_equal(X_scaled, [[-1.0, -1.0], [1.0, 1.0]])


def test_scaler_copy_true_leaves_input():
    X = _sample_matrix()
    original = X.copy()
    StandardScaler().fit(X).transform(X)
    np.testing.assert_array_equal(X, original)


def test_scaler_copy_false_works_in_place():
    X = _sample_matrix()
    scaler = StandardScaler(copy=False).fit(X)
    X_scaled = scaler.transform(X)
    assert X_scaled is X
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)


def test_scaler_copy_false_read_only_input():
    X = _sample_matrix()
    X.flags.writeable = False
    X_scaled = StandardScaler(copy=False).fit(X).transform(X)
    assert X_scaled is not X
    assert np.all(np.isfinite(X_scaled))


def test_scaler_without_mean():
    X = _sample_matrix()
    scaler = StandardScaler(with_mean=False).fit(X)
    np.testing.assert_allclose(scaler.transform(X), X / X.std(axis=0), rtol=1e-12)
    assert scaler.mean_ is not None


def test_scaler_without_std():
    X = _sample_matrix()
    scaler = StandardScaler(with_std=False).fit(X)
    assert scaler.scale_ is None
    assert scaler.var_ is None
    np.testing.assert_allclose(scaler.transform(X), X - X.mean(axis=0), rtol=1e-12)


def test_scaler_without_mean_and_std_is_identity():
    X = _sample_matrix()
    scaler = StandardScaler(with_mean=False, with_std=False).fit(X)
    assert scaler.mean_ is None
    np.testing.assert_array_equal(scaler.transform(X), X)


@pytest.mark.parametrize("with_mean", [True, False])
@pytest.mark.parametrize("with_std", [True, False])
def test_scaler_matches_sklearn(with_mean, with_std):
    sk_preprocessing = pytest.importorskip("sklearn.preprocessing")
    X = _sample_matrix()
    X[:, 2] = 4.0
    ours = StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    theirs = sk_preprocessing.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-12, atol=1e-12)
    for name in ("mean_", "var_", "scale_"):
        if getattr(theirs, name) is None or getattr(ours, name) is None:
            continue
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12)
    if with_std:
        np.testing.assert_allclose(ours.scale_, theirs.scale_, rtol=1e-12)


def test_scaler_float32_matches_sklearn():
    sk_preprocessing = pytest.importorskip("sklearn.preprocessing")
    X = _sample_matrix(np.float32)
    ours = StandardScaler().fit_transform(X)
    theirs = sk_preprocessing.StandardScaler().fit_transform(X)
    assert theirs.dtype == ours.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_scaler_rejects_nan_with_column_index():
    X = _sample_matrix()
    X[4, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinity in column\(s\) \[2\]"):
        StandardScaler().fit(X)


def test_scaler_rejects_inf_in_transform():
    scaler = StandardScaler().fit(_sample_matrix())
    X = _sample_matrix()
    X[0, 0] = np.inf
    X[1, 1] = -np.inf
    with pytest.raises(ValueError, match=r"column\(s\) \[0, 1\]"):
        scaler.transform(X)


def test_scaler_wrong_number_of_columns():
    scaler = StandardScaler().fit(_sample_matrix())
    with pytest.raises(ValueError, match="X has 2 features, but StandardScaler was fitted with 3"):
        scaler.transform(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="X has 4 features"):
        scaler.inverse_transform(np.zeros((4, 4)))


def test_scaler_not_fitted():
    with pytest.raises(ValueError, match="not fitted yet. Call fit"):
        StandardScaler().transform([[1.0]])


def test_scaler_rejects_1d_and_empty():
    with pytest.raises(ValueError, match=r"expects a 2-D X.*reshape\(-1, 1\)"):
        StandardScaler().fit([1.0, 2.0])
    with pytest.raises(ValueError, match="at least one sample and one feature"):
        StandardScaler().fit(np.zeros((0, 3)))


def test_scaler_rejects_non_numeric():
    with pytest.raises(TypeError, match="expects numeric X, got dtype <U1"):
        StandardScaler().fit([["a", "b"]])
    with pytest.raises(TypeError, match="dtype object with non-numeric values"):
        StandardScaler().fit(np.array([[1.0, "a"]], dtype=object))


def test_scaler_accepts_numeric_object_array():
    X = np.array([[1, 2.0], [3, 4.0]], dtype=object)
    np.testing.assert_array_equal(StandardScaler().fit_transform(X), [[-1.0, -1.0], [1.0, 1.0]])


def test_scaler_rejects_non_bool_parameter():
    with pytest.raises(TypeError, match="with_mean must be True or False, got 'yes'"):
        StandardScaler(with_mean="yes").fit([[1.0]])


# ---------------------------------------------------------------------------
# LabelEncoder
# ---------------------------------------------------------------------------


def test_label_encoder_round_trip_strings():
    y = ["dog", "cat", "bird", "cat"]
    encoder = LabelEncoder()
    codes = encoder.fit_transform(y)
    np.testing.assert_array_equal(encoder.classes_, ["bird", "cat", "dog"])
    np.testing.assert_array_equal(codes, [2, 1, 0, 1])
    assert codes.dtype == np.int64
    np.testing.assert_array_equal(encoder.inverse_transform(codes), y)


def test_label_encoder_ints():
    encoder = LabelEncoder().fit([10, -3, 10, 7])
    np.testing.assert_array_equal(encoder.classes_, [-3, 7, 10])
    np.testing.assert_array_equal(encoder.transform([7, 10]), [1, 2])


def test_label_encoder_object_strings():
    encoder = LabelEncoder().fit(np.array(["b", "a"], dtype=object))
    np.testing.assert_array_equal(encoder.transform(["a", "b"]), [0, 1])


def test_label_encoder_empty_transform():
    encoder = LabelEncoder().fit([1, 2])
    assert encoder.transform([]).shape == (0,)
    assert encoder.inverse_transform(np.array([], dtype=int)).shape == (0,)


def test_label_encoder_matches_sklearn():
    sk_preprocessing = pytest.importorskip("sklearn.preprocessing")
    rng = np.random.default_rng(1)
    y = rng.choice(["setosa", "virginica", "versicolor", "x"], size=40)
    ours = LabelEncoder().fit(y)
    theirs = sk_preprocessing.LabelEncoder().fit(y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.transform(y), theirs.transform(y))


def test_label_encoder_unseen_labels_listed():
    encoder = LabelEncoder().fit(["a", "b"])
    with pytest.raises(ValueError, match=r"not seen in fit: \['c', 'd'\]"):
        encoder.transform(["a", "d", "c", "d"])


def test_label_encoder_many_unseen_labels_truncated():
    encoder = LabelEncoder().fit([0])
    with pytest.raises(ValueError, match=r"\[1, 2, 3, 4, 5, \.\.\. \(9 in total\)\]"):
        encoder.transform(np.arange(10))


def test_label_encoder_type_mismatch():
    encoder = LabelEncoder().fit(["a", "b"])
    with pytest.raises(ValueError, match="y contains numbers but the encoder was fitted on str"):
        encoder.transform([0, 1])


def test_label_encoder_invalid_codes():
    encoder = LabelEncoder().fit(["a", "b"])
    with pytest.raises(ValueError, match=r"codes must be in \[0, 2\), got \[-1, 2\]"):
        encoder.inverse_transform([0, 2, -1])
    with pytest.raises(TypeError, match="codes must be integers"):
        encoder.inverse_transform([0.5])


def test_label_encoder_bad_input():
    with pytest.raises(ValueError, match="not fitted yet"):
        LabelEncoder().transform(["a"])
    with pytest.raises(ValueError, match="y is empty"):
        LabelEncoder().fit([])
    with pytest.raises(ValueError, match=r"y must be 1-D.*ravel"):
        LabelEncoder().fit([[1, 2]])
    with pytest.raises(ValueError, match="mixes strings and other values"):
        LabelEncoder().fit(np.array(["a", 1], dtype=object))
    with pytest.raises(ValueError, match="y contains NaN"):
        LabelEncoder().fit([1.0, np.nan])
