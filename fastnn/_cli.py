"""The ``fastnn`` command: train on a shipped dataset, show the configuration."""

import argparse
import contextlib
import json
import sys
import time

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CommandError(Exception):
    """An error reported to the user as one line, with exit status 2."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="fastnn",
        description="Train and inspect fast multilayer perceptrons.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    info = sub.add_parser("info", help="print the version, OpenMP status, SIMD kernels and threads")
    info.add_argument("--json", action="store_true", help="print the configuration as JSON")

    train = sub.add_parser(
        "train",
        help="train a classifier on a shipped dataset and print its test metrics",
        description=(
            "Standardize the features, split train/test (stratified, seeded), train an "
            "MLPClassifier, print accuracy, precision, recall and F1 on the test split."
        ),
    )
    train.add_argument("--dataset", required=True, help="shipped dataset: breast_cancer or digits")
    train.add_argument("--out", metavar="PATH", help="save the trained model to this file")
    train.add_argument("--json", action="store_true",
                       help="print the metrics as one JSON object on the last line")
    train.add_argument("--hidden", default="64", metavar="SIZES",
                       help="hidden layer widths, comma-separated (default: 64)")
    train.add_argument("--epochs", type=int, default=200, metavar="N",
                       help="maximum number of epochs (default: 200)")
    train.add_argument("--batch-size", type=int, default=None, metavar="N",
                       help="rows per mini-batch (default: min(200, rows))")
    train.add_argument("--learning-rate", type=float, default=1e-3, metavar="LR",
                       help="Adam step size (default: 0.001)")
    train.add_argument("--test-size", type=float, default=0.25, metavar="FRACTION",
                       help="fraction of rows held out for testing (default: 0.25)")
    train.add_argument("--seed", type=int, default=0, help="seed of the split and the weights (default: 0)")
    train.add_argument("--threads", type=int, default=None, metavar="N",
                       help="threads for the kernels (default: FASTNN_NUM_THREADS, "
                            "OMP_NUM_THREADS or the usable CPUs)")
    train.add_argument("--quiet", action="store_true", help="do not print per-epoch progress")
    return parser


def run(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "info":
            return command_info(args)
        return command_train(args)
    except CommandError as exc:
        print("fastnn: error: %s" % exc, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("fastnn: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def command_info(args):
    import fastnn

    if args.json:
        print(json.dumps(fastnn.config(), sort_keys=True))
    else:
        fastnn.show_config()
    return 0


def _parse_hidden(text):
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise CommandError("--hidden must be comma-separated positive integers such as 64,32, got %r" % text)
    if not sizes or min(sizes) < 1:
        raise CommandError("--hidden must be comma-separated positive integers such as 64,32, got %r" % text)
    return sizes


def command_train(args):
    import numpy as np

    import fastnn
    from fastnn import datasets, metrics
    from fastnn.model_selection import train_test_split
    from fastnn.preprocessing import StandardScaler

    if args.dataset not in datasets.available_datasets():
        raise CommandError(
            "unknown dataset %r; available: %s"
            % (args.dataset, ", ".join(datasets.available_datasets()))
        )
    hidden = _parse_hidden(args.hidden)
    if args.epochs < 1:
        raise CommandError("--epochs must be >= 1, got %d" % args.epochs)
    if not 0 < args.test_size < 1:
        raise CommandError("--test-size must be between 0 and 1, got %g" % args.test_size)
    if args.threads is not None:
        if args.threads < 1:
            raise CommandError("--threads must be >= 1, got %d" % args.threads)
        fastnn.set_num_threads(args.threads)

    data = datasets.load_dataset(args.dataset)
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=args.test_size, random_state=args.seed,
        stratify=data.target,
    )
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
    with contextlib.redirect_stdout(log):
        clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start

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
