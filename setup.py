"""Build fastnn's C kernels and Cython extension.

The build probes the compiler instead of assuming: OpenMP, every optional
flag and every SIMD unit is test-compiled before it is used.

Environment variables:
    FASTNN_NO_OPENMP=1   build the serial version even where OpenMP works.
    FASTNN_NO_SIMD=1     build only the portable kernels (no AVX2/AVX-512
                         compile units), as a non-x86 machine would.
"""

import os
import platform
import shutil
import sys
import tempfile

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CSRC = "csrc"
COMMON_SOURCES = [
    "fnn_cpu.c",
    "fnn_threads.c",
    "fnn_team.c",
    "fnn_gemm.c",
    "fnn_ops.c",
    "fnn_optim.c",
    "fnn_net.c",
    "fnn_ukernel_scalar.c",
]

# Compile units built with their own instruction-set flags. The first flag
# set that the compiler accepts is used.
SIMD_UNITS = [
    ("AVX2", "fnn_ukernel_avx2.c", [["-mavx2", "-mfma"]]),
    (
        "AVX512",
        "fnn_ukernel_avx512.c",
        [["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma"]],
    ),
]

# Optional flags for every unit. No -ffast-math: it removes NaN checks.
# -fno-math-errno lets GCC vectorise sqrt; fastnn never reads errno.
OPTIONAL_FLAGS = ["-O3", "-fno-math-errno", "-fvisibility=hidden", "-Wno-unused-function"]

OPENMP_PROBE = r"""
#include <omp.h>
int main(void) {
    int n = 0;
#pragma omp parallel reduction(+ : n)
    n += 1;
    return n > 0 && omp_get_max_threads() > 0 ? 0 : 1;
}
"""

PLAIN_PROBE = "int main(void) { return 0; }\n"


def env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def is_x86():
    machine = platform.machine().lower()
    return machine in ("x86_64", "amd64", "i386", "i686", "x86")


class ProbingBuildExt(build_ext):
    """build_ext that picks compiler flags by test-compiling each one."""

    def try_compile(self, source, compile_args=(), link_args=None):
        """Compile (and link, when link_args is not None) a probe program."""
        tmp = tempfile.mkdtemp(prefix="fastnn-probe-")
        try:
            path = os.path.join(tmp, "probe.c")
            with open(path, "w") as f:
                f.write(source)
            objects = self.compiler.compile(
                [path], output_dir=tmp, extra_postargs=list(compile_args)
            )
            if link_args is not None:
                self.compiler.link_executable(
                    objects, "probe", output_dir=tmp, extra_postargs=list(link_args)
                )
            return True
        except Exception:  # CompileError, LinkError, or a missing compiler
            return False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def probe_openmp(self):
        """Return (compile_args, link_args) for OpenMP, or None."""
        candidates = [(["-fopenmp"], ["-fopenmp"])]
        if sys.platform == "darwin":
            # Apple clang needs libomp installed separately (e.g. Homebrew).
            candidates.append((["-Xpreprocessor", "-fopenmp"], ["-lomp"]))
        for compile_args, link_args in candidates:
            if self.try_compile(OPENMP_PROBE, compile_args, link_args):
                return compile_args, link_args
        return None

    def build_extensions(self):
        common = [flag for flag in OPTIONAL_FLAGS if self.try_compile(PLAIN_PROBE, [flag])]

        openmp = None if env_flag("FASTNN_NO_OPENMP") else self.probe_openmp()
        if openmp is None:
            print(
                "fastnn: building WITHOUT OpenMP: every kernel will run on one thread. "
                "Install a compiler with OpenMP support (GCC, or clang with libomp) "
                "and rebuild for multithreading.",
                file=sys.stderr,
            )
            omp_compile, omp_link = [], []
        else:
            omp_compile, omp_link = openmp
            print("fastnn: building with OpenMP (%s)" % " ".join(omp_compile), file=sys.stderr)

        for ext in self.extensions:
            ext.extra_compile_args = common + omp_compile
            ext.extra_link_args = omp_link
            if env_flag("FASTNN_NO_SIMD") or not is_x86():
                continue
            self.add_simd_units(ext, common + omp_compile)

        super().build_extensions()

    def add_simd_units(self, ext, common):
        """Compile each SIMD unit with its own flags (plus common) and link it into ext."""
        for name, source, flag_sets in SIMD_UNITS:
            flags = next((f for f in flag_sets if self.try_compile(PLAIN_PROBE, f)), None)
            if flags is None:
                print("fastnn: compiler rejects %s flags; skipping those kernels" % name,
                      file=sys.stderr)
                continue
            objects = self.compiler.compile(
                [os.path.join(CSRC, source)],
                output_dir=self.build_temp,
                include_dirs=[CSRC],
                extra_postargs=common + flags,
            )
            ext.extra_objects = list(ext.extra_objects or []) + objects
            ext.define_macros.append(("FNN_HAVE_" + name, "1"))
            print("fastnn: compiled %s kernels (%s)" % (name, " ".join(flags)), file=sys.stderr)


extensions = [
    Extension(
        "fastnn._core",
        sources=["fastnn/_core.pyx"] + [os.path.join(CSRC, s) for s in COMMON_SOURCES],
        include_dirs=[CSRC, numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        depends=[os.path.join(CSRC, f) for f in os.listdir(CSRC) if f.endswith(".h")],
    )
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
        },
    ),
    cmdclass={"build_ext": ProbingBuildExt},
)
