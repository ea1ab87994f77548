"""The command line: `python -m fastnn train` and `python -m fastnn info`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn.datasets import load_dataset

# The folder that holds the fastnn package under test: the source checkout
# for an in-place build, site-packages for an installed one. Subprocesses
# run there, because a source checkout without the compiled extension
# would otherwise shadow the installed package.
PACKAGE_PARENT = Path(fastnn.__file__).resolve().parents[1]
REPORT_KEYS = ("accuracy", "precision", "recall", "f1", "n_train", "n_test", "seconds")


def run_cli(*args, timeout=120):
    """Run `python -m fastnn ARGS` beside the package under test with two kernel threads."""
    env = dict(os.environ, FASTNN_NUM_THREADS="2")
    env.pop("FASTNN_ISA", None)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PACKAGE_PARENT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return subprocess.run(
        [sys.executable, "-m", "fastnn", *args], cwd=PACKAGE_PARENT, env=env,
        capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="module", params=["breast_cancer", "digits"])
def trained(request, tmp_path_factory):
    """Train once per dataset with --json and --out.

    Returns (dataset name, finished process, JSON report or None, model path).
    """
    dataset = request.param
    model_path = tmp_path_factory.mktemp("cli") / "model.bin"
    result = run_cli("train", "--dataset", dataset, "--json", "--out", str(model_path))
    report = None
    if result.returncode == 0 and result.stdout.strip():
        report = json.loads(result.stdout.strip().splitlines()[-1])
    return dataset, result, report, model_path


def test_train_exit_status(trained):
    _, result, _, _ = trained
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_train_json_report(trained):
    _, result, report, _ = trained
    assert result.returncode == 0, result.stderr
    assert isinstance(report, dict)
    for key in REPORT_KEYS:
        assert key in report, key
    for key in ("accuracy", "precision", "recall", "f1"):
        assert 0.0 <= report[key] <= 1.0, key
    assert isinstance(report["seconds"], float)


def test_train_accuracy(trained):
    _, result, report, _ = trained
    assert result.returncode == 0, result.stderr
    assert report["accuracy"] >= 0.95


def test_train_split_sizes(trained):
    dataset, result, report, _ = trained
    assert result.returncode == 0, result.stderr
    n_rows = load_dataset(dataset).data.shape[0]
    assert report["n_train"] + report["n_test"] == n_rows
    assert report["n_test"] == int(np.ceil(0.25 * n_rows))


def test_train_output_streams(trained):
    dataset, result, _, model_path = trained
    assert result.returncode == 0, result.stderr
    assert "test metrics on %s" % dataset in result.stdout
    assert "saved model to %s" % model_path in result.stdout
    assert "fastnn: training on %s" % dataset in result.stderr
    assert "epoch 1/" in result.stderr
    assert "epoch 1/" not in result.stdout


def test_train_saved_model(trained):
    from fastnn.model_selection import train_test_split
    from fastnn.preprocessing import StandardScaler

    dataset, result, report, model_path = trained
    assert result.returncode == 0, result.stderr
    model = fastnn.load(model_path)
    assert isinstance(model, fastnn.MLPClassifier)

    # The same split and scaling as the command's defaults: test size 0.25, seed 0.
    data = load_dataset(dataset)
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0, stratify=data.target
    )
    scaler = StandardScaler().fit(X_train)
    accuracy = np.mean(model.predict(scaler.transform(X_test)) == y_test)
    assert accuracy == pytest.approx(report["accuracy"], abs=1e-12)


def test_train_saved_metadata(trained):
    dataset, result, report, model_path = trained
    assert result.returncode == 0, result.stderr
    metadata = fastnn.load(model_path).metadata
    assert metadata["dataset"] == dataset
    assert metadata["metrics"]["accuracy"] == report["accuracy"]
    scaling = metadata["preprocessing"]["standard_scaler"]
    n_features = load_dataset(dataset).data.shape[1]
    assert len(scaling["mean"]) == n_features
    assert len(scaling["scale"]) == n_features


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--dataset", "iris"], "unknown dataset 'iris'; available: breast_cancer, digits"),
        (["--dataset", "digits", "--hidden", "abc"], "--hidden must be comma-separated"),
        (["--dataset", "digits", "--epochs", "0"], "--epochs must be >= 1, got 0"),
        (["--dataset", "digits", "--test-size", "1.5"],
         "--test-size must be between 0 and 1, got 1.5"),
        (["--dataset", "digits", "--threads", "0"], "--threads must be >= 1, got 0"),
    ],
    ids=["dataset", "hidden", "epochs", "test-size", "threads"],
)
def test_train_invalid_option(args, expected):
    result = run_cli("train", *args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fastnn: error:")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_train_unwritable_out(tmp_path):
    target = tmp_path / "missing" / "model.bin"
    result = run_cli("train", "--dataset", "breast_cancer", "--epochs", "1", "--quiet",
                     "--out", str(target))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert lines[-1].startswith("fastnn: error: could not save the model to %s" % target)
    assert "Traceback" not in result.stderr
    assert not target.exists()


def test_info():
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("fastnn %s" % fastnn.__version__)
    assert "OpenMP" in result.stdout
    assert "threads:       2" in result.stdout


def test_no_command():
    result = run_cli()
    assert result.returncode == 2
    assert "usage: fastnn" in result.stderr
    assert "Traceback" not in result.stderr


def test_help():
    result = run_cli("train", "--help")
    assert result.returncode == 0
    assert "--dataset" in result.stdout
    assert "--test-size" in result.stdout
