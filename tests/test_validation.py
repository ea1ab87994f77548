"""Input and hyperparameter checks of the public entry points.

Every rejected input must raise ValueError or TypeError with a message that
names the argument and the value received.
"""

import warnings

import numpy as np
import pytest

import fastnn
from fastnn import MLP, MLPClassifier, MLPRegressor, NonFiniteLossError
from fastnn._estimators import ConvergenceWarning

N_ROWS, N_FEATURES = 40, 3

# The models here train for one to five epochs on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::fastnn._estimators.ConvergenceWarning")


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_ROWS, N_FEATURES))
    y_class = (X[:, 0] > 0).astype(np.int64)
    y_value = X[:, 0] - X[:, 1]
    return X, y_class, y_value


def _with_value(X, row, column, value):
    X = X.copy()
    X[row, column] = value
    return X


X_GOOD, Y_CLASS, Y_VALUE = _data()

# (case id, bad X, exception type, message pattern)
BAD_X_CASES = [
    ("1-D", X_GOOD[:, 0], ValueError,
     r"X must be 2-D \(rows x features\), got a 1-D array of shape \(40,\)\. Reshape your "
     r"data with X\.reshape\(-1, 1\)"),
    ("3-D", X_GOOD.reshape(N_ROWS, N_FEATURES, 1), ValueError,
     r"X must be 2-D \(rows x features\), got 3 dimension\(s\) with shape \(40, 3, 1\)"),
    ("no-rows", np.empty((0, N_FEATURES)), ValueError,
     r"X has 0 sample\(s\) \(shape=\(0, 3\)\) while a minimum of 1 is required"),
    ("no-columns", np.empty((N_ROWS, 0)), ValueError,
     r"X has 0 feature\(s\) \(shape=\(40, 0\)\) while a minimum of 1 is required"),
    ("nan", _with_value(X_GOOD, 5, 2, np.nan), ValueError,
     r"X contains 1 NaN value\(s\) in column\(s\) 2"),
    ("inf", _with_value(X_GOOD, 7, 1, -np.inf), ValueError,
     r"X contains 1 infinite value\(s\) in column\(s\) 1"),
    ("object-strings", np.array([["a", "b", "c"]] * N_ROWS, dtype=object), TypeError,
     r"X contains non-numeric values \(dtype object, for example 'a'\): could not convert"),
    ("object-dict", np.array([[{"a": 1}, 2.0, 3.0]] * N_ROWS, dtype=object), TypeError,
     r"X contains non-numeric values \(dtype object, for example \{'a': 1\}\): float\(\) "
     r"argument must be a string or a real number"),
    ("unicode-strings", np.array([["1", "2", "x"]] * N_ROWS), TypeError,
     r"X contains non-numeric values \(dtype <U1\)"),
    ("complex", X_GOOD.astype(np.complex128), ValueError,
     r"X has complex dtype complex128\. Complex data not supported"),
]
BAD_X_IDS = [case[0] for case in BAD_X_CASES]


def _fit_mlp(X, y_class, y_value, **fit_kwargs):
    return MLP([N_FEATURES, 4, 2], random_state=0).fit(X, y_class, epochs=1, **fit_kwargs)


def _fit_classifier(X, y_class, y_value, **fit_kwargs):
    return MLPClassifier((4,), max_iter=1, random_state=0).fit(X, y_class, **fit_kwargs)


def _fit_regressor(X, y_class, y_value, **fit_kwargs):
    return MLPRegressor(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(X, y_value, **fit_kwargs)


FITTERS = {"MLP": _fit_mlp, "MLPClassifier": _fit_classifier, "MLPRegressor": _fit_regressor}


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {name: fit(X_GOOD, Y_CLASS, Y_VALUE) for name, fit in FITTERS.items()}


# (model name, method name) of every call that takes X after fitting
PREDICT_METHODS = [
    ("MLP", "predict"),
    ("MLP", "predict_proba"),
    ("MLP", "decision_function"),
    ("MLPClassifier", "predict"),
    ("MLPClassifier", "predict_proba"),
    ("MLPClassifier", "predict_log_proba"),
    ("MLPRegressor", "predict"),
]


# ---- bad X ------------------------------------------------------------------


@pytest.mark.parametrize("fitter", FITTERS)
@pytest.mark.parametrize("case, X, error, pattern", BAD_X_CASES, ids=BAD_X_IDS)
def test_fit_bad_X(fitter, case, X, error, pattern):
    with pytest.raises(error, match=pattern):
        FITTERS[fitter](X, Y_CLASS, Y_VALUE)


@pytest.mark.parametrize("model, method", PREDICT_METHODS)
@pytest.mark.parametrize("case, X, error, pattern", BAD_X_CASES, ids=BAD_X_IDS)
def test_predict_bad_X(fitted, model, method, case, X, error, pattern):
    with pytest.raises(error, match=pattern):
        getattr(fitted[model], method)(X)


@pytest.mark.parametrize("model", ["MLPClassifier", "MLPRegressor"])
def test_score_bad_X(fitted, model):
    y = Y_CLASS if model == "MLPClassifier" else Y_VALUE
    with pytest.raises(ValueError, match=r"X contains 1 NaN value\(s\) in column\(s\) 0"):
        fitted[model].score(_with_value(X_GOOD, 0, 0, np.nan), y)


def test_forward_backward_bad_X(fitted):
    with pytest.raises(ValueError, match=r"X contains 1 infinite value\(s\) in column\(s\) 2"):
        fitted["MLP"].forward_backward(_with_value(X_GOOD, 3, 2, np.inf), Y_CLASS)


def test_nan_columns_listed(fitted):
    X = _with_value(_with_value(X_GOOD, 0, 0, np.nan), 9, 2, np.nan)
    with pytest.raises(ValueError, match=r"X contains 2 NaN value\(s\) in column\(s\) 0, 2"):
        fitted["MLPClassifier"].predict(X)


@pytest.mark.parametrize("fitter", FITTERS)
def test_fit_length_mismatch(fitter):
    pattern = r"inconsistent numbers of rows: X has 40, y has 30"
    with pytest.raises(ValueError, match=pattern):
        FITTERS[fitter](X_GOOD, Y_CLASS[:30], Y_VALUE[:30])


@pytest.mark.parametrize("model, method", PREDICT_METHODS)
def test_predict_feature_count(fitted, model, method):
    pattern = r"X has 2 features, but .* expect(s|ing) 3"
    with pytest.raises(ValueError, match=pattern):
        getattr(fitted[model], method)(X_GOOD[:, :2])


# ---- hyperparameters --------------------------------------------------------

# (parameters, exception type, message pattern), checked for both estimators
ESTIMATOR_PARAM_CASES = [
    ({"activation": "swish"}, ValueError,
     r"activation must be one of 'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', "
     r"'gelu', got 'swish'"),
    ({"solver": "rmsprop"}, ValueError,
     r"solver must be one of 'lbfgs', 'sgd', 'adam', got 'rmsprop'"),
    ({"learning_rate": "fast"}, ValueError, r"learning_rate must be one of .*got 'fast'"),
    ({"learning_rate_init": -0.1}, ValueError, r"learning_rate_init must be > 0, got -0\.1"),
    ({"learning_rate_init": 0.0}, ValueError, r"learning_rate_init must be > 0, got 0\.0"),
    ({"batch_size": 0}, ValueError, r"batch_size must be >= 1, got 0"),
    ({"batch_size": "large"}, TypeError, r"batch_size must be 'auto' or an integer >= 1, got 'large'"),
    ({"batch_size": 2.5}, TypeError, r"batch_size must be 'auto' or an integer >= 1, got 2\.5"),
    ({"max_iter": 0}, ValueError, r"max_iter must be >= 1, got 0"),
    ({"max_iter": 2.5}, TypeError, r"max_iter must be an integer, got 2\.5"),
    ({"hidden_layer_sizes": (0,)}, ValueError, r"hidden_layer_sizes\[0\] must be >= 1, got 0"),
    ({"hidden_layer_sizes": (8, -3)}, ValueError,
     r"hidden_layer_sizes\[1\] must be >= 1, got -3"),
    ({"hidden_layer_sizes": (4.5,)}, TypeError,
     r"hidden_layer_sizes\[0\] must be an integer, got 4\.5"),
    ({"hidden_layer_sizes": ("8",)}, TypeError,
     r"hidden_layer_sizes\[0\] must be an integer, got '8'"),
    ({"hidden_layer_sizes": None}, TypeError,
     r"hidden_layer_sizes must be an int or a sequence of ints, got None"),
    ({"alpha": -1.0}, ValueError, r"alpha must be >= 0, got -1\.0"),
    ({"alpha": np.nan}, ValueError, r"alpha must be >= 0, got nan"),
    ({"momentum": 1.5}, ValueError, r"momentum must be in \[0, 1\], got 1\.5"),
    ({"beta_1": 1.0}, ValueError, r"beta_1 must be in \[0, 1\), got 1\.0"),
    ({"epsilon": 0.0}, ValueError, r"epsilon must be > 0, got 0\.0"),
    ({"tol": -1e-3}, ValueError, r"tol must be >= 0, got -0\.001"),
    ({"n_iter_no_change": 0}, ValueError, r"n_iter_no_change must be >= 1, got 0"),
    ({"early_stopping": True, "validation_fraction": 0.0}, ValueError,
     r"validation_fraction must be in \(0, 1\), got 0\.0"),
    ({"early_stopping": True, "validation_fraction": 1.0}, ValueError,
     r"validation_fraction must be in \(0, 1\), got 1\.0"),
    ({"early_stopping": True, "validation_fraction": -0.1}, ValueError,
     r"validation_fraction must be in \(0, 1\), got -0\.1"),
    ({"early_stopping": True, "validation_fraction": 1.5}, ValueError,
     r"validation_fraction must be in \(0, 1\), got 1\.5"),
    ({"validation_fraction": 1.0}, ValueError, r"validation_fraction must be in \[0, 1\), got 1\.0"),
    ({"power_t": -0.5}, ValueError, r"power_t must be >= 0, got -0\.5"),
    ({"beta_2": 1.0}, ValueError, r"beta_2 must be in \[0, 1\), got 1\.0"),
    ({"max_fun": 0}, ValueError, r"max_fun must be >= 1, got 0"),
    ({"n_iter_no_change": 2.5}, TypeError, r"n_iter_no_change must be an integer, got 2\.5"),
    ({"shuffle": "yes"}, TypeError, r"shuffle must be True or False, got 'yes'"),
    ({"warm_start": 1}, TypeError, r"warm_start must be True or False, got 1"),
    ({"early_stopping": None}, TypeError, r"early_stopping must be True or False, got None"),
    ({"nesterovs_momentum": "false"}, TypeError,
     r"nesterovs_momentum must be True or False, got 'false'"),
    ({"verbose": -1}, ValueError, r"verbose must be >= 0, got -1"),
    ({"verbose": "loud"}, TypeError, r"verbose must be an integer, got 'loud'"),
    ({"hidden_layer_sizes": True}, TypeError,
     r"hidden_layer_sizes must be an int or a sequence of ints, got True"),
]


def _param_id(case):
    return "-".join("%s=%s" % item for item in case[0].items())


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("params, error, pattern", ESTIMATOR_PARAM_CASES,
                         ids=[_param_id(c) for c in ESTIMATOR_PARAM_CASES])
def test_estimator_bad_param(cls, params, error, pattern):
    estimator = cls(random_state=0, **params)
    y = Y_CLASS if cls is MLPClassifier else Y_VALUE
    with pytest.raises(error, match=pattern):
        estimator.fit(X_GOOD, y)
    assert not hasattr(estimator, "n_iter_")


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("seed, error, pattern", [
    (-1, ValueError, r"random_state must be >= 0 when it is an int, got -1"),
    ("seed", TypeError, r"random_state must be None, an int >= 0, a numpy\.random\.Generator "
                        r"or a numpy\.random\.RandomState, got 'seed'"),
    (1.5, TypeError, r"random_state must be None, an int >= 0.*got 1\.5"),
], ids=["negative", "string", "float"])
def test_estimator_bad_random_state(cls, seed, error, pattern):
    estimator = cls(random_state=seed)
    y = Y_CLASS if cls is MLPClassifier else Y_VALUE
    with pytest.raises(error, match=pattern):
        estimator.fit(X_GOOD, y)
    assert not hasattr(estimator, "n_iter_")


def test_regressor_bad_loss():
    with pytest.raises(ValueError, match=r"loss must be one of 'squared_error', 'poisson', "
                                         r"got 'absolute_error'"):
        MLPRegressor(loss="absolute_error").fit(X_GOOD, Y_VALUE)


def test_invalid_parameter_is_value_and_type_error():
    # like scikit-learn's InvalidParameterError, so either except clause catches it
    for params in ({"alpha": "big"}, {"alpha": -1.0}):
        with pytest.raises(ValueError):
            MLPClassifier(**params).fit(X_GOOD, Y_CLASS)
        with pytest.raises(TypeError):
            MLPClassifier(**params).fit(X_GOOD, Y_CLASS)


# Values at the edges of scikit-learn's allowed ranges, and other accepted types
ACCEPTED_PARAM_CASES = [
    {"validation_fraction": 0.0},
    {"n_iter_no_change": np.inf},
    {"verbose": 0},
    {"shuffle": np.bool_(False)},
    {"random_state": np.random.RandomState(0)},
    {"random_state": np.random.default_rng(0)},
    {"random_state": np.int64(3)},
    {"hidden_layer_sizes": 3},
    {"hidden_layer_sizes": np.array([3, 2])},
    {"hidden_layer_sizes": ()},
    {"batch_size": np.int32(8)},
    {"momentum": 0.0, "solver": "sgd"},
    {"beta_1": 0.0},
    {"alpha": 0.0, "tol": 0.0, "power_t": 0.0},
]


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("params", ACCEPTED_PARAM_CASES,
                         ids=["-".join(map(str, case)) for case in ACCEPTED_PARAM_CASES])
def test_estimator_accepted_param(cls, params):
    y = Y_CLASS if cls is MLPClassifier else Y_VALUE
    estimator = cls(max_iter=2, **params).fit(X_GOOD, y)
    assert estimator.n_iter_ == 2


def test_estimator_bad_param_via_set_params():
    estimator = MLPClassifier(random_state=0).set_params(alpha=-2.0)
    with pytest.raises(ValueError, match=r"alpha must be >= 0, got -2\.0"):
        estimator.fit(X_GOOD, Y_CLASS)


MLP_INIT_CASES = [
    ({"layer_sizes": [3, 0, 2]}, ValueError, r"layer_sizes\[1\] must be >= 1, got 0"),
    ({"layer_sizes": [3, -4, 2]}, ValueError, r"layer_sizes\[1\] must be >= 1, got -4"),
    ({"layer_sizes": [3, 4.5, 2]}, TypeError, r"layer_sizes\[1\] must be an integer, got 4\.5"),
    ({"layer_sizes": [3]}, ValueError,
     r"layer_sizes needs at least the input and output widths, got \[3\]"),
    ({"layer_sizes": 3}, TypeError, r"layer_sizes must be a sequence of ints .*got 3"),
    ({"activation": "swish"}, ValueError, r"activation must be one of .*got 'swish'"),
    ({"activation": ["relu", "tanh"]}, ValueError,
     r"activation lists 2 entries but the network has 1 hidden layer\(s\)"),
    ({"output": "sigmoid"}, ValueError,
     r"output must be one of 'identity', 'logistic', 'softmax', 'exp', got 'sigmoid'"),
    ({"dtype": "int32"}, ValueError, r"dtype must be 'float32' or 'float64', got 'int32'"),
    ({"init": "zeros"}, ValueError, r"init must be one of .*got 'zeros'"),
]


@pytest.mark.parametrize("kwargs, error, pattern", MLP_INIT_CASES,
                         ids=[_param_id(c) for c in MLP_INIT_CASES])
def test_mlp_bad_constructor(kwargs, error, pattern):
    arguments = {"layer_sizes": [3, 4, 2], **kwargs}
    with pytest.raises(error, match=pattern):
        MLP(**arguments)


MLP_FIT_CASES = [
    ({"optimizer": "rmsprop"}, ValueError,
     r"optimizer must be one of 'sgd', 'adam', got 'rmsprop'"),
    ({"learning_rate": -0.1}, ValueError, r"learning_rate must be > 0, got -0\.1"),
    ({"learning_rate": np.inf}, ValueError, r"learning_rate must be > 0, got inf"),
    ({"batch_size": 0}, ValueError, r"batch_size must be >= 1, got 0"),
    ({"epochs": 0}, ValueError, r"epochs must be >= 1, got 0"),
    ({"epochs": "5"}, TypeError, r"epochs must be an integer, got '5'"),
    ({"alpha": -1.0}, ValueError, r"alpha must be >= 0, got -1\.0"),
    ({"momentum": 1.5}, ValueError, r"momentum must be in \[0, 1\], got 1\.5"),
    ({"validation_data": np.zeros((4, 3))}, TypeError,
     r"validation_data must be a tuple \(X_val, y_val\)"),
]


@pytest.mark.parametrize("kwargs, error, pattern", MLP_FIT_CASES,
                         ids=[_param_id(c) for c in MLP_FIT_CASES])
def test_mlp_bad_fit_argument(kwargs, error, pattern):
    net = MLP([N_FEATURES, 4, 2], random_state=0)
    before = net.params.copy()
    with pytest.raises(error, match=pattern):
        net.fit(X_GOOD, Y_CLASS, **kwargs)
    assert np.array_equal(net.params, before)


def test_mlp_labels_out_of_range():
    net = MLP([N_FEATURES, 4, 2], random_state=0)
    with pytest.raises(ValueError, match=r"y must hold integer class indices in \[0, 2\).*to 3"):
        net.fit(X_GOOD, np.where(Y_CLASS == 1, 3, 0), epochs=1)


def test_mlp_validation_feature_count():
    net = MLP([N_FEATURES, 4, 2], random_state=0)
    with pytest.raises(ValueError, match=r"X_val has 2 features, but the network expects 3"):
        net.fit(X_GOOD, Y_CLASS, epochs=1, validation_data=(X_GOOD[:, :2], Y_CLASS))


# ---- targets ----------------------------------------------------------------


@pytest.mark.parametrize(
    "y, pattern",
    [
        (np.zeros(N_ROWS, dtype=np.int64), r"y has only one class \(.*0.*\)"),
        (np.array(["spam"] * N_ROWS), r"y has only one class \(.*'spam'.*\)"),
    ],
    ids=["int", "string"],
)
def test_classifier_one_class(y, pattern):
    with pytest.raises(ValueError, match=pattern):
        MLPClassifier((4,), max_iter=1).fit(X_GOOD, y)


def test_classifier_continuous_y():
    y = np.linspace(0.0, 1.0, N_ROWS) + 0.05
    with pytest.raises(ValueError, match=r"Unknown label type: continuous.*0\.05.*MLPRegressor"):
        MLPClassifier((4,), max_iter=1).fit(X_GOOD, y)


def test_classifier_nan_y():
    y = Y_CLASS.astype(float)
    y[4] = np.nan
    with pytest.raises(ValueError, match=r"y contains NaN or infinite labels"):
        MLPClassifier((4,), max_iter=1).fit(X_GOOD, y)


def test_classifier_3d_y():
    with pytest.raises(ValueError, match=r"y must be 1-D class labels or a 2-D indicator "
                                         r"matrix, got shape \(40, 1, 1\)"):
        MLPClassifier((4,), max_iter=1).fit(X_GOOD, Y_CLASS.reshape(-1, 1, 1))


def test_classifier_bad_indicator():
    Y = np.stack([Y_CLASS, 2 * Y_CLASS], axis=1)
    with pytest.raises(ValueError, match=r"a 2-D y must be a 0/1 indicator matrix"):
        MLPClassifier((4,), max_iter=1).fit(X_GOOD, Y)


@pytest.mark.parametrize(
    "value, pattern",
    [(np.nan, r"y contains 1 NaN value\(s\)"), (np.inf, r"y contains 1 infinite value\(s\)")],
    ids=["nan", "inf"],
)
def test_regressor_nonfinite_y(value, pattern):
    y = Y_VALUE.copy()
    y[6] = value
    with pytest.raises(ValueError, match=pattern):
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=1).fit(X_GOOD, y)


def test_regressor_string_y():
    with pytest.raises(TypeError, match=r"y contains non-numeric values"):
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=1).fit(X_GOOD, np.array(["a"] * N_ROWS))


# ---- sample weights ---------------------------------------------------------

SAMPLE_WEIGHT_CASES = [
    (np.ones(30), r"sample_weight must be 1-D with one weight per row \(40\), got shape \(30,\)"),
    (np.ones((N_ROWS, 1)), r"sample_weight must be 1-D with one weight per row \(40\), "
                           r"got shape \(40, 1\)"),
    (np.where(np.arange(N_ROWS) == 3, -1.0, 1.0),
     r"sample_weight must be >= 0, got a minimum of -1"),
    (np.zeros(N_ROWS), r"sample_weight has only zero weights"),
    (np.where(np.arange(N_ROWS) == 3, np.nan, 1.0), r"sample_weight contains 1 NaN value\(s\)"),
]


@pytest.mark.parametrize("fitter", FITTERS)
@pytest.mark.parametrize("weights, pattern", SAMPLE_WEIGHT_CASES,
                         ids=["short", "2-D", "negative", "all-zero", "nan"])
def test_fit_bad_sample_weight(fitter, weights, pattern):
    with pytest.raises(ValueError, match=pattern):
        FITTERS[fitter](X_GOOD, Y_CLASS, Y_VALUE, sample_weight=weights)


# ---- use before fit ---------------------------------------------------------


@pytest.mark.parametrize(
    "cls, method",
    [
        (MLPClassifier, "predict"),
        (MLPClassifier, "predict_proba"),
        (MLPClassifier, "predict_log_proba"),
        (MLPClassifier, "score"),
        (MLPRegressor, "predict"),
        (MLPRegressor, "score"),
    ],
)
def test_unfitted_predict(cls, method):
    estimator = cls()
    args = (X_GOOD, Y_CLASS) if method == "score" else (X_GOOD,)
    with pytest.raises(ValueError, match=r"This %s instance is not fitted yet" % cls.__name__):
        getattr(estimator, method)(*args)


@pytest.mark.parametrize("attribute", ["coefs_", "intercepts_", "n_layers_", "n_outputs_",
                                       "out_activation_"])
def test_unfitted_attribute(attribute):
    with pytest.raises(AttributeError, match=r"This MLPClassifier instance is not fitted yet"):
        getattr(MLPClassifier(), attribute)


def test_unfitted_save(tmp_path):
    with pytest.raises(ValueError, match=r"This MLPRegressor instance is not fitted yet"):
        MLPRegressor().save(tmp_path / "model.safetensors")
    assert list(tmp_path.iterdir()) == []


# ---- accepted layouts and dtypes --------------------------------------------


def _layouts(X):
    """Return equivalent views of X in other memory layouts and dtypes."""
    wide = np.zeros((X.shape[0], 2 * X.shape[1]))
    wide[:, ::2] = X
    rounded = np.round(X * 10)
    return {
        "fortran": (np.asfortranarray(X), X),
        "column-slice": (wide[:, ::2], X),
        "row-slice": (np.repeat(X, 2, axis=0)[::2], X),
        "int64": (rounded.astype(np.int64), rounded),
        "int32": (rounded.astype(np.int32), rounded),
        "list": (X.tolist(), X),
    }


@pytest.mark.parametrize("layout", ["fortran", "column-slice", "row-slice", "int64", "int32",
                                    "list"])
@pytest.mark.parametrize("model, method", PREDICT_METHODS)
def test_predict_layouts(fitted, layout, model, method):
    X_variant, X_reference = _layouts(X_GOOD)[layout]
    predict = getattr(fitted[model], method)
    expected = predict(np.ascontiguousarray(X_reference, dtype=np.float64))
    assert np.array_equal(predict(X_variant), expected)


@pytest.mark.parametrize("fitter", FITTERS)
@pytest.mark.parametrize("layout", ["fortran", "column-slice"])
def test_fit_layouts(fitter, layout):
    X_variant, X_reference = _layouts(X_GOOD)[layout]
    reference = FITTERS[fitter](np.ascontiguousarray(X_reference), Y_CLASS, Y_VALUE)
    variant = FITTERS[fitter](X_variant, Y_CLASS, Y_VALUE)
    assert np.array_equal(variant.predict(X_GOOD), reference.predict(X_GOOD))


def test_input_not_modified(fitted):
    X = np.asfortranarray(X_GOOD.copy())
    fitted["MLPClassifier"].predict(X)
    MLPClassifier((4,), max_iter=1, random_state=0).fit(X, Y_CLASS)
    assert np.array_equal(X, X_GOOD)
    assert X.flags.f_contiguous


# ---- divergence -------------------------------------------------------------


def _large_regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)) * 1e3
    return X, X.sum(axis=1) * 1e3


def test_regressor_divergence():
    X, y = _large_regression_data()
    regressor = MLPRegressor(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=1e6, max_iter=20,
                             random_state=0)
    with pytest.raises(NonFiniteLossError) as info:
        regressor.fit(X, y)
    message = str(info.value)
    assert "epoch %d" % (regressor.n_iter_ + 1) in message
    assert "Scale the inputs" in message
    assert "lower learning_rate_init" in message
    for coef in regressor.coefs_:
        assert np.isfinite(coef).all()
    for intercept in regressor.intercepts_:
        assert np.isfinite(intercept).all()


def test_regressor_divergence_is_floating_point_error():
    X, y = _large_regression_data()
    regressor = MLPRegressor(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=1e6, max_iter=20,
                             random_state=0)
    with pytest.raises(FloatingPointError, match=r"training diverged in epoch \d+"):
        regressor.fit(X, y)


def test_mlp_divergence():
    X, y = _large_regression_data()
    net = MLP([5, 16, 1], output="identity", random_state=0)
    initial = net.params.copy()
    with pytest.raises(NonFiniteLossError, match=r"training diverged in epoch 1") as info:
        net.fit(X, y, epochs=5, optimizer="sgd", learning_rate=1e8)
    message = str(info.value)
    assert "Scale the inputs" in message
    assert "lower the learning rate" in message
    assert np.isfinite(net.params).all()
    assert np.array_equal(net.params, initial)


def test_mlp_usable_after_divergence():
    X, y = _large_regression_data()
    net = MLP([5, 16, 1], output="identity", random_state=0)
    with pytest.raises(NonFiniteLossError):
        net.fit(X, y, epochs=5, optimizer="sgd", learning_rate=1e8)
    X_small = X / 1e3
    net.fit(X_small, X_small.sum(axis=1), epochs=3, learning_rate=1e-3)
    assert np.isfinite(net.params).all()
    assert np.isfinite(net.predict(X_small)).all()


def test_nonfinite_error_exported():
    assert fastnn.NonFiniteLossError is NonFiniteLossError
    assert issubclass(NonFiniteLossError, FloatingPointError)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_check_array_ready_array(dtype):
    # A C-contiguous 2-D array of the target dtype comes back as is, still
    # checked for NaN; other byte orders, subclasses and dtypes are converted.
    from fastnn._validation import check_array

    X = np.arange(12, dtype=dtype).reshape(3, 4)
    assert check_array(X, dtype=np.dtype(dtype).name) is X
    assert check_array(X) is X
    other = np.float64 if dtype == np.float32 else np.float32
    assert check_array(X, dtype=np.dtype(other).name).dtype == other
    swapped = X.astype(np.dtype(dtype).newbyteorder())
    converted = check_array(swapped, dtype=np.dtype(dtype).name)
    assert converted.dtype == np.dtype(dtype)
    assert converted.dtype.isnative
    np.testing.assert_array_equal(converted, X)
    bad = X.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"X contains 1 NaN value\(s\) in column\(s\) 2"):
        check_array(bad)
