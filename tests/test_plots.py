"""fastnn.plotting: the figures of training and evaluation, drawn with matplotlib."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn import plotting
from fastnn.tabular import TabularModel, read_csv

DATA = Path(__file__).parent / "data"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def moons_model():
    pytest.importorskip("matplotlib")
    table = read_csv(DATA / "moons.csv")
    model = TabularModel(epochs=30, random_state=0).fit(table, target="side")
    return model, table


def test_import_does_not_load_matplotlib(tmp_path):
    code = "import sys, fastnn.plotting, fastnn.tabular; print('matplotlib' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fastnn.__file__)))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"fastnn.plotting needs matplotlib; install it with "
                                          r"'pip install matplotlib'"):
        plotting.plot_loss_curves([1.0, 0.5])


def test_loss_curves(moons_model, tmp_path):
    model, _ = moons_model
    ax = plotting.plot_loss_curves(model.history_, best_epoch=model.best_epoch_)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["training loss", "validation loss", "kept epoch %d" % model.best_epoch_]
    assert list(ax.get_lines()[0].get_ydata()) == model.history_["loss"]
    path = tmp_path / "loss.png"
    ax.figure.savefig(path)
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_loss_curve_from_list():
    pytest.importorskip("matplotlib")
    ax = plotting.plot_loss_curves([0.9, 0.5, 0.4])
    assert [line.get_label() for line in ax.get_lines()] == ["training loss"]


def test_confusion_matrix_cells():
    pytest.importorskip("matplotlib")
    ax = plotting.plot_confusion_matrix(["a", "b", "b", "c"], ["a", "b", "c", "c"])
    texts = [text.get_text() for text in ax.texts]
    assert texts == ["1", "0", "0", "0", "1", "1", "0", "0", "1"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    normalized = plotting.plot_confusion_matrix([0, 0, 1], [0, 1, 1], normalize=True)
    assert [text.get_text() for text in normalized.texts] == ["0.50", "0.50", "0.00", "1.00"]


def test_roc_curve_area_in_legend(moons_model):
    model, table = moons_model
    y = table.text("side").astype(str)
    scores = model.predict_proba(table)[:, 1]
    ax = plotting.plot_roc_curve(y, scores, pos_label="upper")
    expected = fastnn.metrics.roc_auc_score(y, scores)
    assert ax.get_lines()[0].get_label() == "ROC curve (AUC = %.3f)" % expected


def test_predicted_vs_actual():
    pytest.importorskip("matplotlib")
    ax = plotting.plot_predicted_vs_actual([1.0, 2.0, 3.0], [1.1, 1.9, 3.2])
    assert ax.get_xlabel() == "actual"
    assert ax.get_lines()[0].get_label() == "predicted = actual"


def test_decision_boundary_tabular(moons_model, tmp_path):
    model, table = moons_model
    y = table.text("side").astype(str)
    ax = plotting.plot_decision_boundary(model, table, y, resolution=50)
    assert ax.get_xlabel() == "x1"
    assert ax.get_ylabel() == "x2"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lower", "upper"]
    ax.figure.savefig(tmp_path / "boundary.png")


@pytest.mark.filterwarnings("ignore::fastnn._estimators.ConvergenceWarning")
def test_decision_boundary_estimator_multiclass():
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 2)) + np.repeat([[0, 0], [3, 3], [0, 3]], 50, axis=0)
    y = np.repeat([0, 1, 2], 50)
    clf = fastnn.MLPClassifier((16,), max_iter=50, random_state=0).fit(X, y)
    ax = plotting.plot_decision_boundary(clf, X, y, resolution=40)
    assert ax.get_xlabel() == "feature 0"
    assert len(ax.get_legend().get_texts()) == 3


def test_decision_boundary_needs_two_numeric_columns():
    pytest.importorskip("matplotlib")
    table = read_csv(DATA / "colors.csv")
    model = TabularModel(epochs=2, random_state=0).fit(table, target="color")
    with pytest.raises(ValueError, match=r"needs a model that reads two numeric columns; this one "
                                         r"reads 4 columns"):
        plotting.plot_decision_boundary(model, table, table.text("color"))


def test_save_model_plots(moons_model, tmp_path):
    model, table = moons_model
    y = table.text("side").astype(str)
    written = plotting.save_model_plots(model, tmp_path / "out", table, y)
    names = [os.path.basename(path) for path in written]
    assert names == ["loss.png", "confusion_matrix.png", "roc_curve.png", "decision_boundary.png"]
    for path in written:
        assert Path(path).read_bytes()[:8] == PNG_SIGNATURE


def test_save_model_plots_without_data(moons_model, tmp_path):
    model, _ = moons_model
    written = plotting.save_model_plots(model, tmp_path)
    assert [os.path.basename(path) for path in written] == ["loss.png"]
