"""fastnn: fast multilayer perceptrons for multicore CPUs.

Quick start::

    import fastnn
    from fastnn.datasets import load_breast_cancer

    data = load_breast_cancer()
    clf = fastnn.MLPClassifier(hidden_layer_sizes=(64,), random_state=0)
    clf.fit(data.data, data.target)
"""

__version__ = "0.1.0"

try:
    from . import _core
except ImportError as exc:  # pragma: no cover - depends on how fastnn was installed
    import importlib.machinery as _machinery
    import os as _os

    _package_dir = _os.path.dirname(_os.path.abspath(__file__))
    if not any(_os.path.exists(_os.path.join(_package_dir, "_core" + suffix))
               for suffix in _machinery.EXTENSION_SUFFIXES):
        # Python found this source folder before the installed package.
        raise ImportError(
            "this fastnn package (%s) has no compiled extension: it is a source folder. "
            "Run Python from another folder to use the installed fastnn, or build this "
            "one in place with 'pip install -e .' (or 'python setup.py build_ext "
            "--inplace')." % _package_dir
        ) from None
    raise ImportError(
        "fastnn's compiled extension (fastnn._core) could not be imported: %s. "
        "Rebuild it with 'pip install .' (or 'python setup.py build_ext --inplace')." % exc
    ) from exc

from ._config import config, get_num_threads, set_num_threads, show_config
from ._config import _initialize

_initialize()
del _initialize

from ._network import MLP, load
from ._estimators import MLPClassifier, MLPRegressor
from ._core import NonFiniteLossError, Predictor
from ._estimators import ConvergenceWarning
from ._io import ModelFileError
from ._validation import NotFittedError

__all__ = [
    "MLP",
    "MLPClassifier",
    "MLPRegressor",
    "TabularModel",
    "ConvergenceWarning",
    "ModelFileError",
    "NonFiniteLossError",
    "NotFittedError",
    "Predictor",
    "config",
    "get_num_threads",
    "load",
    "set_num_threads",
    "show_config",
]


def __getattr__(name):
    # TabularModel pulls in the CSV and preprocessing modules: load it on
    # first use so that "import fastnn" stays fast.
    if name == "TabularModel":
        from .tabular import TabularModel

        return TabularModel
    raise AttributeError("module 'fastnn' has no attribute %r" % name)
