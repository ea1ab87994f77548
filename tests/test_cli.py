"""The command line: `python -m fastnn` train, evaluate, predict, inspect and info."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import fastnn
from fastnn.datasets import load_dataset

# The folder that contains the fastnn package under test: the source checkout
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


def _dataset_test_rows(dataset):
    """The test rows of the command's default split (test size 0.25, seed 0)."""
    from fastnn._cli_tabular import dataset_table
    from fastnn.model_selection import train_test_split

    table, _ = dataset_table(dataset)
    labels = np.array(table.text("target"), dtype=str)
    _, test_rows = train_test_split(np.arange(table.n_rows), test_size=0.25, random_state=0,
                                    stratify=labels)
    return table, test_rows


def test_train_saved_model(trained):
    from fastnn.tabular import TabularModel

    dataset, result, report, model_path = trained
    assert result.returncode == 0, result.stderr
    model = TabularModel.load(model_path)
    assert model.target_name_ == "target"
    assert model.feature_names_in_ == list(load_dataset(dataset).feature_names)

    # The saved model, with its own preprocessing, reproduces the test accuracy.
    table, test_rows = _dataset_test_rows(dataset)
    test = table.take(test_rows)
    labels = np.array(test.text("target"), dtype=str)
    predicted = np.array([str(label) for label in model.predict(test)])
    assert np.mean(predicted == labels) == pytest.approx(report["accuracy"], abs=1e-12)


def test_train_dataset_stops_on_validation(trained):
    dataset, result, report, _ = trained
    assert result.returncode == 0, result.stderr
    # Early stopping monitors a validation part of the training rows.
    assert report["n_validation"] > 0
    assert 1 <= report["best_epoch"] <= report["epochs"] <= 200
    assert report["roc_auc"] is not None and report["roc_auc"] > 0.9


def test_train_saved_metadata(trained):
    from fastnn.tabular import TabularModel

    dataset, result, report, model_path = trained
    assert result.returncode == 0, result.stderr
    model = TabularModel.load(model_path)
    assert model.metadata["dataset"] == dataset
    assert model.metadata["test_size"] == 0.25
    assert model.metrics_["test"]["accuracy"] == report["accuracy"]
    columns = model.preprocessor_.to_dict()["columns"]
    assert len(columns) == load_dataset(dataset).data.shape[1]
    assert all(column["type"] == "numeric" for column in columns)


def test_evaluate_and_predict_dataset_model(trained, tmp_path):
    import gzip

    dataset, result, _, model_path = trained
    assert result.returncode == 0, result.stderr
    n_rows = load_dataset(dataset).data.shape[0]

    evaluated = run_cli("evaluate", str(model_path), "--dataset", dataset, "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    assert metrics["n"] == n_rows
    assert metrics["accuracy"] > 0.95
    # All rows include the training rows, and the command warns about it.
    assert "including those the model trained on" in evaluated.stderr

    # Another dataset's rows lack the model's columns: named before anything else.
    other = "digits" if dataset == "breast_cancer" else "breast_cancer"
    wrong = run_cli("evaluate", str(model_path), "--dataset", other)
    assert wrong.returncode == 2
    assert "fastnn: error: dataset %s lacks columns" % other in wrong.stderr
    assert "... and " in wrong.stderr
    assert " more" in wrong.stderr
    assert len(wrong.stderr) < 1200

    # The same rows as a gzip-compressed CSV file give the same predictions.
    from_dataset = run_cli("predict", str(model_path), "--dataset", dataset, "--proba")
    assert from_dataset.returncode == 0, from_dataset.stderr
    source = Path(fastnn.__file__).parent / "datasets" / "data" / ("%s.csv.gz" % dataset)
    copy = tmp_path / source.name
    copy.write_bytes(source.read_bytes())
    from_file = run_cli("predict", str(model_path), str(copy), "--proba")
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout == from_dataset.stdout
    lines = from_file.stdout.splitlines()
    assert len(lines) == n_rows + 1
    assert lines[0].startswith("prediction,proba_")

    # A damaged gzip file is one clear error.
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(source.read_bytes()[:200])
    failed = run_cli("predict", str(model_path), str(broken))
    assert failed.returncode == 2
    assert "broken.csv.gz: damaged gzip data" in failed.stderr
    assert "Traceback" not in failed.stderr
    # Compressed twice: the text is not valid UTF-8, also one clear error.
    twice = tmp_path / "twice.csv.gz"
    twice.write_bytes(gzip.compress(source.read_bytes()))
    failed = run_cli("predict", str(model_path), str(twice))
    assert failed.returncode == 2
    assert "twice.csv.gz, line 1: not valid utf-8 text" in failed.stderr
    assert "Traceback" not in failed.stderr


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--dataset", "iris"], "unknown dataset 'iris'; available: breast_cancer, digits"),
        (["--dataset", "digits", "--hidden", "abc"], "--hidden must be comma-separated"),
        (["--dataset", "digits", "--epochs", "0"], "--epochs must be >= 1, got 0"),
        (["--dataset", "digits", "--test-size", "1.5"],
         "--test-size must be between 0 and 1, got 1.5"),
        (["--dataset", "digits", "--threads", "0"], "--threads must be >= 1, got 0"),
        (["--dataset", "digits", "--hidden", "64,,32"], "--hidden must be comma-separated"),
        (["--dataset", "digits", "--seed", "-1"], "--seed must be >= 0, got -1"),
        (["--dataset", "digits", "--batch-size", "0"], "--batch-size must be >= 1, got 0"),
        (["--dataset", "digits", "--learning-rate", "-1"], "--learning-rate must be > 0"),
        (["--dataset", "breast_cancer", "--test-size", "0.001"],
         "breast_cancer: cannot split 569 rows with --test-size 0.001: The test set has 1 "
         "samples"),
        (["--dataset", "digits", "--target", "label"],
         "--target: the labels of a shipped dataset are its column 'target'"),
        (["--dataset", "digits", "--positive", "11"], "--positive '11' is not a class"),
        (["--dataset", "digits", "--drop", "pixel_9_9"],
         "--drop names columns that are not in the data: pixel_9_9"),
    ],
    ids=["dataset", "hidden", "epochs", "test-size", "threads", "hidden-empty", "seed",
         "batch-size", "learning-rate", "test-size-tiny", "target", "positive", "drop"],
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
    result = run_cli("train", "--dataset", "breast_cancer", "--epochs", "1",
                     "--out", str(target))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert lines[-1] == ("fastnn: error: could not save the model to %s: the directory %s "
                         "does not exist" % (target, target.parent))
    assert "Traceback" not in result.stderr
    assert not target.exists()
    # Checked before training, not after it.
    assert "epoch 1/" not in result.stderr
    assert result.stdout == ""
    directory = run_cli("train", "--dataset", "breast_cancer", "--out", str(tmp_path))
    assert directory.returncode == 2
    assert "could not save the model to %s: it is a directory" % tmp_path in directory.stderr


def test_train_warns_about_decimal_commas():
    result = run_cli("train", str(DATA / "houses_semicolon.csv"), "--target", "price_thousands",
                     "--task", "regress", "--epochs", "1", "--quiet")
    # The regression target is not numeric without --decimal: an error on line 2.
    assert result.returncode == 2
    assert ("column 'area_m2' reads as text, but its values look like numbers with a "
            "decimal comma (such as ") in result.stderr
    assert "pass --decimal ," in result.stderr
    assert ("houses_semicolon.csv, line 2, column 'price_thousands': '488,66' is not a "
            "number") in result.stderr


def test_regression_target_checked_from_the_first_line():
    result = run_cli("train", str(DATA / "credit.csv"), "--target", "default", "--task",
                     "regress", "--epochs", "1", "--quiet")
    assert result.returncode == 2
    assert "credit.csv, line 2, column 'default': 'no' is not a number" in result.stderr
    assert "Traceback" not in result.stderr


def test_info():
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("fastnn %s" % fastnn.__version__)
    assert "OpenMP" in result.stdout
    # run_cli requests 2 threads, and a serial build reports the 1 it uses
    expected = 2 if fastnn.config()["openmp"] else 1
    assert "threads:       %d" % expected in result.stdout


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


# ---- CSV files: train, evaluate, predict, inspect -------------------------------------------

DATA = Path(__file__).resolve().parent / "data"


def _last_json(result):
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def credit_model(tmp_path_factory):
    """Train once on credit.csv; return (finished process, JSON report, model path)."""
    model_path = tmp_path_factory.mktemp("csv") / "credit.fnn"
    result = run_cli("train", str(DATA / "credit.csv"), "--target", "default",
                     "--drop", "applicant_id", "--hidden", "32", "--out", str(model_path),
                     "--json", "--quiet")
    report = _last_json(result) if result.returncode == 0 else None
    return result, report, model_path


def test_csv_train_report(credit_model):
    result, report, _ = credit_model
    assert result.returncode == 0, result.stderr
    for key in REPORT_KEYS + ("balanced_accuracy", "roc_auc", "log_loss", "confusion_matrix"):
        assert key in report, key
    assert report["n_train"] == 480
    assert report["n_test"] == 120
    assert report["task"] == "classification"
    assert report["positive_label"] == "yes"
    assert report["labels"] == ["no", "yes"]
    assert report["accuracy"] >= 0.8
    assert "test metrics on %s" % (DATA / "credit.csv") in result.stdout
    assert "confusion matrix" in result.stdout
    assert "Traceback" not in result.stderr


def test_csv_train_streams(tmp_path):
    result = run_cli("train", str(DATA / "colors.csv"), "--target", "color", "--epochs", "3",
                     "--json")
    assert result.returncode == 0, result.stderr
    assert "epoch 1/3" in result.stderr
    assert "epoch 1/" not in result.stdout
    assert "fastnn: training on" in result.stderr
    assert _last_json(result)["average"] == "macro"


def test_csv_train_saved_model(credit_model):
    from fastnn.tabular import TabularModel

    result, report, model_path = credit_model
    assert result.returncode == 0, result.stderr
    model = TabularModel.load(model_path)
    assert model.classes_.tolist() == ["no", "yes"]
    assert "applicant_id" not in model.feature_names_in_
    assert model.metrics_["test"]["accuracy"] == report["accuracy"]
    assert model.metadata["seed"] == 0


def test_csv_train_split_is_seeded(credit_model, tmp_path):
    result, report, _ = credit_model
    assert result.returncode == 0, result.stderr
    again = run_cli("train", str(DATA / "credit.csv"), "--target", "default",
                    "--drop", "applicant_id", "--hidden", "32", "--json", "--quiet")
    assert again.returncode == 0, again.stderr
    repeat = _last_json(again)
    for key in ("accuracy", "f1", "roc_auc", "confusion_matrix", "epochs"):
        assert repeat[key] == report[key], key


def test_evaluate_json(credit_model):
    from fastnn.tabular import TabularModel, read_csv

    _, _, model_path = credit_model
    result = run_cli("evaluate", str(model_path), str(DATA / "credit.csv"), "--json")
    assert result.returncode == 0, result.stderr
    report = _last_json(result)
    expected = TabularModel.load(model_path).evaluate(read_csv(DATA / "credit.csv"))
    assert report["n"] == 600
    for key in ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"):
        assert report[key] == expected[key], key


def test_evaluate_text(credit_model):
    _, _, model_path = credit_model
    result = run_cli("evaluate", str(model_path), str(DATA / "credit.csv"))
    assert result.returncode == 0, result.stderr
    assert "metrics on %s (600 rows, binary, positive: yes)" % (DATA / "credit.csv") in result.stdout
    assert "roc_auc" in result.stdout


def test_predict_csv_output(credit_model, tmp_path):
    import csv

    from fastnn.tabular import TabularModel, read_csv

    _, _, model_path = credit_model
    out = tmp_path / "predictions.csv"
    result = run_cli("predict", str(model_path), str(DATA / "credit_new.csv"), "--id",
                     "applicant_id", "--proba", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "wrote 12 predictions to %s" % out in result.stdout
    assert "column 'grade': 2 rows with a category not seen in training ('G')" in result.stderr
    assert result.stderr.startswith("fastnn: warning:")

    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["applicant_id", "prediction", "proba_no", "proba_yes"]
    assert [row["applicant_id"] for row in rows] == [str(1000 + i) for i in range(12)]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = read_csv(DATA / "credit_new.csv")
        model = TabularModel.load(model_path)
        expected = model.predict(table)
        proba = model.predict_proba(table)
    assert [row["prediction"] for row in rows] == expected.tolist()
    written = np.array([[float(row["proba_no"]), float(row["proba_yes"])] for row in rows],
                       dtype=np.float32)
    assert np.array_equal(written, proba)


def test_predict_to_stdout(credit_model):
    _, _, model_path = credit_model
    result = run_cli("predict", str(model_path), str(DATA / "credit_new.csv"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "prediction"
    assert len(lines) == 13
    assert set(lines[1:]) <= {"no", "yes"}


def test_predict_json(credit_model):
    _, _, model_path = credit_model
    result = run_cli("predict", str(model_path), str(DATA / "credit_new.csv"), "--json",
                     "--id", "applicant_id", "--proba")
    assert result.returncode == 0, result.stderr
    records = _last_json(result)
    assert len(records) == 12
    assert records[0]["applicant_id"] == "1000"
    assert records[0]["proba_no"] + records[0]["proba_yes"] == pytest.approx(1.0, abs=1e-6)


def test_inspect_text(credit_model):
    _, _, model_path = credit_model
    result = run_cli("inspect", str(model_path))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "fastnn TabularModel" in text
    assert "task: classification of 'default', 2 classes: no, yes, positive: yes" in text
    assert "income        numeric" in text
    assert "grade         categorical  6 categories ('A', 'B', 'C', 'D', 'E', 'F')" in text
    assert "has_cosigner  boolean" in text
    assert "dropped as constant: country=DE" in text
    assert "weights sha256:" in text
    assert "test metrics (120 rows): accuracy" in text


def test_inspect_json(credit_model):
    _, report, model_path = credit_model
    result = run_cli("inspect", str(model_path), "--json")
    assert result.returncode == 0, result.stderr
    summary = _last_json(result)
    assert summary["kind"] == "TabularModel"
    assert summary["network"]["dtype"] == "float32"
    assert summary["network"]["layer_sizes"][1:] == [32, 1]
    assert {c["name"]: c["type"] for c in summary["columns"]}["grade"] == "categorical"
    assert summary["target"]["classes"] == ["no", "yes"]
    assert summary["metrics"]["test"]["accuracy"] == report["accuracy"]
    assert summary["fastnn_version"] == fastnn.__version__
    assert len(summary["weights_sha256"]) == 64


def test_inspect_dataset_model(trained):
    dataset, result, _, model_path = trained
    assert result.returncode == 0, result.stderr
    inspected = run_cli("inspect", str(model_path), "--json")
    assert inspected.returncode == 0, inspected.stderr
    summary = json.loads(inspected.stdout)
    assert summary["kind"] == "TabularModel"
    assert summary["metadata"]["dataset"] == dataset
    assert summary["target"]["name"] == "target"


def test_regression_csv(tmp_path):
    model_path = tmp_path / "houses.fnn"
    result = run_cli("train", str(DATA / "houses_semicolon.csv"), "--target", "price_thousands",
                     "--decimal", ",", "--hidden", "32", "--out", str(model_path), "--json",
                     "--quiet")
    assert result.returncode == 0, result.stderr
    report = _last_json(result)
    assert report["task"] == "regression"
    assert report["r2"] > 0.8
    assert report["rmse"] == pytest.approx(report["mse"] ** 0.5)

    evaluated = run_cli("evaluate", str(model_path), str(DATA / "houses_semicolon.csv"),
                        "--decimal", ",", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert _last_json(evaluated)["r2"] > 0.8

    predicted = run_cli("predict", str(model_path), str(DATA / "houses_semicolon.csv"),
                        "--decimal", ",")
    assert predicted.returncode == 0, predicted.stderr
    values = [float(v) for v in predicted.stdout.splitlines()[1:]]
    assert len(values) == 300


def test_task_and_type_options(tmp_path):
    result = run_cli("train", str(DATA / "colors.csv"), "--target", "color", "--epochs", "5",
                     "--type", "f1=categorical", "--scaling", "minmax", "--missing-indicator",
                     "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    regress = run_cli("train", str(DATA / "credit.csv"), "--target", "age", "--task", "regress",
                      "--epochs", "5", "--json", "--quiet")
    assert regress.returncode == 0, regress.stderr
    assert _last_json(regress)["task"] == "regression"


@pytest.mark.parametrize(
    "args, expected",
    [
        (["train", "{data}/absent.csv", "--target", "default"], "data file not found: "),
        (["train", "{data}/empty.csv", "--target", "default"], "empty.csv is empty"),
        (["train", "{data}/header_only.csv", "--target", "default"],
         "header_only.csv has a header row but no data rows"),
        (["train", "{data}/credit.csv", "--target", "defualt"],
         "credit.csv has no column 'defualt' to use as --target"),
        (["train", "{data}/one_class.csv", "--target", "default"],
         "the target 'default' has only one class ('no')"),
        (["train", "{data}/bad_number.csv", "--target", "default"],
         "bad_number.csv, line 19, column 'income': '41k' is not a number"),
        (["train", "{data}/ragged.csv", "--target", "default"],
         "ragged.csv, line 3: expected 3 fields as in the header, found 4"),
        (["train", "{data}/bad_quote.csv", "--target", "default"],
         "bad_quote.csv, line 3: malformed CSV"),
        (["train", "{data}/credit.csv"], "--target COLUMN is required with a CSV file"),
        (["train", "{data}/credit.csv", "--target", "default", "--drop", "nosuch"],
         "credit.csv has no column 'nosuch'"),
        (["train", "{data}/credit.csv", "--target", "default", "--type", "grade=text"],
         "--type must be COLUMN=TYPE"),
        (["train", "{data}/credit.csv", "--target", "default", "--positive", "maybe"],
         "--positive 'maybe' is not a class of 'default'"),
        (["train", "{data}/credit.csv", "--dataset", "digits"],
         "give either a CSV file or --dataset, not both"),
        (["predict", "{model}", "{data}/credit_missing_column.csv"],
         "credit_missing_column.csv lacks column 'grade' that the model was trained on"),
        (["predict", "{data}/absent.fnn", "{data}/credit_new.csv"], "model file not found: "),
        (["predict", "{data}/credit.csv", "{data}/credit_new.csv"],
         "credit.csv is not a readable fastnn model file"),
        (["predict", "{model}", "{data}/credit_new.csv", "--id", "nosuch"],
         "credit_new.csv has no column 'nosuch' given to --id"),
        (["evaluate", "{model}", "{data}/credit_new.csv"],
         "credit_new.csv has no column 'default', the target the model was trained on"),
        (["inspect", "{data}/empty.csv"], "is not a fastnn model file: 0 bytes is too short"),
        (["train"], "give a CSV file (DATA.csv) or a shipped dataset (--dataset NAME)"),
        (["evaluate", "{model}"],
         "give a CSV file (DATA.csv) or a shipped dataset (--dataset NAME)"),
        (["predict", "{model}", "{data}/credit_new.csv", "--dataset", "digits"],
         "give either a CSV file or --dataset, not both"),
        (["train", "--target", "default", "--drop", "applicant_id", "{data}/credit.csv"],
         "give DATA.csv before --drop"),
    ],
    ids=["missing-file", "empty", "header-only", "unknown-target", "one-class", "unparsable",
         "ragged", "bad-quote", "no-target", "drop-unknown", "type-invalid", "positive-unknown",
         "file-and-dataset", "column-mismatch", "missing-model", "not-a-model", "id-unknown",
         "evaluate-unlabelled", "inspect-empty", "train-no-data", "evaluate-no-data",
         "predict-file-and-dataset", "drop-took-file"],
)
def test_csv_errors(credit_model, args, expected):
    _, _, model_path = credit_model
    args = [a.format(data=DATA, model=model_path) for a in args]
    result = run_cli(*args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fastnn: error:")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.filterwarnings("ignore::fastnn.ConvergenceWarning")
def test_predict_with_bare_network(tmp_path):
    model_path = tmp_path / "net.fnn"
    fastnn.MLPClassifier(hidden_layer_sizes=(3,), max_iter=5).fit(
        np.eye(4), [0, 1, 0, 1]).save(model_path)
    predicted = run_cli("predict", str(model_path), str(DATA / "colors.csv"))
    assert predicted.returncode == 2
    assert "contains an MLPClassifier, which has no table preprocessing" in predicted.stderr
    assert "Traceback" not in predicted.stderr


def test_proba_for_regression_model(tmp_path):
    model_path = tmp_path / "age.fnn"
    trained = run_cli("train", str(DATA / "credit.csv"), "--target", "loan_amount", "--epochs",
                      "3", "--quiet", "--out", str(model_path))
    assert trained.returncode == 0, trained.stderr
    result = run_cli("predict", str(model_path), str(DATA / "credit_new.csv"), "--proba")
    assert result.returncode == 2
    assert "--proba needs a classification model" in result.stderr


def test_predict_unwritable_output(credit_model, tmp_path):
    _, _, model_path = credit_model
    target = tmp_path / "missing" / "out.csv"
    result = run_cli("predict", str(model_path), str(DATA / "credit_new.csv"), "-o", str(target))
    assert result.returncode == 2
    assert "fastnn: error: could not write %s" % target in result.stderr


@pytest.mark.parametrize("command", [
    ["train", "{data}/credit.csv", "--target", "default", "--epochs", "100000",
     "--patience", "100000"],
    ["train", "--dataset", "digits", "--epochs", "100000", "--patience", "100000"],
], ids=["csv", "dataset"])
def test_interrupt_exits_130(tmp_path, command):
    import signal

    model_path = tmp_path / "model.fnn"
    args = [a.format(data=DATA) for a in command] + ["--out", str(model_path)]
    env = dict(os.environ, FASTNN_NUM_THREADS="2")
    env["PYTHONPATH"] = str(PACKAGE_PARENT)
    # A runner started in the background by a shell without job control
    # ignores SIGINT, and so would the child. Python installs its Ctrl-C
    # handler only where SIGINT has the default action.
    process = subprocess.Popen(
        [sys.executable, "-m", "fastnn", *args], cwd=PACKAGE_PARENT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.startswith("epoch 3/"):
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    stderr = "".join(seen) + stderr
    assert process.returncode == 130, "exit status %s, stdout %r, stderr:\n%s" % (
        process.returncode, stdout, stderr)
    assert stderr.strip().splitlines()[-1] == "fastnn: interrupted"
    assert "Traceback" not in stderr
    assert not model_path.exists()


def test_plots(tmp_path):
    pytest.importorskip("matplotlib")
    plots = tmp_path / "plots"
    result = run_cli("train", str(DATA / "moons.csv"), "--target", "side", "--epochs", "20",
                     "--quiet", "--plots", str(plots))
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in plots.iterdir())
    assert names == ["confusion_matrix.png", "decision_boundary.png", "loss.png", "roc_curve.png"]
    for path in plots.iterdir():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plots_regression_and_dataset(tmp_path):
    pytest.importorskip("matplotlib")
    regression = run_cli("train", str(DATA / "houses_semicolon.csv"), "--target",
                         "price_thousands", "--decimal", ",", "--epochs", "5", "--quiet",
                         "--plots", str(tmp_path / "houses"))
    assert regression.returncode == 0, regression.stderr
    assert sorted(p.name for p in (tmp_path / "houses").iterdir()) == [
        "loss.png", "predicted_vs_actual.png"]
    dataset = run_cli("train", "--dataset", "breast_cancer", "--epochs", "5", "--quiet",
                      "--plots", str(tmp_path / "cancer"))
    assert dataset.returncode == 0, dataset.stderr
    assert sorted(p.name for p in (tmp_path / "cancer").iterdir()) == [
        "confusion_matrix.png", "loss.png", "roc_curve.png"]


def test_plots_without_matplotlib(tmp_path):
    # A package named matplotlib that fails to import simulates a missing one.
    blocker = tmp_path / "blocked" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('matplotlib is blocked here')\n")
    env = dict(os.environ, FASTNN_NUM_THREADS="2")
    env["PYTHONPATH"] = os.pathsep.join([str(blocker.parent), str(PACKAGE_PARENT)])
    # The working folder comes first on sys.path, so it must not be
    # PACKAGE_PARENT: for an installed fastnn that is site-packages, whose
    # real matplotlib would then win over the blocker.
    result = subprocess.run(
        [sys.executable, "-m", "fastnn", "train", str(DATA / "moons.csv"), "--target", "side",
         "--plots", str(tmp_path / "plots")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == ("fastnn: error: --plots needs matplotlib; install it with "
                                     "'pip install matplotlib'")
    assert not (tmp_path / "plots").exists()


def test_version_option():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "fastnn %s" % fastnn.__version__
