"""Thread policy, instruction-set choice and build introspection."""

import numbers
import os
import sys
import warnings

from . import _core

__all__ = ["get_num_threads", "set_num_threads", "show_config", "config"]


def _cgroup_cpu_limit():
    """CPUs allowed by a cgroup v2 (cpu.max) or v1 (cfs quota) limit, or None."""
    candidates = [
        ("/sys/fs/cgroup/cpu.max", None),
        ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
    ]
    for quota_path, period_path in candidates:
        try:
            with open(quota_path) as f:
                fields = f.read().split()
            if period_path is None:
                quota, period = fields[0], fields[1]
            else:
                with open(period_path) as f:
                    quota, period = fields[0], f.read().split()[0]
        except (OSError, IndexError):
            continue
        if quota in ("max", "-1"):
            return None
        try:
            limit = int(quota) / int(period)
        except (ValueError, ZeroDivisionError):
            continue
        return max(1, int(limit + 0.999))
    return None


def usable_cpu_count():
    """CPUs this process may run on: its affinity mask, capped by a cgroup quota."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    limit = _cgroup_cpu_limit()
    if limit is not None:
        count = min(count, limit)
    return max(1, count)


def _env_threads(name):
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    # OMP_NUM_THREADS may be a list for nested levels ("4,2"): the first counts.
    first = value.split(",")[0].strip()
    try:
        n = int(first)
    except ValueError:
        n = 0
    if n < 1:
        warnings.warn(
            "%s=%r is not a positive integer; ignoring it" % (name, value), RuntimeWarning,
            stacklevel=3,
        )
        return None
    return n


def resolve_num_threads(n_threads=None):
    """Pick the thread count: the argument, else FASTNN_NUM_THREADS, else
    OMP_NUM_THREADS, else the usable CPU count."""
    if n_threads is not None:
        if (isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral)
                or n_threads < 1):
            raise ValueError(
                "n_threads must be a positive integer or None, got %r" % (n_threads,)
            )
        return int(n_threads)
    for name in ("FASTNN_NUM_THREADS", "OMP_NUM_THREADS"):
        n = _env_threads(name)
        if n is not None:
            return n
    return usable_cpu_count()


def set_num_threads(n_threads=None):
    """Set the number of threads fastnn's kernels may use.

    Parameters
    ----------
    n_threads : int or None
        A positive count, or None to apply the default policy again
        (FASTNN_NUM_THREADS, else OMP_NUM_THREADS, else the usable CPUs).

    Notes
    -----
    Results do not depend on this number: kernels split work over outputs,
    never over a sum. Small problems use one thread whatever is set.
    """
    _core.set_num_threads(resolve_num_threads(n_threads))


def get_num_threads():
    """Return the number of threads fastnn's kernels may use."""
    return _core.get_num_threads()


def _apply_isa_override():
    """Honour FASTNN_ISA=scalar|avx2|avx512 (an ISA no better than the CPU's)."""
    name = os.environ.get("FASTNN_ISA", "").strip().lower()
    if not name:
        return
    try:
        _core.isa_select(name)
    except ValueError as exc:
        warnings.warn("ignoring FASTNN_ISA=%r: %s" % (name, exc), RuntimeWarning, stacklevel=3)


def config():
    """Return the build and runtime configuration as a dict."""
    from . import __version__

    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "openmp": _core.has_openmp(),
        "isa": _core.isa_active(),
        "isa_detected": _core.isa_detected(),
        "isa_compiled": [n for n in ("scalar", "avx2", "avx512") if _core.isa_compiled(n)],
        "num_threads": _core.get_num_threads(),
        "usable_cpus": usable_cpu_count(),
        "fork_serial": _core.fork_serial(),
    }


def show_config(file=None):
    """Print the version, OpenMP status, active SIMD kernels and thread count."""
    cfg = config()
    lines = [
        "fastnn %s (Python %s)" % (cfg["version"], cfg["python"]),
        "  OpenMP:        %s" % ("yes" if cfg["openmp"] else "no (serial build)"),
        "  SIMD kernels:  %s (best here: %s; compiled: %s)"
        % (cfg["isa"], cfg["isa_detected"], ", ".join(cfg["isa_compiled"])),
        "  threads:       %d (usable CPUs: %d)" % (cfg["num_threads"], cfg["usable_cpus"]),
    ]
    if cfg["fork_serial"]:
        lines.append("  forked child:  kernels run serially (the parent used OpenMP)")
    print("\n".join(lines), file=file or sys.stdout)


def _initialize():
    _apply_isa_override()
    set_num_threads(None)
