"""The package surface: exports, import cost, the unbuilt-extension message."""

import json
import os
import shutil
import subprocess
import sys

import pytest

import fastnn


def run_python(code, cwd, env=None):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120,
    )


def test_all_names_exist():
    for name in fastnn.__all__:
        assert hasattr(fastnn, name), name


def test_version_is_string():
    assert isinstance(fastnn.__version__, str)
    assert fastnn.__version__.count(".") >= 2


def test_import_loads_no_heavy_modules(tmp_path):
    code = (
        "import sys, json, fastnn; "
        "print(json.dumps(sorted(m for m in ('sklearn', 'torch', 'scipy', 'pandas', "
        "'matplotlib') if m in sys.modules)))"
    )
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fastnn.__file__)))
    result = run_python(code, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_unbuilt_extension_message(tmp_path):
    # a copy of the Python sources without the compiled extension
    package = tmp_path / "fastnn"
    shutil.copytree(os.path.dirname(fastnn.__file__), package,
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    # An editable install ('pip install -e .') puts a finder on sys.meta_path
    # that loads fastnn's extension from the source tree. A copy without the
    # extension then still imports, so the case cannot arise there.
    finders = [str(getattr(f, "__module__", "")) for f in sys.meta_path]
    if any(name.startswith("__editable___fastnn") for name in finders):
        pytest.skip("fastnn is an editable install, whose finder supplies the extension")
    result = run_python("import fastnn", cwd=tmp_path)
    assert result.returncode != 0
    assert "ImportError: this fastnn package (%s) has no compiled extension" % package \
        in result.stderr
    assert "Run Python from another folder" in result.stderr
    assert "pip install -e ." in result.stderr
    # one traceback, without Python's guess at a circular import
    assert result.stderr.count("Traceback") == 1
    assert "circular import" not in result.stderr


def test_config_keys():
    cfg = fastnn.config()
    for key in ("version", "openmp", "isa", "isa_detected", "num_threads", "usable_cpus"):
        assert key in cfg, key
    assert cfg["isa"] in ("scalar", "avx2", "avx512")
    assert cfg["num_threads"] >= 1


def test_show_config_to_file(tmp_path):
    path = tmp_path / "config.txt"
    with open(path, "w") as f:
        fastnn.show_config(file=f)
    text = path.read_text()
    assert text.startswith("fastnn %s" % fastnn.__version__)
    assert "OpenMP" in text


@pytest.mark.parametrize(
    "module", ["datasets", "metrics", "preprocessing", "model_selection", "tabular", "plotting"]
)
def test_submodules_import(module):
    __import__("fastnn." + module)
