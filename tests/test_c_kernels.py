"""The C kernels without Python, built for this machine and, when possible, for aarch64.

tests/c/check_kernels.c links the sources in csrc/ with the portable
kernel unit only (the build a non-x86 machine gets) and prints
"ISA: N passed, N failed". The aarch64 run needs a cross compiler
(aarch64-linux-gnu-gcc) and qemu-aarch64-static, and skips without them.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CSRC = ROOT / "csrc"
PROGRAM = Path(__file__).resolve().parent / "c" / "check_kernels.c"
# Every unit but the x86 SIMD ones, which a non-x86 build leaves out.
SOURCES = ["fnn_cpu.c", "fnn_gemm.c", "fnn_net.c", "fnn_ops.c", "fnn_optim.c",
           "fnn_threads.c", "fnn_team.c", "fnn_ukernel_scalar.c"]

pytestmark = pytest.mark.skipif(not CSRC.is_dir(), reason="csrc/ is not beside tests/ "
                                "(running against an installed copy)")


def build(compiler, output, extra=()):
    command = [compiler, "-O3", "-fno-math-errno", "-fopenmp", *extra, "-I", str(CSRC),
               str(PROGRAM), *[str(CSRC / name) for name in SOURCES], "-o", str(output), "-lm"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0 and "fopenmp" in result.stderr:
        # a compiler without OpenMP builds the serial version, as setup.py does
        command.remove("-fopenmp")
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return output


def check_output(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("45 passed, 0 failed"), result.stdout


def test_portable_kernels_native(tmp_path):
    compiler = os.environ.get("CC", "cc")
    if shutil.which(compiler) is None:
        pytest.skip("no C compiler (%s)" % compiler)
    program = build(compiler, tmp_path / "check_kernels")
    result = subprocess.run([str(program)], capture_output=True, text=True, timeout=300)
    check_output(result)
    assert result.stdout.startswith("scalar:")


def test_thread_pool_barriers(tmp_path):
    # tests/c/check_team.c compiles csrc/fnn_team.c into itself, to set the
    # pool's job count close to where the barrier epochs wrap around.
    compiler = os.environ.get("CC", "cc")
    if shutil.which(compiler) is None:
        pytest.skip("no C compiler (%s)" % compiler)
    program = tmp_path / "check_team"
    command = [compiler, "-O2", "-fopenmp", "-pthread", "-I", str(CSRC),
               str(PROGRAM.parent / "check_team.c"), "-o", str(program), "-lm"]
    built = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if built.returncode != 0 and "fopenmp" in built.stderr:
        pytest.skip("the compiler has no OpenMP, so no build has the pool")
    assert built.returncode == 0, built.stderr
    result = subprocess.run([str(program)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("team: 2 passed, 0 failed"), result.stdout


def test_portable_kernels_aarch64(tmp_path):
    compiler, emulator = "aarch64-linux-gnu-gcc", "qemu-aarch64-static"
    missing = [tool for tool in (compiler, emulator) if shutil.which(tool) is None]
    if missing:
        pytest.skip("needs %s for the aarch64 run" % " and ".join(missing))
    # static, so that the emulator needs no aarch64 libraries
    program = build(compiler, tmp_path / "check_kernels_aarch64", extra=["-static"])
    result = subprocess.run([emulator, str(program)], capture_output=True, text=True,
                            timeout=600)
    check_output(result)
