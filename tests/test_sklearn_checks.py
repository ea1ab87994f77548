"""scikit-learn's own estimator checks, run on MLPClassifier and MLPRegressor.

``parametrize_with_checks`` generates every API and legacy check that
scikit-learn applies to third-party estimators (about 60 per estimator in
scikit-learn 1.9). No check is listed as an expected failure: all of them
pass. The checks that need pandas, and that scikit-learn runs for its own
estimators outside ``parametrize_with_checks``, run at the end of this file.
"""

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import (  # noqa: E402
    check_dataframe_column_names_consistency,
    check_estimator,
    parametrize_with_checks,
)

import fastnn  # noqa: E402
from fastnn import MLPClassifier, MLPRegressor  # noqa: E402

# scikit-learn's own test suite checks its MLPs with max_iter=100
# (sklearn/utils/_test_common/instance_generator.py in scikit-learn 1.9), and
# many checks fit on a few dozen rows, so the models stop at max_iter on
# purpose. fastnn's estimators do not inherit from sklearn.base.BaseEstimator,
# which keeps scikit-learn a test-only dependency, and the checks warn about
# that once per estimator.
pytestmark = [
    pytest.mark.filterwarnings("ignore::fastnn.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:Estimator .* does not inherit from:UserWarning"),
]

ESTIMATORS = [
    MLPClassifier(max_iter=100, random_state=0),
    MLPRegressor(max_iter=100, random_state=0),
    MLPClassifier(solver="lbfgs", max_iter=100, random_state=0),
    MLPRegressor(solver="sgd", max_iter=100, random_state=0),
]


# Collecting the checks warns that the estimators do not inherit from
# BaseEstimator (see above); the warning carries no other information.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Estimator .* does not inherit from",
                            category=UserWarning)
    SKLEARN_CHECKS = parametrize_with_checks(ESTIMATORS,
                                             expected_failed_checks=lambda estimator: {})


@SKLEARN_CHECKS
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_no_check_skipped_or_failed():
    # Count the checks, so that a scikit-learn release that stops running
    # some of them (for example after a tag change) shows up here.
    for estimator in ESTIMATORS[:2]:
        results = check_estimator(estimator, on_fail=None, on_skip=None)
        statuses = {result["check_name"]: result["status"] for result in results}
        failed = sorted(name for name, status in statuses.items() if status == "failed")
        assert failed == [], failed
        assert len(results) >= 55, len(results)


@pytest.mark.parametrize("estimator", [
    MLPClassifier(max_iter=20, random_state=0),
    MLPRegressor(max_iter=20, random_state=0),
    MLPClassifier(max_iter=20, early_stopping=True, random_state=0),
], ids=["classifier", "regressor", "classifier-early-stopping"])
def test_dataframe_column_names(estimator):
    pytest.importorskip("pandas")
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)


def test_not_fitted_error_is_sklearn_class():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match=r"This MLPClassifier instance is not fitted yet"):
        MLPClassifier().predict(np.zeros((2, 3)))
    with pytest.raises(fastnn.NotFittedError):
        MLPRegressor().predict(np.zeros((2, 3)))


def test_convergence_warning_is_sklearn_class():
    from sklearn.exceptions import ConvergenceWarning

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(ConvergenceWarning, match=r"maximum iterations \(2\) reached"):
        MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)


def test_sklearn_is_fitted():
    from sklearn.utils.validation import check_is_fitted

    X = np.random.default_rng(0).normal(size=(40, 3))
    regressor = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with pytest.raises(sklearn.exceptions.NotFittedError):
        check_is_fitted(regressor)
    check_is_fitted(regressor.fit(X, X[:, 0]))
