"""Tests for fastnn.preprocessing, against scikit-learn where it is installed."""

import numpy as np
import pytest

import json
import warnings

from fastnn.preprocessing import LabelEncoder, MinMaxScaler, StandardScaler, TablePreprocessor
from fastnn.tabular import DataError, as_table
from fastnn._table_preprocessor import UnknownCategoryWarning


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


# ---------------------------------------------------------------------------
# MinMaxScaler
# ---------------------------------------------------------------------------


def test_minmax_range():
    X = _sample_matrix()
    X_scaled = MinMaxScaler().fit_transform(X)
    np.testing.assert_allclose(X_scaled.min(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(X_scaled.max(axis=0), 1.0, rtol=1e-15)


@pytest.mark.parametrize("feature_range", [(0, 1), (-1, 1), (2.5, 10.0)])
def test_minmax_matches_sklearn(feature_range):
    sk_preprocessing = pytest.importorskip("sklearn.preprocessing")
    X = np.column_stack([_sample_matrix(), np.full(50, 3.0)])
    ours = MinMaxScaler(feature_range=feature_range).fit(X)
    theirs = sk_preprocessing.MinMaxScaler(feature_range=feature_range).fit(X)
    for name in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name), err_msg=name)
    X_new = X * 1.5 - 2.0
    np.testing.assert_array_equal(ours.transform(X_new), theirs.transform(X_new))
    np.testing.assert_array_equal(ours.inverse_transform(X_new), theirs.inverse_transform(X_new))


def test_minmax_constant_column_is_finite():
    X = np.array([[1.0, 7.0], [3.0, 7.0]])
    X_scaled = MinMaxScaler().fit_transform(X)
    np.testing.assert_array_equal(X_scaled[:, 1], 0.0)


def test_minmax_keeps_float32():
    X = _sample_matrix(np.float32)
    assert MinMaxScaler().fit(X).transform(X).dtype == np.float32


def test_minmax_errors():
    with pytest.raises(ValueError, match=r"feature_range must be finite with low < high"):
        MinMaxScaler(feature_range=(1, 0)).fit([[1.0]])
    with pytest.raises(ValueError, match=r"feature_range must be a pair"):
        MinMaxScaler(feature_range="ab").fit([[1.0]])
    with pytest.raises(ValueError, match="not fitted yet"):
        MinMaxScaler().transform([[1.0]])
    with pytest.raises(ValueError, match="X has 2 features, but MinMaxScaler was fitted with 1"):
        MinMaxScaler().fit([[1.0], [2.0]]).transform([[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"NaN or infinity"):
        MinMaxScaler().fit([[1.0], [np.nan]])


# ---------------------------------------------------------------------------
# TablePreprocessor
# ---------------------------------------------------------------------------


def _loans():
    """A small table with missing values in every kind of column."""
    return {
        "income": [50.0, None, 70.0, 40.0, 90.0, None],
        "grade": ["A", "B", None, "A", "C", "B"],
        "owner": ["yes", "no", "yes", None, "yes", "no"],
        "country": ["DE"] * 6,
    }


def test_table_output_layout():
    prep = TablePreprocessor(scaling=None).fit(_loans())
    assert prep.input_columns_ == ["income", "grade", "owner", "country"]
    assert prep.column_types_ == {"income": "numeric", "grade": "categorical",
                                  "owner": "boolean", "country": "categorical"}
    assert list(prep.feature_names_out_) == ["income", "grade=A", "grade=B", "grade=C", "owner"]
    assert prep.dropped_features_ == ["country=DE"]
    assert prep.n_features_out_ == 5


def test_table_imputation_values():
    prep = TablePreprocessor(scaling=None).fit(_loans())
    assert prep.fill_values_["income"] == 60.0
    assert prep.fill_values_["grade"] == "A"
    assert prep.fill_values_["owner"] == 1.0
    X = prep.transform({"income": [None], "grade": [None], "owner": [None], "country": ["DE"]})
    np.testing.assert_array_equal(X, [[60.0, 1.0, 0.0, 0.0, 1.0]])


def test_table_mean_imputation():
    prep = TablePreprocessor(scaling=None, numeric_imputation="mean").fit(_loans())
    assert prep.fill_values_["income"] == 62.5


def test_table_most_frequent_tie_takes_first_sorted():
    prep = TablePreprocessor().fit({"c": ["b", "a", "b", "a", None], "x": [1.0, 2, 3, 4, 5]})
    assert prep.fill_values_["c"] == "a"


def test_table_missing_category():
    prep = TablePreprocessor(scaling=None, categorical_imputation="missing").fit(_loans())
    assert prep.categories_["grade"] == ["A", "B", "C", "<missing>"]
    assert "grade=<missing>" in list(prep.feature_names_out_)
    X = prep.transform({"income": [1.0], "grade": [None], "owner": ["no"], "country": ["DE"]})
    position = list(prep.feature_names_out_).index("grade=<missing>")
    assert X[0, position] == 1.0


def test_table_missing_indicator():
    prep = TablePreprocessor(scaling=None, missing_indicator=True).fit(_loans())
    names = list(prep.feature_names_out_)
    assert names == ["income", "income_missing", "grade=A", "grade=B", "grade=C",
                     "grade_missing", "owner", "owner_missing"]
    X = prep.transform(_loans())
    np.testing.assert_array_equal(X[:, 1], [0, 1, 0, 0, 0, 1])
    np.testing.assert_array_equal(X[:, 5], [0, 0, 1, 0, 0, 0])


def test_table_standard_scaling():
    prep = TablePreprocessor().fit(_loans())
    X = prep.transform(_loans())
    income = X[:, 0]
    np.testing.assert_allclose(income.mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(income.std(), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(X[:, 1:4].sum(axis=1), 1.0)


def test_table_minmax_scaling():
    X = TablePreprocessor(scaling="minmax").fit_transform(_loans())
    assert X[:, 0].min() == 0.0
    assert X[:, 0].max() == 1.0


def test_table_constant_column_never_nan():
    data = {"x": [1.0, 2.0, 3.0], "const": [5.0, 5.0, 5.0], "flag": ["yes", "yes", "yes"]}
    for scaling in ("standard", "minmax", None):
        prep = TablePreprocessor(scaling=scaling, drop_constant=False).fit(data)
        X = prep.transform(data)
        assert np.isfinite(X).all()
        expected_constant = 5.0 if scaling is None else 0.0
        np.testing.assert_array_equal(X[:, 1], expected_constant)
    prep = TablePreprocessor().fit(data)
    assert list(prep.feature_names_out_) == ["x"]
    assert prep.dropped_features_ == ["const", "flag"]


def test_table_all_constant_raises():
    with pytest.raises(DataError, match=r"every feature is constant over the 3 training rows"):
        TablePreprocessor().fit({"a": [1.0, 1.0, 1.0], "b": ["x", "x", "x"]})


def test_table_unknown_category_warns_with_count():
    prep = TablePreprocessor(scaling=None).fit(_loans())
    new = {"income": [1.0, 2.0, 3.0], "grade": ["Z", "A", "Z"], "owner": ["no"] * 3,
           "country": ["DE"] * 3}
    with pytest.warns(UnknownCategoryWarning,
                      match=r"column 'grade': 2 rows with a category not seen in training "
                            r"\('Z'\), encoded as no category"):
        X = prep.transform(new)
    np.testing.assert_array_equal(X[:, 1:4], [[0, 0, 0], [1, 0, 0], [0, 0, 0]])


def test_table_unknown_category_error():
    prep = TablePreprocessor(handle_unknown="error").fit(_loans())
    new = {"income": [1.0, 2.0], "grade": ["A", "Z"], "owner": ["no"] * 2, "country": ["DE"] * 2}
    with pytest.raises(DataError, match=r"row 1, column 'grade': category 'Z' was not seen in "
                                        r"training"):
        prep.transform(new)


def test_table_ignores_extra_columns_and_order():
    prep = TablePreprocessor().fit(_loans())
    shuffled = {"extra": list("abcdef"), "country": _loans()["country"]}
    shuffled.update({k: v for k, v in reversed(list(_loans().items())) if k != "country"})
    np.testing.assert_array_equal(prep.transform(shuffled), prep.transform(_loans()))


def test_table_missing_column():
    prep = TablePreprocessor().fit(_loans())
    data = _loans()
    del data["grade"], data["owner"]
    with pytest.raises(DataError, match=r"lacks columns 'grade', 'owner' that the model was "
                                        r"trained on"):
        prep.transform(data)


def test_table_unparsable_value_at_transform():
    prep = TablePreprocessor().fit(_loans())
    data = _loans()
    data["income"] = ["1", "2", "oops", "4", "5", "6"]
    with pytest.raises(DataError, match=r"row 2, column 'income': 'oops' is not a number"):
        prep.transform(data)


def test_table_types_and_drop_parameters():
    data = {"id": ["1", "2", "3"], "zip": [10115.0, 80331.0, 10115.0], "x": [0.5, 0.1, 0.2]}
    prep = TablePreprocessor(types={"zip": "categorical"}, drop=["id"]).fit(data)
    assert prep.input_columns_ == ["zip", "x"]
    assert list(prep.feature_names_out_) == ["zip=10115", "zip=80331", "x"]


def test_table_many_categories_warn():
    data = {"name": ["n%d" % i for i in range(40)], "x": np.arange(40.0)}
    with pytest.warns(UserWarning, match=r"column 'name' has 40 distinct values in 40 rows"):
        TablePreprocessor().fit(data)


def test_table_state_round_trip_is_exact():
    prep = TablePreprocessor(missing_indicator=True).fit(_loans())
    state = json.loads(json.dumps(prep.to_dict()))
    copy = TablePreprocessor.from_dict(state)
    new = {"income": [55.5, None], "grade": ["C", "Z"], "owner": ["no", None], "country": ["DE", "FR"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCategoryWarning)
        np.testing.assert_array_equal(copy.transform(new), prep.transform(new))
    assert list(copy.feature_names_out_) == list(prep.feature_names_out_)


def test_table_minmax_state_round_trip_is_exact():
    prep = TablePreprocessor(scaling="minmax").fit(_loans())
    copy = TablePreprocessor.from_dict(json.loads(json.dumps(prep.to_dict())))
    np.testing.assert_array_equal(copy.transform(_loans()), prep.transform(_loans()))


def test_table_state_newer_version():
    state = TablePreprocessor().fit(_loans()).to_dict()
    state["version"] = 99
    with pytest.raises(ValueError, match=r"saved by a newer fastnn \(version 99"):
        TablePreprocessor.from_dict(state)
    state["version"] = 1
    del state["columns"]
    with pytest.raises(ValueError, match=r"incomplete or malformed"):
        TablePreprocessor.from_dict(state)


def test_table_invalid_parameters():
    with pytest.raises(ValueError, match=r"scaling must be one of 'standard', 'minmax', None"):
        TablePreprocessor(scaling="robust").fit(_loans())
    with pytest.raises(TypeError, match=r"missing_indicator must be True or False"):
        TablePreprocessor(missing_indicator="yes").fit(_loans())
    with pytest.raises(ValueError, match="not fitted yet"):
        TablePreprocessor().transform(_loans())


def test_table_accepts_table_and_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(_loans())
    from_frame = TablePreprocessor().fit(frame).transform(frame)
    from_table = TablePreprocessor().fit(as_table(_loans())).transform(_loans())
    np.testing.assert_array_equal(from_frame, from_table)


def test_table_matches_sklearn_column_transformer():
    compose = pytest.importorskip("sklearn.compose")
    impute = pytest.importorskip("sklearn.impute")
    pipeline = pytest.importorskip("sklearn.pipeline")
    sk_preprocessing = pytest.importorskip("sklearn.preprocessing")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    n = 200
    income = rng.normal(50, 12, n)
    income[rng.random(n) < 0.1] = np.nan
    age = rng.integers(18, 80, n).astype(float)
    grade = rng.choice(["A", "B", "C", "D"], n).astype(object)
    grade[rng.random(n) < 0.1] = None
    frame = pd.DataFrame({"income": income, "grade": grade, "age": age})

    ours = TablePreprocessor(missing_indicator=True, drop_constant=False).fit(frame)

    # One transformer per column keeps the columns in input order, as ours does.
    numeric = pipeline.make_pipeline(
        impute.SimpleImputer(strategy="median", add_indicator=True),
        compose.ColumnTransformer([("value", sk_preprocessing.StandardScaler(), [0]),
                                   ("indicator", "passthrough", [1])]),
    )
    categorical = pipeline.make_pipeline(
        impute.SimpleImputer(strategy="most_frequent"),
        sk_preprocessing.OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    theirs = compose.ColumnTransformer([
        ("income", numeric, ["income"]),
        ("grade", categorical, ["grade"]),
        ("age", sk_preprocessing.StandardScaler(), ["age"]),
    ])
    theirs.fit(frame)
    # Without the indicator for grade, which scikit-learn would one-hot encode.
    ours_X = ours.transform(frame)
    keep = [name != "grade_missing" for name in ours.feature_names_out_]
    np.testing.assert_allclose(ours_X[:, keep], theirs.transform(frame), rtol=1e-12, atol=1e-12)

    new = pd.DataFrame({"income": [np.nan, 61.5], "grade": ["E", None], "age": [30.0, 90.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCategoryWarning)
        ours_new = ours.transform(new)[:, keep]
    np.testing.assert_allclose(ours_new, theirs.transform(new), rtol=1e-12, atol=1e-12)
