"""Model files: round trips, the safetensors layout, damaged files and atomic saves."""

import json
import os
import struct

import numpy as np
import pytest

import fastnn
from fastnn import MLP, MLPClassifier, MLPRegressor, _io
from fastnn._io import ModelFileError

N_FEATURES = 4

# The models here train for one to five epochs on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::fastnn._estimators.ConvergenceWarning")


def _features(n_rows=120, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=(n_rows, N_FEATURES)).astype(dtype)


def _trained_mlp(dtype="float32"):
    X = _features()
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)
    net = MLP([N_FEATURES, 8, 6, 3], activation="tanh", dtype=dtype, random_state=0)
    return net.fit(X, y, epochs=3), X


def _read_layout(path):
    """Split a safetensors file with plain struct and json: (header, data bytes)."""
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    return header, raw[8 + header_len :], header_len


def _write_layout(path, header, data):
    header_bytes = json.dumps(header).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    path.write_bytes(struct.pack("<Q", len(header_bytes)) + header_bytes + data)


# ---- round trips ------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mlp_round_trip(tmp_path, dtype):
    net, X = _trained_mlp(dtype)
    path = tmp_path / "net.safetensors"
    net.save(path, metadata={"note": "round trip", "epochs": 3})

    loaded = fastnn.load(path)
    assert isinstance(loaded, MLP)
    assert loaded.dtype == np.dtype(dtype)
    assert loaded.layer_sizes == net.layer_sizes
    assert loaded.activations == net.activations
    assert loaded.output == net.output
    assert np.array_equal(loaded.params, net.params)
    assert np.array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert np.array_equal(loaded.predict(X), net.predict(X))
    assert loaded.metadata == {"note": "round trip", "epochs": 3}


def test_mlp_load_classmethod(tmp_path):
    net, X = _trained_mlp()
    path = tmp_path / "net.safetensors"
    net.save(str(path))
    loaded = MLP.load(str(path))
    assert np.array_equal(loaded.decision_function(X), net.decision_function(X))


def test_mlp_loaded_trains_on(tmp_path):
    net, X = _trained_mlp()
    path = tmp_path / "net.safetensors"
    net.save(path)
    loaded = fastnn.load(path)
    y = (X[:, 0] > 0).astype(np.int64)
    loaded.fit(X, y, epochs=1)
    assert not np.array_equal(loaded.params, net.params)
    assert np.isfinite(loaded.params).all()


@pytest.mark.parametrize("labels", [("cat", "dog"), ("cat", "dog", "fish")],
                         ids=["binary", "multiclass"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_classifier_string_labels_round_trip(tmp_path, labels, dtype):
    X = _features(dtype=dtype)
    y = np.array(labels)[np.digitize(X[:, 0], [-0.5, 0.5]) % len(labels)]
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    path = tmp_path / "clf.safetensors"
    clf.save(path)

    loaded = fastnn.load(path)
    assert isinstance(loaded, MLPClassifier)
    assert np.array_equal(loaded.classes_, clf.classes_)
    assert loaded.classes_.dtype.kind == "U"
    assert loaded.get_params() == clf.get_params()
    assert loaded.n_features_in_ == N_FEATURES
    assert loaded.n_iter_ == clf.n_iter_
    assert loaded.loss_curve_ == clf.loss_curve_
    assert loaded.coefs_[0].dtype == np.dtype(dtype)
    assert np.array_equal(loaded.predict(X), clf.predict(X))
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_classifier_int_labels_round_trip(tmp_path):
    X = _features()
    y = np.array([3, 7, 11])[np.digitize(X[:, 1], [-0.5, 0.5])]
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    path = tmp_path / "clf.safetensors"
    clf.save(path)
    loaded = fastnn.load(path)
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert np.array_equal(loaded.predict(X), clf.predict(X))


def test_classifier_float_labels_round_trip(tmp_path):
    X = _features()
    y = (X[:, 0] > 0).astype(np.float64) + 1.0
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    path = tmp_path / "clf.safetensors"
    clf.save(path)
    loaded = fastnn.load(path)
    assert np.array_equal(loaded.classes_, np.array([1.0, 2.0]))
    assert np.array_equal(loaded.predict(X), clf.predict(X))


def test_classifier_multilabel_round_trip(tmp_path):
    X = _features()
    Y = (X[:, :3] > 0).astype(np.int64)
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, Y)
    path = tmp_path / "clf.safetensors"
    clf.save(path)
    loaded = fastnn.load(path)
    assert np.array_equal(loaded.predict(X), clf.predict(X))
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regressor_round_trip(tmp_path, n_targets, dtype):
    X = _features(dtype=dtype)
    Y = np.stack([X[:, 0] - X[:, 1], X[:, 2] * 2.0], axis=1)[:, :n_targets]
    y = Y[:, 0] if n_targets == 1 else Y
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    path = tmp_path / "reg.safetensors"
    reg.save(path, metadata={"target": "synthetic"})

    loaded = fastnn.load(path)
    assert isinstance(loaded, MLPRegressor)
    assert loaded.predict(X).shape == y.shape
    assert np.array_equal(loaded.predict(X), reg.predict(X))
    assert loaded.metadata == {"target": "synthetic"}


def test_estimator_random_generator_param(tmp_path):
    X = _features()
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=np.random.default_rng(0))
    reg.fit(X, X[:, 0])
    path = tmp_path / "reg.safetensors"
    reg.save(path)
    loaded = fastnn.load(path)
    assert loaded.random_state is None
    assert np.array_equal(loaded.predict(X), reg.predict(X))


# ---- the file layout --------------------------------------------------------


def test_layout_plain_numpy(tmp_path):
    net, _ = _trained_mlp()
    path = tmp_path / "net.safetensors"
    net.save(path)
    header, data, header_len = _read_layout(path)

    assert header_len % 8 == 0
    metadata = header.pop("__metadata__")
    assert all(isinstance(value, str) for value in metadata.values())
    assert metadata["format"] == "fastnn-model"
    assert metadata["format_version"] == "1"
    document = json.loads(metadata["fastnn"])
    assert document["network"]["layer_sizes"] == list(net.layer_sizes)

    expected = {}
    for layer, (W, b) in enumerate(zip(net.coefs, net.intercepts)):
        expected["layers.%d.weight" % layer] = W
        expected["layers.%d.bias" % layer] = b
    assert sorted(header) == sorted(expected)
    end = 0
    for name in sorted(header, key=lambda n: header[n]["data_offsets"][0]):
        entry = header[name]
        begin, stop = entry["data_offsets"]
        assert begin == end
        assert entry["dtype"] == "F32"
        array = np.frombuffer(data[begin:stop], dtype="<f4").reshape(entry["shape"])
        assert np.array_equal(array, expected[name])
        end = stop
    assert end == len(data)


def test_layout_checksum(tmp_path):
    import hashlib

    net, _ = _trained_mlp("float64")
    path = tmp_path / "net.safetensors"
    net.save(path)
    header, data, _ = _read_layout(path)
    assert header["__metadata__"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_layout_safetensors_package(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    net, _ = _trained_mlp("float64")
    path = tmp_path / "net.safetensors"
    net.save(path)
    tensors = safetensors_numpy.load_file(str(path))
    assert np.array_equal(tensors["layers.0.weight"], net.coefs[0])
    assert np.array_equal(tensors["layers.2.bias"], net.intercepts[2])
    assert tensors["layers.1.weight"].dtype == np.float64


def test_write_read_model_direct(tmp_path):
    path = tmp_path / "raw.safetensors"
    tensors = {"a": np.arange(6, dtype=np.int64).reshape(2, 3), "b": np.ones(3, dtype=">f4")}
    _io.write_model(path, tensors, {"hello": [1, 2]})
    loaded, document = _io.read_model(path)
    assert document == {"hello": [1, 2]}
    assert list(loaded) == ["a", "b"]
    assert np.array_equal(loaded["a"], tensors["a"])
    assert np.array_equal(loaded["b"], tensors["b"])
    assert loaded["b"].dtype == np.dtype("<f4")


# ---- damaged and foreign files ----------------------------------------------


@pytest.fixture
def saved_model(tmp_path):
    net, _ = _trained_mlp()
    path = tmp_path / "net.safetensors"
    net.save(path)
    return path


def test_model_file_error_is_value_error():
    assert issubclass(ModelFileError, ValueError)


def test_truncated_weights(saved_model):
    raw = saved_model.read_bytes()
    saved_model.write_bytes(raw[:-10])
    pattern = r"is truncated: tensor 'layers\.2\.bias' needs bytes"
    with pytest.raises(ModelFileError, match=pattern):
        fastnn.load(saved_model)


def test_truncated_header(saved_model):
    raw = saved_model.read_bytes()
    saved_model.write_bytes(raw[:40])
    with pytest.raises(ModelFileError, match=r"its header claims \d+ bytes but the file has "
                                             r"only 32 \(truncated\?\)"):
        fastnn.load(saved_model)


def test_flipped_weight_byte(saved_model):
    raw = bytearray(saved_model.read_bytes())
    (header_len,) = struct.unpack("<Q", raw[:8])
    raw[8 + header_len + 5] ^= 0xFF
    saved_model.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match=r"is corrupted: the checksum of its weights does "
                                             r"not match"):
        fastnn.load(saved_model)


def test_garbage_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is a text file and not a model at all\n" * 3)
    with pytest.raises(ModelFileError, match=r"notes\.txt is not a readable fastnn model file: "
                                             r"it does not start with a safetensors header"):
        fastnn.load(path)


def test_invalid_json_header(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", 8) + b"{{{{{{{{" + b"\x00" * 16)
    with pytest.raises(ModelFileError, match=r"its header is not valid JSON"):
        fastnn.load(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"0 bytes is too short \(truncated or empty\)"):
        fastnn.load(path)


def test_foreign_safetensors(tmp_path):
    path = tmp_path / "foreign.safetensors"
    weight = np.arange(4, dtype="<f4")
    header = {"weight": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}
    _write_layout(path, header, weight.tobytes())
    with pytest.raises(ModelFileError, match=r"is a safetensors file but not a fastnn model "
                                             r"\(no fastnn metadata\)"):
        fastnn.load(path)


def test_foreign_metadata(tmp_path):
    path = tmp_path / "foreign.safetensors"
    header = {
        "weight": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "__metadata__": {"format": "pt"},
    }
    _write_layout(path, header, np.zeros(2, dtype="<f4").tobytes())
    with pytest.raises(ModelFileError, match=r"not a fastnn model"):
        fastnn.load(path)


def test_newer_format_version(saved_model):
    header, data, _ = _read_layout(saved_model)
    header["__metadata__"]["format_version"] = "99"
    _write_layout(saved_model, header, data)
    with pytest.raises(ModelFileError, match=r"uses model format version 99, newer than this "
                                             r"fastnn reads \(1\); upgrade fastnn"):
        fastnn.load(saved_model)


def test_invalid_format_version(saved_model):
    header, data, _ = _read_layout(saved_model)
    header["__metadata__"]["format_version"] = "one"
    _write_layout(saved_model, header, data)
    with pytest.raises(ModelFileError, match=r"has an invalid format_version 'one'"):
        fastnn.load(saved_model)


def _replace_document(header, document):
    """Store a changed document with a matching checksum, as a faulty writer would."""
    import hashlib

    text = json.dumps(document)
    header["__metadata__"]["fastnn"] = text
    header["__metadata__"]["document_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_wrong_tensor_shape(saved_model):
    header, data, _ = _read_layout(saved_model)
    document = json.loads(header["__metadata__"]["fastnn"])
    document["network"]["layer_sizes"][1] += 1
    _replace_document(header, document)
    _write_layout(saved_model, header, data)
    with pytest.raises(ModelFileError, match=r"tensor layers\.0\.weight is missing or has the "
                                             r"wrong shape"):
        fastnn.load(saved_model)


def test_changed_document_detected(saved_model):
    header, data, _ = _read_layout(saved_model)
    document = json.loads(header["__metadata__"]["fastnn"])
    document["network"]["activations"] = ["relu", "relu"]
    header["__metadata__"]["fastnn"] = json.dumps(document)
    _write_layout(saved_model, header, data)
    with pytest.raises(ModelFileError, match=r"is corrupted: the checksum of its description"):
        fastnn.load(saved_model)


def test_document_without_checksum_loads(saved_model):
    # Files written before the description had a checksum still load.
    header, data, _ = _read_layout(saved_model)
    del header["__metadata__"]["document_sha256"]
    _write_layout(saved_model, header, data)
    assert fastnn.load(saved_model).layer_sizes == (N_FEATURES, 8, 6, 3)


def test_document_not_an_object(saved_model):
    header, data, _ = _read_layout(saved_model)
    _replace_document(header, [1, 2, 3])
    _write_layout(saved_model, header, data)
    with pytest.raises(ModelFileError, match=r"description is not a JSON object"):
        fastnn.load(saved_model)


def test_describe_file(saved_model):
    import hashlib

    facts = _io.describe_file(saved_model)
    header, data, _ = _read_layout(saved_model)
    assert facts["size"] == saved_model.stat().st_size
    assert facts["format_version"] == 1
    assert facts["sha256"] == hashlib.sha256(data).hexdigest()
    assert facts["document_sha256"] == header["__metadata__"]["document_sha256"]
    assert [t["name"] for t in facts["tensors"]][:2] == ["layers.0.weight", "layers.0.bias"]
    assert facts["tensors"][0] == {"name": "layers.0.weight", "dtype": "F32", "shape": [4, 8]}
    assert facts["document"]["network"]["layer_sizes"] == [N_FEATURES, 8, 6, 3]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        fastnn.load(tmp_path / "absent.safetensors")


# ---- atomic saves -----------------------------------------------------------


def _save_over(tmp_path):
    """Save a model, return (path, its bytes, a second model to save over it)."""
    first, _ = _trained_mlp()
    path = tmp_path / "model.safetensors"
    first.save(path)
    second = MLP([N_FEATURES, 5, 2], random_state=1)
    return path, path.read_bytes(), second


def test_failed_save_bad_dtype(tmp_path):
    path, before, _ = _save_over(tmp_path)
    tensors = {"weights": np.zeros(3, dtype=np.complex64)}
    with pytest.raises(TypeError, match=r"tensor 'weights' has unsupported dtype complex64"):
        _io.write_model(path, tensors, {})
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]


@pytest.mark.parametrize("function", ["replace", "fsync"])
def test_failed_save_os_error(tmp_path, monkeypatch, function):
    path, before, second = _save_over(tmp_path)

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_io.os, function, fail)
    with pytest.raises(OSError, match="No space left on device"):
        second.save(path)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]
    assert fastnn.load(path).layer_sizes == (N_FEATURES, 8, 6, 3)


def test_failed_estimator_save(tmp_path, monkeypatch):
    path, before, _ = _save_over(tmp_path)
    X = _features()
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, X[:, 0])

    def fail(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(_io.os, "replace", fail)
    with pytest.raises(OSError, match="Input/output error"):
        reg.save(path)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]


def test_save_missing_directory(tmp_path):
    net, _ = _trained_mlp()
    target = tmp_path / "missing" / "net.safetensors"
    with pytest.raises(OSError):
        net.save(target)
    assert not target.parent.exists()
    assert os.listdir(tmp_path) == []


def test_save_replaces_existing(tmp_path):
    path, before, second = _save_over(tmp_path)
    second.save(path)
    assert path.read_bytes() != before
    assert fastnn.load(path).layer_sizes == (N_FEATURES, 5, 2)
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]


def test_saved_file_mode_follows_umask(tmp_path):
    import stat

    previous = os.umask(0o027)
    try:
        path = tmp_path / "model.bin"
        fastnn.MLP([3, 4, 2], random_state=0).save(path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
