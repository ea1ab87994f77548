"""Print fastnn's ratio table from one pytest-benchmark JSON file, as Markdown.

Usage::

    python bench/report.py results.json [--stat median|min|mean]

Each ratio divides a fastnn figure by the same figure of a peer measured
in the same run: GFLOP/s for SGEMM, samples/s for training an epoch of
workload A, latency for one-row predict and rows/s for a 10,000-row
predict. So a throughput ratio above 1 and a latency ratio below 1 both
mean that fastnn is faster. The targets beside the ratios are those set
for this class of 2-core CPU. Rows whose peer is missing from the file
show "not run".
"""

import argparse
import json
import sys

GEMM_TARGET = 0.9
# batch size -> (minimum ratio to PyTorch eager, minimum ratio to scikit-learn), 2 threads
TRAIN_TARGETS = {1: (20.0, None), 32: (3.0, None), 128: (1.5, 3.5), 512: (1.1, None)}
# single-core limit of workload A at batch 128, from OpenBLAS's SGEMM speed on
# a 2-core Zen 4 machine: about 74k samples/s, of which 85% is the target
TRAIN_1THREAD_SAMPLES = 63000
ONE_ROW_MAX_VS_ORT = 1 / 3
ONE_ROW_MAX_VS_TORCH = 1 / 5
BATCH_PREDICT_TARGET = 1.0
TARGET_THREADS = 2


def load_benchmarks(path):
    """Return (machine_info, whole document, benchmarks with timings) from a JSON file."""
    with open(path) as f:
        document = json.load(f)
    benchmarks = [b for b in document.get("benchmarks", []) if b.get("stats")]
    return document.get("machine_info", {}), document, benchmarks


class Results:
    """Timings of one run, looked up by the fields the benchmarks store in extra_info."""

    def __init__(self, benchmarks, stat):
        self.stat = stat
        self.entries = []
        for bench in benchmarks:
            info = dict(bench.get("extra_info", {}))
            info["seconds"] = bench["stats"][stat]
            self.entries.append(info)

    def find(self, **fields):
        """Return the extra_info (with "seconds") of the one entry matching fields, or None."""
        for info in self.entries:
            if all(info.get(key) == value for key, value in fields.items()):
                return info
        return None

    def values(self, field, **fields):
        """Return the sorted distinct values of field among entries matching fields."""
        found = {info.get(field) for info in self.entries
                 if all(info.get(key) == value for key, value in fields.items())}
        found.discard(None)
        return sorted(found, key=str)


def _format_rate(value, unit):
    if value >= 1e5:
        return "%.0fk %s" % (value / 1e3, unit)
    if value >= 1e3:
        return "%.1fk %s" % (value / 1e3, unit)
    return "%.1f %s" % (value, unit)


def _format_seconds(seconds):
    if seconds < 1e-3:
        return "%.1f us" % (seconds * 1e6)
    if seconds < 1:
        return "%.2f ms" % (seconds * 1e3)
    return "%.2f s" % seconds


def _verdict(ratio, minimum=None, maximum=None):
    if ratio is None or (minimum is None and maximum is None):
        return ""
    if minimum is not None:
        return "yes" if ratio >= minimum else "**no**"
    return "yes" if ratio <= maximum else "**no**"


def _target_text(minimum=None, maximum=None):
    if minimum is not None:
        return ">= %.2g" % minimum
    if maximum is not None:
        return "<= %.2g" % maximum
    return ""


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def gemm_rows(results):
    rows = []
    for threads in results.values("threads", suite="gemm"):
        for op in results.values("op", suite="gemm"):
            shapes = results.values("shape", suite="gemm", op=op, threads=threads)
            for shape in sorted(shapes, key=lambda s: [int(d) for d in s.split("x")]):
                mine = results.find(suite="gemm", library="fastnn", op=op, shape=shape,
                                    threads=threads)
                peer = results.find(suite="gemm", library="numpy", op=op, shape=shape,
                                    threads=threads)
                if mine is None:
                    continue
                mine_rate = mine["flop"] / mine["seconds"] / 1e9
                cells = ["SGEMM %s %s vs numpy" % (op, shape), str(threads),
                         _format_rate(mine_rate, "GFLOP/s")]
                if peer is None:
                    cells += ["not run", "", _target_text(GEMM_TARGET), ""]
                else:
                    peer_rate = peer["flop"] / peer["seconds"] / 1e9
                    ratio = mine_rate / peer_rate
                    cells += [_format_rate(peer_rate, "GFLOP/s"), "%.2f" % ratio,
                              _target_text(GEMM_TARGET), _verdict(ratio, GEMM_TARGET)]
                rows.append(_row(cells))
    return rows


def train_rows(results):
    rows = []
    for threads in results.values("threads", suite="train"):
        for batch_size in sorted(results.values("batch_size", suite="train", threads=threads)):
            mine = results.find(suite="train", library="fastnn", batch_size=batch_size,
                                threads=threads)
            if mine is None:
                continue
            mine_rate = mine["rows"] / mine["seconds"]
            torch_target, sklearn_target = TRAIN_TARGETS.get(batch_size, (None, None))
            peers = [("torch", "PyTorch eager", torch_target)]
            if batch_size == 128:
                peers.append(("sklearn", "scikit-learn", sklearn_target))
            for library, label, target in peers:
                if threads != TARGET_THREADS:
                    target = None
                peer = results.find(suite="train", library=library, batch_size=batch_size,
                                    threads=threads)
                cells = ["Workload A, batch %d, vs %s" % (batch_size, label), str(threads),
                         _format_rate(mine_rate, "samples/s")]
                if peer is None:
                    cells += ["not run", "", _target_text(target), ""]
                else:
                    peer_rate = peer["rows"] / peer["seconds"]
                    ratio = mine_rate / peer_rate
                    cells += [_format_rate(peer_rate, "samples/s"), "%.2f" % ratio,
                              _target_text(target), _verdict(ratio, target)]
                rows.append(_row(cells))
            if batch_size == 128 and threads == 1:
                cells = ["Workload A, batch 128, single-core limit", "1",
                         _format_rate(mine_rate, "samples/s"), "", "",
                         ">= %s samples/s" % format(TRAIN_1THREAD_SAMPLES, ","),
                         _verdict(mine_rate, TRAIN_1THREAD_SAMPLES)]
                rows.append(_row(cells))
    return rows


def predict_rows(results):
    rows = []
    for threads in results.values("threads", suite="predict"):
        for n_rows in sorted(results.values("rows", suite="predict", threads=threads)):
            if n_rows == 1:
                peers = [("onnxruntime", "ONNX Runtime", None, ONE_ROW_MAX_VS_ORT),
                         ("torch", "torch eager", None, ONE_ROW_MAX_VS_TORCH)]
            else:
                peers = [("torch", "torch inference mode", BATCH_PREDICT_TARGET, None)]
            variants = results.values("variant", suite="predict", library="fastnn",
                                      rows=n_rows, threads=threads)
            for variant in variants:
                mine = results.find(suite="predict", library="fastnn", rows=n_rows,
                                    variant=variant, threads=threads)
                for library, label, minimum, maximum in peers:
                    if threads != TARGET_THREADS:
                        minimum = maximum = None
                    peer = results.find(suite="predict", library=library, rows=n_rows,
                                        threads=threads)
                    if n_rows == 1:
                        name = "Predict one row (%s) vs %s, latency" % (variant, label)
                        mine_text = _format_seconds(mine["seconds"])
                    else:
                        name = "Predict %d rows (%s) vs %s, rows/s" % (n_rows, variant, label)
                        mine_text = _format_rate(n_rows / mine["seconds"], "rows/s")
                    cells = [name, str(threads), mine_text]
                    if peer is None:
                        cells += ["not run", "", _target_text(minimum, maximum), ""]
                        rows.append(_row(cells))
                        continue
                    if n_rows == 1:
                        ratio = mine["seconds"] / peer["seconds"]
                        peer_text = _format_seconds(peer["seconds"])
                    else:
                        ratio = peer["seconds"] / mine["seconds"]
                        peer_text = _format_rate(n_rows / peer["seconds"], "rows/s")
                    cells += [peer_text, "%.2f" % ratio, _target_text(minimum, maximum),
                              _verdict(ratio, minimum, maximum)]
                    rows.append(_row(cells))
    return rows


def _package_of(path):
    """Return the folder under site-packages that contains a shared library, else its path."""
    parts = path.replace("\\", "/").split("/")
    if "site-packages" in parts:
        index = parts.index("site-packages")
        if index + 1 < len(parts):
            return parts[index + 1]
    return path


def kernel_rows(results):
    """Rows for the elementwise kernels: time per call against NumPy, without targets."""
    rows = []
    for threads in results.values("threads", library="fastnn"):
        for suite in ("bias_act", "softmax", "loss"):
            for info in results.entries:
                if (info.get("suite"), info.get("library"), info.get("threads")) != (
                        suite, "fastnn", threads):
                    continue
                fields = {"suite": suite, "threads": threads, "shape": info.get("shape")}
                if suite == "bias_act":
                    fields["activation"] = info.get("activation")
                    name = "bias + %s %s vs NumPy, time" % (fields["activation"], fields["shape"])
                else:
                    name = "%s %s vs NumPy, time" % (
                        "softmax head" if suite == "softmax" else "softmax cross-entropy loss",
                        fields["shape"])
                peer = results.find(library="numpy", **fields)
                cells = [name, str(threads), _format_seconds(info["seconds"])]
                if peer is None:
                    cells += ["not run", "", "", ""]
                else:
                    cells += [_format_seconds(peer["seconds"]),
                              "%.2f" % (info["seconds"] / peer["seconds"]), "", ""]
                rows.append(_row(cells))
    return rows


def machine_summary(machine_info, document):
    lines = []
    cpu = machine_info.get("cpu", {})
    brand = cpu.get("brand_raw") or machine_info.get("processor") or "unknown CPU"
    fastnn_config = machine_info.get("fastnn", {})
    lines.append("- CPU: %s, %s usable CPUs; fastnn %s, ISA %s"
                 % (brand, fastnn_config.get("usable_cpus", "?"),
                    fastnn_config.get("version", "?"), fastnn_config.get("isa", "?")))
    libraries = machine_info.get("libraries", {})
    if libraries:
        lines.append("- Libraries: " + ", ".join(
            "%s %s" % (name, version) for name, version in sorted(libraries.items())))
    for pool in machine_info.get("blas", []):
        lines.append("- BLAS loaded from %s: %s %s (%s kernels)"
                     % (_package_of(pool.get("filepath") or "?"), pool.get("internal_api"),
                        pool.get("version"), pool.get("architecture")))
    settings = machine_info.get("bench_settings")
    if settings:
        lines.append("- Rows per epoch: %s (batch size 1: %s)"
                     % (settings.get("rows"), settings.get("rows_batch1")))
    openblas_env = machine_info.get("openblas_environment")
    if openblas_env:
        lines.append("- OPENBLAS variables set: " + ", ".join(
            "%s=%s" % item for item in sorted(openblas_env.items())))
    if document.get("datetime"):
        lines.append("- Run at %s" % document["datetime"])
    return lines


def render(path, stat):
    machine_info, document, benchmarks = load_benchmarks(path)
    results = Results(benchmarks, stat)
    lines = machine_summary(machine_info, document)
    lines.append("- Statistic: %s time per call; ratio = fastnn / peer of the figure shown"
                 % stat)
    lines.append("")
    lines.append(_row(["Benchmark", "Threads", "fastnn", "Peer", "Ratio", "Target", "Met"]))
    lines.append(_row(["---", "---:", "---:", "---:", "---:", "---", "---"]))
    body = gemm_rows(results) + train_rows(results) + predict_rows(results)
    kernels = kernel_rows(results)
    if not body and not kernels:
        raise SystemExit("%s contains no fastnn benchmark results with timings" % path)
    lines.extend(body)
    if kernels:
        lines.append("")
        lines.append("Elementwise kernels, without targets. A time ratio below 1 means "
                     "fastnn is faster.")
        lines.append("")
        lines.append(_row(["Kernel", "Threads", "fastnn", "NumPy", "Ratio", "Target", "Met"]))
        lines.append(_row(["---", "---:", "---:", "---:", "---:", "---", "---"]))
        lines.extend(kernels)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Print fastnn's ratio table from a pytest-benchmark JSON file.")
    parser.add_argument("json_file", help="file written by pytest --benchmark-json=FILE")
    parser.add_argument("--stat", choices=["median", "min", "mean"], default="median",
                        help="timing statistic to compare (default: median)")
    args = parser.parse_args(argv)
    try:
        print(render(args.json_file, args.stat))
    except (OSError, ValueError, KeyError) as exc:
        print("report.py: error: cannot read %s: %s" % (args.json_file, exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
