"""Small classification data sets bundled with fastnn.

The files live in ``fastnn/datasets/data/`` as gzip-compressed CSV with a
header row. ``data/README.md`` there gives their sources, licences and
column layout.
"""

import csv
import gzip
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np

__all__ = [
    "Dataset",
    "available_datasets",
    "load_breast_cancer",
    "load_dataset",
    "load_digits",
]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Feature matrix, labels and metadata of one bundled data set.

    Attributes
    ----------
    data : ndarray of shape (n_samples, n_features), dtype float64
        Feature matrix, one row per sample.
    target : ndarray of shape (n_samples,)
        Class label of each sample: strings for ``breast_cancer``,
        int64 for ``digits``.
    feature_names : tuple of str
        Column names of ``data``, in column order.
    target_names : tuple
        Distinct labels of ``target`` in sorted order.
    name : str
        Name accepted by :func:`load_dataset`.
    description : str
        One-line summary of the data set.
    positive_label : object or None
        For two-class data, the class that precision and recall treat as
        positive (the finding a screening test looks for); None otherwise.
    """

    data: np.ndarray
    target: np.ndarray
    feature_names: tuple
    target_names: tuple
    name: str
    description: str
    positive_label: object = None


# Per data set: file name, converter for the label text, description,
# positive class.
_REGISTRY = {
    "breast_cancer": (
        "breast_cancer.csv.gz",
        str,
        "Wisconsin Diagnostic Breast Cancer: 569 fine-needle aspirate images, "
        "30 nucleus features, labelled malignant or benign.",
        "malignant",
    ),
    "digits": (
        "digits.csv.gz",
        int,
        "UCI optical handwritten digits, test split: 1,797 8x8 images with "
        "pixel counts 0-16, labelled 0-9.",
        None,
    ),
}


def available_datasets():
    """Return the names accepted by :func:`load_dataset`.

    Returns
    -------
    names : tuple of str
        ``("breast_cancer", "digits")``.

    Examples
    --------
    >>> from fastnn.datasets import available_datasets
    >>> available_datasets()
    ('breast_cancer', 'digits')
    """
    return tuple(_REGISTRY)


def load_dataset(name):
    """Load a bundled data set by name.

    Parameters
    ----------
    name : str
        One of :func:`available_datasets`.

    Returns
    -------
    dataset : Dataset
        Freshly read arrays, so changing them does not affect later loads.

    Raises
    ------
    ValueError
        If ``name`` is not a bundled data set.

    Examples
    --------
    >>> from fastnn.datasets import load_dataset
    >>> load_dataset("digits").data.shape
    (1797, 64)
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"Unknown dataset name={name!r}. "
            f"Use one of {', '.join(map(repr, _REGISTRY))}."
        )
    file_name, parse_label, description, positive_label = _REGISTRY[name]
    feature_names, rows, labels = _read_csv_gz(file_name)

    data = np.array(rows, dtype=np.float64)
    target = np.array([parse_label(label) for label in labels])
    target_names = tuple(np.unique(target).tolist())
    return Dataset(
        data=data,
        target=target,
        feature_names=feature_names,
        target_names=target_names,
        name=name,
        description=description,
        positive_label=positive_label,
    )


def load_breast_cancer():
    """Load the Wisconsin Diagnostic Breast Cancer data set.

    569 samples with 30 float features computed from digitized images of
    fine-needle aspirates of breast masses. 212 samples are labelled
    ``"malignant"`` and 357 ``"benign"``.

    Returns
    -------
    dataset : Dataset
        ``data`` has shape (569, 30). ``target`` contains the label strings
        and ``target_names`` is ``("benign", "malignant")``.

    References
    ----------
    W. N. Street, W. H. Wolberg and O. L. Mangasarian, "Breast Cancer
    Wisconsin (Diagnostic)", UCI Machine Learning Repository, 1995,
    doi:10.24432/C5DW2B. Licensed CC BY 4.0.

    Examples
    --------
    >>> from fastnn.datasets import load_breast_cancer
    >>> ds = load_breast_cancer()
    >>> ds.data.shape, ds.target_names
    ((569, 30), ('benign', 'malignant'))
    """
    return load_dataset("breast_cancer")


def load_digits():
    """Load the UCI optical handwritten digits data set (test split).

    1,797 samples, each an 8x8 image flattened row by row into 64 integer
    pixel counts in 0..16, stored as float64.

    Returns
    -------
    dataset : Dataset
        ``data`` has shape (1797, 64). ``target`` contains the digit as int64
        and ``target_names`` is ``(0, 1, ..., 9)``.

    References
    ----------
    E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits",
    UCI Machine Learning Repository, 1998, doi:10.24432/C50P49.
    Licensed CC BY 4.0.

    Examples
    --------
    >>> from fastnn.datasets import load_digits
    >>> ds = load_digits()
    >>> ds.data.shape, len(ds.target_names)
    ((1797, 64), 10)
    """
    return load_dataset("digits")


def _read_csv_gz(file_name):
    """Read a bundled CSV into (feature_names, feature rows, label column)."""
    # The package loader finds the file inside a wheel or zip as well.
    resource = resources.files(__name__) / "data" / file_name
    with resource.open("rb") as raw:
        with gzip.open(raw, "rb") as unzipped:
            text = io.TextIOWrapper(unzipped, encoding="utf-8", newline="")
            reader = csv.reader(text)
            header = next(reader)
            rows = []
            labels = []
            for record in reader:
                # float() rounds the decimal text correctly, so values
                # match the float64 data that the files were written from.
                rows.append([float(value) for value in record[:-1]])
                labels.append(record[-1])

    # The last column is the label, not a feature.
    feature_names = tuple(header[:-1])
    return feature_names, rows, labels
