"""Tests for fastnn.datasets, against scikit-learn's copies where installed."""

import dataclasses

import numpy as np
import pytest

from fastnn import datasets


def test_available_datasets():
    assert datasets.available_datasets() == ("breast_cancer", "digits")


def test_breast_cancer_shape_and_classes():
    ds = datasets.load_breast_cancer()
    assert ds.data.shape == (569, 30)
    assert ds.data.dtype == np.float64
    assert ds.target.shape == (569,)
    assert ds.target_names == ("benign", "malignant")
    assert np.sum(ds.target == "malignant") == 212
    assert np.sum(ds.target == "benign") == 357
    assert len(ds.feature_names) == 30
    assert ds.feature_names[0] == "mean radius"
    assert ds.feature_names[-1] == "worst fractal dimension"
    assert ds.name == "breast_cancer"


def test_digits_shape_and_classes():
    ds = datasets.load_digits()
    assert ds.data.shape == (1797, 64)
    assert ds.data.dtype == np.float64
    assert ds.target.dtype == np.int64
    assert ds.target_names == tuple(range(10))
    assert all(isinstance(name, int) for name in ds.target_names)
    assert np.all(np.bincount(ds.target) > 170)
    assert ds.data.min() == 0
    assert ds.data.max() == 16
    np.testing.assert_array_equal(ds.data, np.round(ds.data))
    assert ds.feature_names[:2] == ("pixel_0_0", "pixel_0_1")
    assert ds.feature_names[-1] == "pixel_7_7"


@pytest.mark.parametrize("name", ["breast_cancer", "digits"])
def test_load_dataset_by_name(name):
    ds = datasets.load_dataset(name)
    assert ds.name == name
    assert isinstance(ds.description, str)
    assert "\n" not in ds.description
    assert all(isinstance(feature, str) for feature in ds.feature_names)
    assert len(ds.feature_names) == ds.data.shape[1]
    assert np.all(np.isfinite(ds.data))


def test_dataset_is_frozen():
    ds = datasets.load_digits()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"


def test_each_load_returns_fresh_arrays():
    first = datasets.load_digits()
    first.data[0, 0] = -1.0
    assert datasets.load_digits().data[0, 0] == 0.0


@pytest.mark.parametrize("name", ["iris", "", "Digits"])
def test_unknown_dataset_lists_available(name):
    expected = "Unknown dataset .* Use one of 'breast_cancer', 'digits'"
    with pytest.raises(ValueError, match=expected):
        datasets.load_dataset(name)


def test_non_string_dataset_name():
    with pytest.raises(ValueError, match="Unknown dataset name=\\['digits'\\]"):
        datasets.load_dataset(["digits"])


def test_breast_cancer_equals_sklearn():
    sk_datasets = pytest.importorskip("sklearn.datasets")
    ours = datasets.load_breast_cancer()
    theirs = sk_datasets.load_breast_cancer()
    np.testing.assert_array_equal(ours.data, theirs.data)
    np.testing.assert_array_equal(ours.target, theirs.target_names[theirs.target])
    assert ours.feature_names == tuple(theirs.feature_names)


def test_digits_equals_sklearn():
    sk_datasets = pytest.importorskip("sklearn.datasets")
    ours = datasets.load_digits()
    theirs = sk_datasets.load_digits()
    np.testing.assert_array_equal(ours.data, theirs.data)
    np.testing.assert_array_equal(ours.target, theirs.target)
    assert ours.feature_names == tuple(theirs.feature_names)
