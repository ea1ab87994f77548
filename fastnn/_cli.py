"""The ``fastnn`` command: train, evaluate, predict, inspect, info.

Exit status:

    0     success
    1     training diverged
    2     invalid input: a bad option, a missing or damaged file, data that
          does not fit. One line "fastnn: error: ..." names the file, line
          or column.
    130   interrupted (Ctrl-C)

Progress and warnings go to stderr, reports and JSON to stdout.
"""

import argparse
import contextlib
import json
import os
import sys
import time
import warnings

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

TASK_CHOICES = {"auto": "auto", "classify": "classification", "regress": "regression"}


def _version():
    from . import __version__

    return __version__


class CommandError(Exception):
    """An error reported to the user as one line, with exit status 2."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="fastnn",
        description="Train, evaluate and serve fast multilayer perceptrons.",
    )
    parser.add_argument("--version", action="version", version="fastnn " + _version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    info = sub.add_parser("info", help="print the version, OpenMP status, SIMD kernels and threads")
    info.add_argument("--json", action="store_true", help="print the configuration as JSON")

    _add_train_parser(sub)
    _add_evaluate_parser(sub)
    _add_predict_parser(sub)

    inspect = sub.add_parser(
        "inspect", help="print a model file's architecture, features, preprocessing and metrics",
    )
    inspect.add_argument("model", metavar="MODEL", help="model file")
    inspect.add_argument("--json", action="store_true", help="print the description as JSON")
    return parser


def _add_train_parser(sub):
    train = sub.add_parser(
        "train",
        help="train on a CSV file or a shipped dataset and print test metrics",
        description=(
            "Train on DATA.csv (with --target) or on a shipped dataset (--dataset). A seeded "
            "test split (stratified for classification) is held out; the rest trains a "
            "network, with early stopping on a validation split for CSV data. Prints the "
            "test metrics and saves the model with --out."
        ),
    )

    # What to train on.
    train.add_argument("data", nargs="?", metavar="DATA.csv", help="CSV file with a header row")
    train.add_argument("--dataset", help="shipped dataset instead of a file: breast_cancer or digits")
    train.add_argument("--target", metavar="COLUMN", help="column to predict (required with a CSV file)")
    train.add_argument("--task", choices=sorted(TASK_CHOICES), default="auto",
                       help="classify or regress; auto picks classify for text, boolean and "
                            "whole-number targets with at most 10 values (default: auto)")

    # Output.
    train.add_argument("--out", metavar="MODEL", help="save the trained model to this file")
    train.add_argument("--json", action="store_true",
                       help="print the metrics as one JSON object on the last line")
    train.add_argument("--quiet", action="store_true", help="do not print per-epoch progress")
    train.add_argument("--plots", metavar="DIR",
                       help="write PNG plots (loss curves, confusion matrix, ROC curve, ...) "
                            "to this directory; needs matplotlib")

    # The network and its training.
    train.add_argument("--hidden", default="64", metavar="SIZES",
                       help="hidden layer widths, comma-separated (default: 64)")
    train.add_argument("--epochs", type=int, default=200, metavar="N",
                       help="maximum number of epochs (default: 200)")
    train.add_argument("--batch-size", type=int, default=None, metavar="N",
                       help="rows per mini-batch (default: min(200, rows))")
    train.add_argument("--learning-rate", type=float, default=1e-3, metavar="LR",
                       help="Adam step size (default: 0.001)")
    train.add_argument("--test-size", type=float, default=None, metavar="FRACTION",
                       help="fraction of rows held out for testing (default: 0.2 for a CSV "
                            "file, 0.25 for --dataset)")
    train.add_argument("--seed", type=int, default=0,
                       help="seed of the splits and the weights (default: 0)")
    train.add_argument("--threads", type=int, default=None, metavar="N",
                       help="threads for the kernels (default: FASTNN_NUM_THREADS, "
                            "OMP_NUM_THREADS or the usable CPUs)")
    train.add_argument("--patience", type=int, default=10, metavar="N",
                       help="CSV files: stop after N epochs without improvement of the "
                            "validation loss (default: 10)")

    columns = train.add_argument_group("CSV columns and preprocessing")
    columns.add_argument("--drop", nargs="+", action="extend", default=[], metavar="COL",
                         help="columns to ignore, such as ids")
    columns.add_argument("--type", action="append", default=[], metavar="COL=TYPE",
                         help="set a column's type: numeric, categorical or boolean (repeatable)")
    columns.add_argument("--scaling", choices=("standard", "minmax", "none"), default="standard",
                         help="scaling of numeric columns (default: standard)")
    columns.add_argument("--missing-indicator", action="store_true",
                         help="add a 0/1 feature per column that has missing values")
    columns.add_argument("--positive", metavar="LABEL",
                         help="class that precision, recall and F1 treat as positive (binary "
                              "targets; default: the true word, 1, or the rarer class)")
    _add_csv_options(train)


def _add_evaluate_parser(sub):
    evaluate = sub.add_parser(
        "evaluate", help="print a model's metrics on labelled rows of a CSV file",
        description="Predict the rows of DATA.csv and compare with its target column.",
    )
    evaluate.add_argument("model", metavar="MODEL", help="model file written by fastnn train")
    evaluate.add_argument("data", metavar="DATA.csv", help="CSV file that has the target column")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument("--threads", type=int, default=None, metavar="N",
                          help="threads for the kernels")
    evaluate.add_argument("--plots", metavar="DIR",
                          help="write the confusion matrix, ROC or predicted-vs-actual plot "
                               "to this directory; needs matplotlib")
    _add_csv_options(evaluate)


def _add_predict_parser(sub):
    predict = sub.add_parser(
        "predict", help="write predictions for the rows of a CSV file",
        description=(
            "Write one prediction per row of DATA.csv, in input order, as CSV to stdout "
            "or to -o OUT.csv. Columns: the --id column, prediction, and with --proba one "
            "probability column per class."
        ),
    )
    predict.add_argument("model", metavar="MODEL", help="model file written by fastnn train")
    predict.add_argument("data", metavar="DATA.csv", help="CSV file with the model's input columns")
    predict.add_argument("-o", "--output", metavar="OUT.csv",
                         help="write the predictions to this file instead of stdout")
    predict.add_argument("--proba", action="store_true",
                         help="add the probability of each class (classification models)")
    predict.add_argument("--id", metavar="COL", help="copy this column to the output")
    predict.add_argument("--json", action="store_true",
                         help="print a JSON array of rows instead of CSV")
    predict.add_argument("--threads", type=int, default=None, metavar="N",
                         help="threads for the kernels")
    _add_csv_options(predict)


def _add_csv_options(parser):
    group = parser.add_argument_group("CSV format")
    group.add_argument("--delimiter", metavar="CHAR",
                       help="field separator (default: detected among , ; tab |)")
    group.add_argument("--decimal", default=".", metavar="CHAR",
                       help="decimal mark of numbers (default: .)")
    group.add_argument("--na", action="append", default=[], metavar="TEXT",
                       help="extra text that marks a missing value (repeatable); empty "
                            "fields, NA, N/A, NaN, null, None and ? always do")
    group.add_argument("--encoding", default="utf-8", help="text encoding (default: utf-8)")


def run(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return _dispatch(args)
        except CommandError as exc:
            return _fail(exc, EXIT_USAGE)
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            return _fail("cannot read %s: %s" % (exc.filename, exc.strerror), EXIT_USAGE)
        except ValueError as exc:
            from ._io import ModelFileError
            from ._table import DataError

            if isinstance(exc, (DataError, ModelFileError)):
                return _fail(exc, EXIT_USAGE)
            raise
        except KeyboardInterrupt:
            print("fastnn: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            # The reader of stdout went away (for example `| head`): stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return EXIT_FAILURE
        except Exception as exc:
            from ._core import NonFiniteLossError

            if isinstance(exc, NonFiniteLossError):
                return _fail(exc, EXIT_FAILURE)
            raise


def _dispatch(args):
    if args.command == "info":
        return command_info(args)
    from . import _cli_tabular

    if getattr(args, "threads", None) is not None:
        if args.threads < 1:
            raise CommandError("--threads must be >= 1, got %d" % args.threads)
        import fastnn

        fastnn.set_num_threads(args.threads)
    if args.command == "train":
        if args.dataset is not None:
            return command_train(args)
        return _cli_tabular.command_train_csv(args)
    if args.command == "evaluate":
        return _cli_tabular.command_evaluate(args)
    if args.command == "predict":
        return _cli_tabular.command_predict(args)
    return _cli_tabular.command_inspect(args)


def _fail(message, status):
    print("fastnn: error: %s" % message, file=sys.stderr)
    return status


def _show_warning(message, category, filename, lineno, file=None, line=None):
    from ._estimators import ConvergenceWarning

    if issubclass(category, ConvergenceWarning):
        # the estimator names max_iter; on the command line it is --epochs
        message = ("training used all its epochs before the loss converged; raise --epochs "
                   "to train longer")
    print("fastnn: warning: %s" % message, file=sys.stderr)


def command_info(args):
    import fastnn

    if args.json:
        print(json.dumps(fastnn.config(), sort_keys=True))
    else:
        fastnn.show_config()
    return 0


def parse_hidden(text):
    message = "--hidden must be comma-separated positive integers such as 64,32, got %r" % text
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise CommandError(message) from None
    if min(sizes) < 1:
        raise CommandError(message)
    return sizes


def check_training_options(args, default_test_size):
    """Validate the options shared by both kinds of training; return (hidden, test size)."""
    hidden = parse_hidden(args.hidden)
    if args.epochs < 1:
        raise CommandError("--epochs must be >= 1, got %d" % args.epochs)
    test_size = default_test_size if args.test_size is None else args.test_size
    if not 0 < test_size < 1:
        raise CommandError("--test-size must be between 0 and 1, got %g" % test_size)
    if args.batch_size is not None and args.batch_size < 1:
        raise CommandError("--batch-size must be >= 1, got %d" % args.batch_size)
    if args.patience < 1:
        raise CommandError("--patience must be >= 1, got %d" % args.patience)
    if not args.learning_rate > 0:
        raise CommandError("--learning-rate must be > 0, got %g" % args.learning_rate)
    if args.seed < 0:
        raise CommandError("--seed must be >= 0, got %d" % args.seed)
    if args.plots:
        require_matplotlib()
    return hidden, test_size


def require_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError("--plots needs matplotlib; install it with 'pip install matplotlib'")


# ---- train --dataset ----------------------------------------------------------------


def command_train(args):
    import numpy as np

    import fastnn
    from fastnn import datasets, metrics
    from fastnn.model_selection import train_test_split
    from fastnn.preprocessing import StandardScaler

    if args.data is not None:
        raise CommandError("give either a CSV file or --dataset, not both")
    csv_only = [flag for flag, value in (("--target", args.target), ("--drop", args.drop),
                                         ("--type", args.type), ("--positive", args.positive))
                if value]
    if csv_only:
        raise CommandError("%s applies to CSV files, not to --dataset" % ", ".join(csv_only))
    if args.dataset not in datasets.available_datasets():
        raise CommandError(
            "unknown dataset %r; available: %s"
            % (args.dataset, ", ".join(datasets.available_datasets()))
        )
    hidden, test_size = check_training_options(args, default_test_size=0.25)

    data = datasets.load_dataset(args.dataset)
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            data.data, data.target, test_size=test_size, random_state=args.seed,
            stratify=data.target,
        )
    except ValueError as exc:
        raise CommandError("--test-size %g: %s" % (test_size, exc)) from None
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    clf = fastnn.MLPClassifier(
        hidden_layer_sizes=hidden, max_iter=args.epochs, random_state=args.seed,
        batch_size=args.batch_size if args.batch_size else "auto",
        learning_rate_init=args.learning_rate, verbose=not args.quiet,
    )
    log = sys.stderr
    print("fastnn: training on %s: %d rows, %d features, %d classes"
          % (args.dataset, X_train.shape[0], X_train.shape[1], len(np.unique(y_train))), file=log)
    start = time.perf_counter()
    with contextlib.redirect_stdout(log), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    # NOTE: MLPClassifier.fit catches Ctrl-C, keeps the weights and warns;
    # the command turns that warning back into an interrupt (exit 130).
    for warning in caught:
        if issubclass(warning.category, RuntimeWarning) and "interrupted" in str(warning.message):
            raise KeyboardInterrupt
        if issubclass(warning.category, (UserWarning, RuntimeWarning)):
            _show_warning(warning.message, warning.category, warning.filename, warning.lineno)

    result = _test_metrics(metrics, clf, X_test, y_test, data)
    result.update(n_train=int(X_train.shape[0]), n_test=int(X_test.shape[0]),
                  seconds=round(seconds, 4), epochs=int(clf.n_iter_))
    _print_report(result, args.dataset)

    if args.out:
        meta = {"dataset": args.dataset, "metrics": result,
                "preprocessing": {"standard_scaler": {"mean": scaler.mean_.tolist(),
                                                      "scale": scaler.scale_.tolist()}},
                "feature_names": list(data.feature_names)}
        try:
            clf.save(args.out, metadata=meta)
        except OSError as exc:
            raise CommandError("could not save the model to %s: %s" % (args.out, exc.strerror or exc))
        print("saved model to %s" % args.out)
    if args.plots:
        _dataset_plots(args.plots, clf, X_test, y_test, data)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0


def _test_metrics(metrics, clf, X_test, y_test, data):
    y_pred = clf.predict(X_test)
    if len(clf.classes_) == 2:
        positive = clf.classes_[1] if data.positive_label is None else data.positive_label
        average, options = "binary", {"average": "binary", "pos_label": positive}
    else:
        average, options = "macro", {"average": "macro"}
    return {
        "accuracy": float(metrics.accuracy_score(y_test, y_pred)),
        "precision": float(metrics.precision_score(y_test, y_pred, **options)),
        "recall": float(metrics.recall_score(y_test, y_pred, **options)),
        "f1": float(metrics.f1_score(y_test, y_pred, **options)),
        "average": average if average == "macro" else "binary (positive: %s)" % options["pos_label"],
    }


def _print_report(result, dataset):
    print("test metrics on %s (%d rows, %s):" % (dataset, result["n_test"], result["average"]))
    for key in ("accuracy", "precision", "recall", "f1"):
        print("  %-10s %.4f" % (key, result[key]))
    print("  trained %d epochs on %d rows in %.2f s" % (result["epochs"], result["n_train"], result["seconds"]))


def _dataset_plots(directory, clf, X_test, y_test, data):
    from fastnn import plotting

    try:
        os.makedirs(directory, exist_ok=True)
        written = []
        for name, ax in _dataset_figures(plotting, clf, X_test, y_test, data):
            path = os.path.join(directory, name)
            ax.figure.savefig(path, dpi=100)
            written.append(path)
    except OSError as exc:
        raise CommandError("could not write plots to %s: %s" % (directory, exc.strerror or exc))
    print("wrote %d plots to %s" % (len(written), directory), file=sys.stderr)


def _dataset_figures(plotting, clf, X_test, y_test, data):
    yield "loss.png", plotting.plot_loss_curves(clf.loss_curve_)
    yield "confusion_matrix.png", plotting.plot_confusion_matrix(y_test, clf.predict(X_test))
    if len(clf.classes_) == 2:
        positive = clf.classes_[1] if data.positive_label is None else data.positive_label
        column = list(clf.classes_).index(positive)
        yield "roc_curve.png", plotting.plot_roc_curve(
            y_test, clf.predict_proba(X_test)[:, column], pos_label=positive)
