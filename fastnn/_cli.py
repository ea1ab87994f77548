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
import json
import os
import sys
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
            "network, with early stopping on a validation split. Prints the test metrics "
            "and saves the model, with its preprocessing, with --out."
        ),
    )

    # What to train on.
    train.add_argument("data", nargs="?", metavar="DATA.csv",
                       help="CSV file with a header row; a name ending in .gz is read "
                            "through gzip")
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
                       help="stop after N epochs without improvement of the validation "
                            "loss (default: 10)")

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
        "evaluate", help="print a model's metrics on labelled rows of a CSV file or dataset",
        description="Predict the rows of DATA.csv (or of a shipped dataset) and compare "
                    "with its target column.",
    )
    evaluate.add_argument("model", metavar="MODEL", help="model file written by fastnn train")
    evaluate.add_argument("data", nargs="?", metavar="DATA.csv",
                          help="CSV file (or .csv.gz) that has the target column")
    evaluate.add_argument("--dataset", help="a shipped dataset instead of a file; all its rows, "
                                            "including those the model trained on")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument("--threads", type=int, default=None, metavar="N",
                          help="threads for the kernels")
    evaluate.add_argument("--plots", metavar="DIR",
                          help="write the confusion matrix, ROC or predicted-vs-actual plot "
                               "to this directory; needs matplotlib")
    _add_csv_options(evaluate)


def _add_predict_parser(sub):
    predict = sub.add_parser(
        "predict", help="write predictions for the rows of a CSV file or dataset",
        description=(
            "Write one prediction per row of DATA.csv (or of a shipped dataset), in input "
            "order, as CSV to stdout "
            "or to -o OUT.csv. Columns: the --id column, prediction, and with --proba one "
            "probability column per class."
        ),
    )
    predict.add_argument("model", metavar="MODEL", help="model file written by fastnn train")
    predict.add_argument("data", nargs="?", metavar="DATA.csv",
                         help="CSV file (or .csv.gz) with the model's input columns")
    predict.add_argument("--dataset", help="a shipped dataset instead of a file")
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
