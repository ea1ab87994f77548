"""The CSV commands: ``train DATA.csv``, ``evaluate``, ``predict`` and ``inspect``."""

import contextlib
import csv
import io
import json
import os
import re
import sys
import tempfile
import time

import numpy as np

from ._cli import TASK_CHOICES, CommandError, check_training_options, require_matplotlib
from ._table import describe_names

# ---- reading ---------------------------------------------------------------


def read_data(args, path, drop=(), types=None):
    """Read a CSV file with the command's format options."""
    from .tabular import read_csv

    if args.decimal is not None and len(args.decimal) != 1:
        raise CommandError("--decimal must be one character, got %r" % args.decimal)
    delimiter = args.delimiter
    if delimiter is not None:
        delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
        if len(delimiter) != 1:
            raise CommandError("--delimiter must be one character (or \\t), got %r" % args.delimiter)
        if delimiter == args.decimal:
            raise CommandError("--delimiter and --decimal must differ, both are %r" % delimiter)
    if not os.path.exists(path):
        raise CommandError("data file not found: %s" % path)
    if os.path.isdir(path):
        raise CommandError("%s is a directory, not a CSV file" % path)
    try:
        table = read_csv(path, delimiter=delimiter, decimal=args.decimal, na_values=args.na,
                         encoding=args.encoding, drop=list(drop) or None)
    except LookupError:
        raise CommandError("unknown text encoding %r given to --encoding" % args.encoding)
    if types:
        table._set_types(types)
    return table


def load_model(path):
    """Load a TabularModel file, with one-line errors for every other kind of file."""
    from . import _io
    from ._model import TabularModel

    if not os.path.exists(path):
        raise CommandError("model file not found: %s" % path)
    tensors, document = _io.read_model(path)
    kind = document.get("estimator")
    if kind != "TabularModel":
        description = "a bare fastnn.MLP" if kind is None else "an %s" % kind
        raise CommandError(
            "%s contains %s, which has no table preprocessing; evaluate and predict need a "
            "model written by 'fastnn train ... --out MODEL' or TabularModel.save"
            % (path, description)
        )
    return TabularModel._from_document(document, tensors, path)


def parse_types(entries):
    from ._table import COLUMN_TYPES

    types = {}
    for entry in entries:
        name, _, kind = entry.rpartition("=")
        if not name or kind not in COLUMN_TYPES:
            raise CommandError("--type must be COLUMN=TYPE with TYPE one of %s, got %r"
                               % (", ".join(COLUMN_TYPES), entry))
        types[name] = kind
    return types


# ---- train DATA.csv and train --dataset ------------------------------------------------

# The column of a shipped dataset's table that contains the labels, as in its CSV file.
DATASET_TARGET = "target"


def dataset_table(name):
    """Return (table, Dataset) for a shipped dataset: its features plus a 'target' column."""
    from . import datasets
    from .tabular import as_table

    if name not in datasets.available_datasets():
        raise CommandError("unknown dataset %r; available: %s"
                           % (name, ", ".join(datasets.available_datasets())))
    data = datasets.load_dataset(name)
    columns = {feature: data.data[:, j] for j, feature in enumerate(data.feature_names)}
    columns[DATASET_TARGET] = data.target
    return as_table(columns, source="dataset %s" % name), data


def read_input(args, drop=(), types=None):
    """Return (table, name for messages) from DATA.csv or --dataset, exactly one of them."""
    if args.data is not None and args.dataset is not None:
        raise CommandError("give either a CSV file or --dataset, not both")
    if args.dataset is not None:
        table, _ = dataset_table(args.dataset)
        table = as_selected(table, drop, types)
        return table, args.dataset
    if args.data is None:
        if any(os.path.isfile(value) for value in drop):
            raise CommandError("give DATA.csv before --drop (its list of columns took the file "
                               "name), or end the list with --")
        raise CommandError("give a CSV file (DATA.csv) or a shipped dataset (--dataset NAME)")
    return read_data(args, args.data, drop=drop, types=types), args.data


def as_selected(table, drop, types):
    """Apply --drop and --type to an in-memory table, with the CSV path's messages."""
    from .tabular import as_table

    missing = [name for name in drop if name not in table]
    if missing:
        raise CommandError("--drop names columns that are not in the data: %s; its columns "
                           "are: %s" % (", ".join(missing), describe_names(table.columns)))
    return as_table(table, drop=list(drop) or None, types=types or None)


def command_train_csv(args):
    """``fastnn train DATA.csv --target COL`` and ``fastnn train --dataset NAME``."""
    from .preprocessing import TablePreprocessor
    from .tabular import TabularModel

    if args.dataset is not None:
        if args.target is not None and args.target != DATASET_TARGET:
            raise CommandError("--target: the labels of a shipped dataset are its column %r; "
                               "leave --target out" % DATASET_TARGET)
        args.target = DATASET_TARGET
        default_test_size, source = 0.25, args.dataset
    else:
        if args.data is not None and args.target is None:
            raise CommandError("--target COLUMN is required with a CSV file: the column to "
                               "predict")
        default_test_size, source = 0.2, args.data
    hidden, test_size = check_training_options(args, default_test_size=default_test_size)
    if args.target is not None and args.target in args.drop:
        raise CommandError("--drop lists the target column %r" % args.target)
    types = parse_types(args.type)
    table, source = read_input(args, drop=args.drop, types=types)
    if args.target not in table:
        raise CommandError("%s has no column %r to use as --target; its columns are: %s"
                           % (source, args.target, describe_names(table.columns)))
    if table.n_rows < 2:
        raise CommandError("%s has %d data row; training needs at least 2"
                           % (source, table.n_rows))
    # Infer every column's type now, so that a bad column fails before training.
    for name in table.columns:
        table.type_of(name)
    if args.decimal == ".":
        _warn_decimal_comma(table)
    if args.out:
        _check_writable(args.out)
    positive = args.positive
    if positive is None and args.dataset is not None:
        positive = dataset_table(args.dataset)[1].positive_label
    _check_target(table, args, source, positive)

    preprocessor = TablePreprocessor(
        scaling=None if args.scaling == "none" else args.scaling,
        missing_indicator=args.missing_indicator,
    )
    model = TabularModel(
        task=TASK_CHOICES[args.task], hidden_layer_sizes=hidden, epochs=args.epochs,
        batch_size=args.batch_size or "auto", learning_rate=args.learning_rate,
        n_iter_no_change=args.patience, positive_label=positive,
        preprocessor=preprocessor, random_state=args.seed, verbose=not args.quiet,
    )
    train_rows, test_rows = _split(table, args, model, test_size, source)
    train_table, test_table = table.take(train_rows), table.take(test_rows)

    log = sys.stderr
    print("fastnn: training on %s: %d rows (%d train, %d test), %d columns, target %r"
          % (source, table.n_rows, len(train_rows), len(test_rows), len(table.columns) - 1,
             args.target), file=log)
    start = time.perf_counter()
    with contextlib.redirect_stdout(log):
        model.fit(train_table, target=args.target)
    seconds = time.perf_counter() - start
    print("fastnn: %s, %d input columns -> %d features, %s"
          % (model.task_, len(model.feature_names_in_), model.preprocessor_.n_features_out_,
             _describe_classes(model)), file=log)

    metrics = model.evaluate(test_table)
    result = _flatten_metrics(metrics)
    result.update(
        task=model.task_, target=args.target, n_train=len(train_rows), n_test=len(test_rows),
        n_validation=model.n_validation_, epochs=model.n_epochs_, best_epoch=model.best_epoch_,
        seconds=round(seconds, 4),
    )
    print_report(result, "test metrics on %s" % source)
    print("  trained %d epochs (kept epoch %d) on %d rows (%d for validation) in %.2f s"
          % (model.n_epochs_, model.best_epoch_, model.n_train_, model.n_validation_, seconds))

    if args.out:
        metadata = {"command": "train", "seed": args.seed, "test_size": test_size}
        if args.dataset is not None:
            metadata["dataset"] = args.dataset
        else:
            metadata["data"] = os.path.abspath(args.data)
        try:
            model.save(args.out, metrics={"test": result}, metadata=metadata)
        except OSError as exc:
            raise CommandError("could not save the model to %s: %s" % (args.out, exc.strerror or exc))
        print("saved model to %s" % args.out)
    if args.plots:
        _write_plots(args.plots, model, test_table, args.target)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0


# A number written with a decimal comma, optionally with "." between thousands.
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d+|\d{1,3}(\.\d{3})+),\d+$")
_INTEGER = re.compile(r"^[+-]?\d+$")


def _warn_decimal_comma(table):
    """Warn about text columns whose values all look like decimal-comma numbers."""
    from ._table import CATEGORICAL

    for name in table.columns:
        if table.type_of(name) != CATEGORICAL:
            continue
        values = {v for v in table.text(name) if v is not None}
        commas = [v for v in values if _DECIMAL_COMMA.match(v)]
        if commas and all(_DECIMAL_COMMA.match(v) or _INTEGER.match(v) for v in values):
            print("fastnn: warning: column %r reads as text, but its values look like numbers "
                  "with a decimal comma (such as %r); if they are, pass --decimal ,"
                  % (name, sorted(commas)[0]), file=sys.stderr)


def _check_writable(path):
    """Fail before training when the model could not be saved to ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    problem = None
    if os.path.isdir(path):
        problem = "it is a directory"
    elif not os.path.isdir(directory):
        problem = "the directory %s does not exist" % directory
    elif not os.access(directory, os.W_OK | os.X_OK):
        problem = "the directory %s is not writable" % directory
    if problem:
        raise CommandError("could not save the model to %s: %s" % (path, problem))


def _check_target(table, args, source, positive):
    """Reject a single-class target and an unknown positive class before training starts."""
    from ._model import infer_task

    if infer_task(table, args.target, TASK_CHOICES[args.task]) != "classification":
        if args.positive is not None:
            raise CommandError("--positive applies to classification, but %r is a regression "
                               "target (use --task classify to treat it as classes)" % args.target)
        table.numeric(args.target)  # names the first line whose target is not a number
        return
    labels = sorted({v for v in table.text(args.target) if v is not None})
    if len(labels) < 2:
        raise CommandError(
            "%s: the target %r has %s; a classifier needs at least two classes"
            % (source, args.target,
               "only one class (%r)" % labels[0] if labels else "no values")
        )
    if positive is not None and str(positive) not in labels:
        raise CommandError("--positive %r is not a class of %r; its classes are: %s"
                           % (positive, args.target, ", ".join(labels[:20])))


def _split(table, args, model, test_size, source):
    """Return (train, test) row positions, stratified by class when possible."""
    from .model_selection import train_test_split

    rows = np.arange(table.n_rows)
    stratify = None
    if _is_classification(model, table, args.target):
        labels = table.text(args.target)
        stratify = np.array(["\0" if v is None else v for v in labels], dtype=str)
    try:
        return train_test_split(rows, test_size=test_size, random_state=args.seed,
                                stratify=stratify)
    except ValueError as exc:
        # Only a class with a single row falls back to a random split. A test
        # or training part smaller than the number of classes is an error.
        if stratify is None or "only 1 member" not in str(exc):
            raise CommandError("%s: cannot split %d rows with --test-size %g: %s"
                               % (source, table.n_rows, test_size, exc)) from None
    print("fastnn: warning: some class has a single row, too few for a stratified split; "
          "using a random split", file=sys.stderr)
    try:
        return train_test_split(rows, test_size=test_size, random_state=args.seed)
    except ValueError as exc:
        raise CommandError("%s: cannot split %d rows with --test-size %g: %s"
                           % (source, table.n_rows, test_size, exc)) from None


def _is_classification(model, table, target):
    from ._model import infer_task

    return infer_task(table, target, model.task) == "classification"


def _describe_classes(model):
    if model.task_ == "regression":
        return "target mean %.6g, standard deviation %.6g" % (model._target_mean,
                                                              model._target_scale)
    text = "classes: %s" % ", ".join(str(c) for c in model.classes_.tolist()[:10])
    if len(model.classes_) > 10:
        text += ", ... (%d)" % len(model.classes_)
    if model.positive_label_ is not None:
        text += " (positive: %s)" % model.positive_label_
    return text


def _write_plots(directory, model, table, target):
    from . import plotting

    labels, present = model._read_labels(table.select([target]), target, training=False)
    rows = np.flatnonzero(present)
    try:
        written = plotting.save_model_plots(model, directory, table.take(rows), labels[rows])
    except OSError as exc:
        raise CommandError("could not write plots to %s: %s" % (directory, exc.strerror or exc))
    print("wrote %d plots to %s: %s" % (len(written), directory,
                                        ", ".join(os.path.basename(p) for p in written)),
          file=sys.stderr)


# ---- evaluate ----------------------------------------------------------------------------


def command_evaluate(args):
    if args.plots:
        require_matplotlib()
    model = load_model(args.model)
    table, source = read_input(args)
    if model.target_name_ not in table:
        raise CommandError(
            "%s has no column %r, the target the model was trained on; evaluate needs "
            "labelled rows (use predict for rows without it)" % (source, model.target_name_)
        )
    if args.dataset is not None and model.metadata.get("dataset") == args.dataset:
        print("fastnn: warning: these are all %d rows of %s, including those the model "
              "trained on, so the metrics are optimistic; 'fastnn train' printed the metrics "
              "on its held-out test rows" % (table.n_rows, args.dataset), file=sys.stderr)
    result = _flatten_metrics(model.evaluate(table))
    result.update(task=model.task_, target=model.target_name_)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print_report(result, "metrics on %s" % source)
    if args.plots:
        _write_plots(args.plots, model, table, model.target_name_)
    return 0


def _flatten_metrics(metrics):
    """Return the metrics with plain Python values, for JSON and the report."""
    result = {}
    for key, value in metrics.items():
        if isinstance(value, (np.generic,)):
            value = value.item()
        result[key] = value
    return result


def print_report(result, title):
    if result["task"] == "regression":
        print("%s (%d rows, regression of %r):" % (title, result["n"], result["target"]))
        for key in ("mse", "rmse", "mae", "r2"):
            print("  %-18s %s" % (key, _format_value(result[key])))
        return
    average = result["average"]
    if result.get("positive_label") is not None:
        average = "binary, positive: %s" % result["positive_label"]
    print("%s (%d rows, %s):" % (title, result["n"], average))
    for key in ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "f1_weighted",
                "roc_auc", "log_loss"):
        print("  %-18s %s" % (key, _format_value(result[key])))
    print("confusion matrix (rows: true class, columns: predicted class):")
    labels = [str(label) for label in result["labels"]]
    width = max(max(len(label) for label in labels), 5)
    print("  " + " " * width + "".join(" %*s" % (width, label) for label in labels))
    for label, row in zip(labels, result["confusion_matrix"]):
        print("  %*s" % (width, label) + "".join(" %*d" % (width, count) for count in row))


def _format_value(value):
    return "n/a" if value is None else "%.4f" % value


# ---- predict -------------------------------------------------------------------------------


def command_predict(args):
    model = load_model(args.model)
    if args.proba and model.task_ != "classification":
        raise CommandError("--proba needs a classification model; %s does regression" % args.model)
    table, source = read_input(args)
    ids = None
    if args.id is not None:
        if args.id not in table:
            raise CommandError("%s has no column %r given to --id; its columns are: %s"
                               % (source, args.id, describe_names(table.columns)))
        ids = table.text(args.id)

    header, rows = _prediction_rows(model, table, args.proba, args.id, ids)
    if args.json:
        records = [dict(zip(header, row)) for row in rows]
        text = json.dumps(records) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        text = buffer.getvalue()

    if args.output is None:
        sys.stdout.write(text)
        return 0
    _write_atomically(args.output, text)
    print("wrote %d predictions to %s" % (len(rows), args.output))
    return 0


def _prediction_rows(model, table, with_proba, id_name, ids):
    """Return the output header and one list of values per input row."""
    header = ([id_name] if id_name is not None else []) + ["prediction"]
    if model.task_ == "regression":
        predictions = [float(value) for value in model.predict(table)]
        probabilities = None
    else:
        proba = model.predict_proba(table)
        predictions = model.labels_from_proba(proba).tolist()
        probabilities = proba if with_proba else None
    if probabilities is not None:
        header += ["proba_%s" % label for label in model.classes_.tolist()]

    rows = []
    for i, prediction in enumerate(predictions):
        row = [] if ids is None else [ids[i]]
        row.append(prediction)
        if probabilities is not None:
            # The probabilities' own dtype (float32) gives the shortest exact text.
            row.extend(float(str(p)) for p in probabilities[i])
        rows.append(row)
    return header, rows


def _write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp_path = tempfile.mkstemp(prefix=".fastnn-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise CommandError("could not write %s: %s" % (path, exc.strerror or exc))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp_path, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_path)
        if isinstance(exc, OSError):
            raise CommandError("could not write %s: %s" % (path, exc.strerror or exc))
        raise


# ---- inspect -----------------------------------------------------------------------------


def command_inspect(args):
    from . import _io

    if not os.path.exists(args.model):
        raise CommandError("model file not found: %s" % args.model)
    facts = _io.describe_file(args.model)
    document = facts["document"]
    if document.get("estimator") == "TabularModel":
        load_model(args.model)  # checks that the parts fit together
    summary = _summary(facts, document)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        _print_summary(summary)
    return 0


def _summary(facts, document):
    network = document.get("network", {})
    n_params = sum(int(np.prod(t["shape"], dtype=np.int64)) for t in facts["tensors"])
    summary = {
        "path": facts["path"],
        "size_bytes": facts["size"],
        "format_version": facts["format_version"],
        "weights_sha256": facts["sha256"],
        "description_sha256": facts["document_sha256"],
        "kind": document.get("estimator") or "MLP",
        "fastnn_version": document.get("fastnn_version"),
        "saved_at": document.get("saved_at"),
        "network": {
            "layer_sizes": network.get("layer_sizes"),
            "activations": network.get("activations"),
            "output": network.get("output"),
            "dtype": network.get("dtype"),
            "n_parameters": n_params,
        },
        "metadata": document.get("metadata", {}),
    }
    if summary["kind"] == "TabularModel":
        preprocessing = document["preprocessing"]
        training = dict(document["training"])
        training.pop("history", None)
        summary.update(
            task=document["task"],
            target=document["target"],
            columns=preprocessing["columns"],
            preprocessing=preprocessing["params"],
            features=[name for name, keep in zip(preprocessing["feature_names"],
                                                 preprocessing["keep"]) if keep],
            dropped_features=[name for name, keep in zip(preprocessing["feature_names"],
                                                         preprocessing["keep"]) if not keep],
            training=training,
            metrics=document.get("metrics", {}),
        )
    elif "classes" in document:
        summary["classes"] = document["classes"]
    return summary


def _print_summary(summary):
    network = summary["network"]
    print("%s: fastnn %s, format version %d, %d bytes, saved %s by fastnn %s"
          % (summary["path"], summary["kind"], summary["format_version"], summary["size_bytes"],
             summary["saved_at"], summary["fastnn_version"]))
    print("  weights sha256:     %s" % summary["weights_sha256"])
    if summary["description_sha256"]:
        print("  description sha256: %s" % summary["description_sha256"])
    print("network: %s, %s hidden activation, %s output, %s, %d parameters"
          % (" -> ".join(str(s) for s in network["layer_sizes"] or []),
             "/".join(network["activations"] or []) or "no", network["output"],
             network["dtype"], network["n_parameters"]))
    if summary["kind"] != "TabularModel":
        if "classes" in summary:
            print("classes: %s" % ", ".join(str(c) for c in summary["classes"]))
        if summary["metadata"]:
            print("metadata: %s" % json.dumps(summary["metadata"], sort_keys=True)[:2000])
        return

    target = summary["target"]
    task = summary["task"]
    if task == "regression":
        print("task: regression of %r (target mean %.6g, standard deviation %.6g)"
              % (target["name"], target["mean"], target["scale"]))
    else:
        positive = ("" if target.get("positive_label") is None
                    else ", positive: %s" % target["positive_label"])
        print("task: classification of %r, %d classes: %s%s"
              % (target["name"], len(target["classes"]),
                 ", ".join(str(c) for c in target["classes"]), positive))

    columns = summary["columns"]
    print("input columns (%d):" % len(columns))
    width = max(len(c["name"]) for c in columns)
    scaling = summary["preprocessing"]["scaling"]
    for column in columns:
        print("  %-*s  %-11s  %s" % (width, column["name"], column["type"],
                                     _describe_column(column, scaling)))
    print("features after preprocessing (%d): %s"
          % (len(summary["features"]), ", ".join(summary["features"][:20])
             + (", ..." if len(summary["features"]) > 20 else "")))
    if summary["dropped_features"]:
        print("dropped as constant: %s" % ", ".join(summary["dropped_features"]))
    params = summary["preprocessing"]
    print("preprocessing: %s imputation (numeric), %s (categorical), scaling %s, missing "
          "indicators %s, unknown categories %s"
          % (params["numeric_imputation"], params["categorical_imputation"].replace("_", " "),
             scaling or "none", "on" if params["missing_indicator"] else "off",
             "ignored" if params["handle_unknown"] == "ignore" else "rejected"))
    training = summary["training"]
    print("training: %d rows (%d for validation), %d epochs, kept epoch %d, %.2f s"
          % (training["n_train"], training["n_validation"], training["epochs_run"],
             training["best_epoch"], training["seconds"]))
    test = summary["metrics"].get("test")
    if test:
        keys = ("mse", "rmse", "mae", "r2") if task == "regression" else (
            "accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc")
        print("test metrics (%d rows): %s" % (test["n_test"], ", ".join(
            "%s %s" % (key, _format_value(test.get(key))) for key in keys)))


def _describe_column(column, scaling):
    fill = column["fill"]
    parts = []
    if column["type"] == "categorical":
        categories = column["categories"]
        listed = ", ".join(repr(c) for c in categories[:8]) + (", ..." if len(categories) > 8 else "")
        parts.append("%d categor%s (%s)" % (len(categories), "y" if len(categories) == 1 else "ies",
                                            listed))
        parts.append("missing -> %r" % fill)
    elif column["type"] == "boolean":
        parts.append("missing -> %s" % ("true" if fill == 1.0 else "false"))
    else:
        parts.append("missing -> %.6g" % fill)
        if scaling:
            parts.append("%s scaling" % scaling)
    if column["missing_indicator"]:
        parts.append("missing indicator")
    return ", ".join(parts)
