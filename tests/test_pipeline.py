"""TabularModel: preprocessing plus network, from raw rows to a saved model file."""

import hashlib
import json
import os
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from fastnn import _io, metrics
from fastnn._io import ModelFileError
from fastnn._table_preprocessor import UnknownCategoryWarning
from fastnn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from fastnn.preprocessing import TablePreprocessor
from fastnn.tabular import DataError, TabularModel, as_table, read_csv

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def credit():
    """The credit table split 80/20, and a model trained on the 80%."""
    table = read_csv(DATA / "credit.csv", drop=["applicant_id"])
    labels = table.text("default").astype(str)
    train, test = train_test_split(np.arange(table.n_rows), test_size=0.2, random_state=0,
                                   stratify=labels)
    model = TabularModel(hidden_layer_sizes=(32,), random_state=0)
    model.fit(table.take(train), target="default")
    return model, table.take(train), table.take(test)


@pytest.fixture(scope="module")
def saved_credit(credit, tmp_path_factory):
    model, _, test = credit
    path = tmp_path_factory.mktemp("model") / "credit.fnn"
    model.save(path, metrics={"test": model.evaluate(test)}, metadata={"note": "test"})
    return path


def _new_applicants():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCategoryWarning)
        return read_csv(DATA / "credit_new.csv")


# ---- fitting -------------------------------------------------------------------


def test_fitted_attributes(credit):
    model, train, _ = credit
    assert model.task_ == "classification"
    assert model.target_name_ == "default"
    assert model.classes_.tolist() == ["no", "yes"]
    assert model.classes_.dtype.kind == "U"
    assert model.positive_label_ == "yes"
    assert "default" not in model.feature_names_in_
    assert "country=DE" in model.preprocessor_.dropped_features_
    assert model.network_.layer_sizes[0] == model.preprocessor_.n_features_out_
    assert model.n_train_ == train.n_rows
    assert model.n_validation_ == round(0.1 * train.n_rows)


def test_early_stopping_history(credit):
    model, _, _ = credit
    history = model.history_
    assert len(history["loss"]) == model.n_epochs_
    assert len(history["val_loss"]) == model.n_epochs_
    assert len(history["val_accuracy"]) == model.n_epochs_
    assert 1 <= model.best_epoch_ <= model.n_epochs_
    assert history["val_loss"][model.best_epoch_ - 1] == min(history["val_loss"])


def test_few_rows_train_without_validation():
    with pytest.warns(UserWarning, match=r"5 training rows are too few to hold out "
                                         r"validation_fraction=0.1"):
        model = TabularModel(epochs=5, random_state=0).fit({"x": np.arange(5.0)}, [0, 1, 0, 1, 1])
    assert model.n_validation_ == 0
    assert "val_loss" not in model.history_


def test_stops_early_on_plateau():
    rng = np.random.default_rng(0)
    data = {"x": rng.normal(size=300), "y": rng.choice(["a", "b"], 300)}
    model = TabularModel(epochs=500, n_iter_no_change=5, random_state=0).fit(data, target="y")
    assert model.stopped_early_
    assert model.n_epochs_ < 500
    assert model.n_epochs_ - model.best_epoch_ >= 5


def test_test_accuracy(credit):
    model, _, test = credit
    assert model.score(test) > 0.8


def test_predict_raw_rows(credit):
    model, _, _ = credit
    with pytest.warns(UnknownCategoryWarning, match=r"column 'grade': 2 rows with a category "
                                                    r"not seen in training \('G'\)"):
        predictions = model.predict(read_csv(DATA / "credit_new.csv"))
    assert predictions.shape == (12,)
    assert set(predictions.tolist()) <= {"no", "yes"}


def test_predict_proba_rows_sum_to_one(credit):
    model, _, test = credit
    proba = model.predict_proba(test)
    assert proba.shape == (test.n_rows, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert np.array_equal(model.labels_from_proba(proba), model.predict(test))


def test_same_seed_same_model():
    table = read_csv(DATA / "credit.csv", drop=["applicant_id"])
    first = TabularModel(hidden_layer_sizes=(8,), epochs=20, random_state=3).fit(table, target="default")
    second = TabularModel(hidden_layer_sizes=(8,), epochs=20, random_state=3).fit(table, target="default")
    assert np.array_equal(first.network_.params, second.network_.params)


def test_evaluate_matches_metric_functions(credit):
    model, _, test = credit
    result = model.evaluate(test)
    y_true = test.text("default").astype(str)
    y_pred = model.predict(test)
    proba = model.predict_proba(test)
    assert result["n"] == test.n_rows
    assert result["accuracy"] == metrics.accuracy_score(y_true, y_pred)
    assert result["precision"] == metrics.precision_score(y_true, y_pred, pos_label="yes")
    assert result["recall"] == metrics.recall_score(y_true, y_pred, pos_label="yes")
    assert result["f1"] == metrics.f1_score(y_true, y_pred, pos_label="yes")
    assert result["roc_auc"] == metrics.roc_auc_score(y_true, proba[:, 1])
    assert result["log_loss"] == metrics.log_loss(y_true, proba)
    assert result["labels"] == ["no", "yes"]
    assert result["confusion_matrix"] == metrics.confusion_matrix(y_true, y_pred).tolist()


def test_evaluate_matches_sklearn(credit):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    model, _, test = credit
    result = model.evaluate(test)
    y_true = test.text("default").astype(str)
    y_pred = model.predict(test)
    proba = model.predict_proba(test)
    assert result["balanced_accuracy"] == pytest.approx(
        sk_metrics.balanced_accuracy_score(y_true, y_pred), rel=1e-12)
    assert result["f1"] == pytest.approx(sk_metrics.f1_score(y_true, y_pred, pos_label="yes"),
                                         rel=1e-12)
    assert result["roc_auc"] == pytest.approx(sk_metrics.roc_auc_score(y_true, proba[:, 1]),
                                              rel=1e-12)
    assert result["log_loss"] == pytest.approx(sk_metrics.log_loss(y_true, proba), rel=1e-6)


def test_evaluate_needs_target(credit):
    model, _, _ = credit
    with pytest.raises(DataError, match=r"credit_new\.csv has no column 'default' to use as the "
                                        r"target"):
        model.evaluate(_new_applicants())


def test_multiclass_string_labels():
    table = read_csv(DATA / "colors.csv")
    model = TabularModel(random_state=0).fit(table, target="color")
    assert model.classes_.tolist() == ["blue", "green", "red"]
    assert model.positive_label_ is None
    assert model.network_.output == "softmax"
    result = model.evaluate(table)
    assert result["average"] == "macro"
    assert result["accuracy"] > 0.95
    assert result["roc_auc"] > 0.95


def test_integer_labels_stay_integers():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    model = TabularModel(random_state=0).fit({"x": x}, (x > 0).astype(int))
    assert model.classes_.dtype == np.int64
    assert model.positive_label_ == 1
    assert model.predict({"x": [-2.0, 2.0]}).tolist() == [0, 1]


def test_task_auto_rules():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    counts = TabularModel(epochs=2, random_state=0).fit({"x": x}, rng.integers(0, 30, 100))
    assert counts.task_ == "regression"
    grades = TabularModel(epochs=2, random_state=0).fit({"x": x}, rng.integers(1, 6, 100))
    assert grades.task_ == "classification"
    forced = TabularModel(task="regression", epochs=2, random_state=0)
    assert forced.fit({"x": x}, rng.integers(1, 6, 100)).task_ == "regression"


def test_regression_in_original_units():
    table = read_csv(DATA / "houses_semicolon.csv", decimal=",")
    model = TabularModel(random_state=0).fit(table, target="price_thousands")
    assert model.task_ == "regression"
    assert model.classes_ is None
    result = model.evaluate(table)
    assert result["r2"] > 0.9
    y = table.numeric("price_thousands")
    predictions = model.predict(table)
    assert predictions.dtype == np.float64
    assert abs(predictions.mean() - y.mean()) < 0.1 * y.std()
    assert result["rmse"] == pytest.approx(np.sqrt(result["mse"]))
    with pytest.raises(AttributeError, match=r"only available for classification"):
        model.predict_proba(table)


def test_dataframe_input():
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(DATA / "credit.csv").drop(columns=["applicant_id"])
    model = TabularModel(hidden_layer_sizes=(16,), epochs=30, random_state=0)
    model.fit(frame.drop(columns=["default"]), frame["default"])
    assert model.target_name_ == "default"
    assert model.classes_.tolist() == ["no", "yes"]
    assert model.score(frame.drop(columns=["default"]), frame["default"]) > 0.7


def test_polars_frame_trains_like_csv():
    pl = pytest.importorskip("polars")
    from_file = read_csv(DATA / "credit.csv", drop=["applicant_id"])
    frame = pl.read_csv(DATA / "credit.csv", null_values=["NA", ""]).drop("applicant_id")
    fitted = []
    for data in (from_file, frame):
        model = TabularModel(hidden_layer_sizes=(16,), epochs=20, random_state=0)
        model.fit(data, target="default")
        fitted.append(model)
    by_file, by_frame = fitted
    assert by_frame.feature_names_in_ == by_file.feature_names_in_
    assert by_frame.classes_.tolist() == ["no", "yes"]
    # Same rows, same preprocessing, same seed: the same network.
    np.testing.assert_array_equal(by_frame.network_.params, by_file.network_.params)
    np.testing.assert_array_equal(by_frame.predict_proba(frame), by_file.predict_proba(from_file))


def test_missing_targets_dropped():
    data = {"x": np.arange(40.0), "y": ["a", "b"] * 18 + [None, "NA", "?", ""]}
    with pytest.warns(UserWarning, match=r"dropped 4 rows whose target 'y' is missing"):
        model = TabularModel(epochs=3, random_state=0).fit(data, target="y")
    assert model.n_train_ == 36


def test_single_class_rejected():
    with pytest.raises(DataError, match=r"the target 'y' has only one class \('a'\)"):
        TabularModel(epochs=2).fit({"x": [1.0, 2.0, 3.0], "y": ["a", "a", "a"]}, target="y")


def test_target_errors():
    with pytest.raises(DataError, match=r"has no column 'label' to use as the target"):
        TabularModel().fit({"x": [1.0, 2.0]}, target="label")
    with pytest.raises(ValueError, match=r"pass the targets"):
        TabularModel().fit({"x": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"y has 3 values but the data has 2 rows"):
        TabularModel().fit({"x": [1.0, 2.0]}, [0, 1, 0])


def test_positive_label_parameter():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    y = np.where(x > 0, "late", "paid")
    model = TabularModel(epochs=5, positive_label="paid", random_state=0).fit({"x": x}, y)
    assert model.positive_label_ == "paid"
    with pytest.raises(DataError, match=r"positive_label='gone' is not one of the classes"):
        TabularModel(epochs=5, positive_label="gone").fit({"x": x}, y)


def test_rare_class_is_positive_by_default():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = np.where(x > 1, "fraud", "ok")
    assert TabularModel(epochs=2, random_state=0).fit({"x": x}, y).positive_label_ == "fraud"


def test_not_fitted():
    with pytest.raises(ValueError, match=r"not fitted yet"):
        TabularModel().predict({"x": [1.0]})


def test_invalid_parameters():
    with pytest.raises(ValueError, match=r"task"):
        TabularModel(task="cluster").fit({"x": [1.0, 2.0]}, [0, 1])
    with pytest.raises(ValueError, match=r"epochs"):
        TabularModel(epochs=0).fit({"x": [1.0, 2.0]}, [0, 1])
    with pytest.raises(TypeError, match=r"preprocessor must be a TablePreprocessor"):
        TabularModel(preprocessor="standard").fit({"x": [1.0, 2.0]}, [0, 1])


@pytest.mark.filterwarnings("ignore:4 training rows are too few")
def test_preprocessor_template_not_fitted_in_place():
    template = TablePreprocessor(scaling="minmax")
    model = TabularModel(epochs=2, preprocessor=template, random_state=0)
    model.fit({"x": [1.0, 2.0, 3.0, 4.0]}, [0, 1, 0, 1])
    assert not hasattr(template, "input_columns_")
    assert model.preprocessor_.scaling == "minmax"


def test_cross_validation_on_table():
    table = read_csv(DATA / "colors.csv")
    X, y = table.split_target("color")
    model = TabularModel(epochs=50, random_state=0)
    scores = cross_val_score(model, X, np.asarray(y, dtype=str), cv=StratifiedKFold(3))
    assert scores.shape == (3,)
    assert scores.min() > 0.9
    assert not hasattr(model, "network_")


# ---- model file ----------------------------------------------------------------------


def test_load_predictions_bit_identical(credit, saved_credit):
    model, _, test = credit
    loaded = TabularModel.load(saved_credit)
    assert np.array_equal(loaded.predict_proba(test), model.predict_proba(test))
    assert np.array_equal(loaded.predict(test), model.predict(test))
    new = _new_applicants()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCategoryWarning)
        assert np.array_equal(loaded.predict_proba(new), model.predict_proba(new))


def test_load_restores_attributes(credit, saved_credit):
    model, _, _ = credit
    loaded = TabularModel.load(saved_credit)
    assert loaded.get_params(deep=False)["hidden_layer_sizes"] == (32,)
    assert loaded.classes_.tolist() == model.classes_.tolist()
    assert loaded.classes_.dtype == model.classes_.dtype
    assert loaded.positive_label_ == "yes"
    assert loaded.feature_names_in_ == model.feature_names_in_
    assert loaded.history_ == model.history_
    assert loaded.best_epoch_ == model.best_epoch_
    assert loaded.metadata == {"note": "test"}
    assert loaded.metrics_["test"]["n"] == 120


def test_regression_round_trip(tmp_path):
    table = read_csv(DATA / "houses_semicolon.csv", decimal=",")
    model = TabularModel(epochs=20, dtype="float64", random_state=0)
    model.fit(table, target="price_thousands")
    path = tmp_path / "houses.fnn"
    model.save(path)
    loaded = TabularModel.load(path)
    assert loaded.network_.dtype == np.float64
    assert np.array_equal(loaded.predict(table), model.predict(table))


def test_file_document_contents(saved_credit):
    _, document = _io.read_model(saved_credit)
    assert document["estimator"] == "TabularModel"
    assert document["model_version"] == 1
    assert document["network"]["dtype"] == "float32"
    assert document["target"]["classes"] == ["no", "yes"]
    columns = {c["name"]: c["type"] for c in document["preprocessing"]["columns"]}
    assert columns["grade"] == "categorical"
    assert columns["has_cosigner"] == "boolean"
    assert columns["income"] == "numeric"
    assert document["fastnn_version"]
    assert document["saved_at"].endswith("Z")
    assert document["metrics"]["test"]["accuracy"] > 0.8
    assert document["training"]["epochs_run"] == len(document["training"]["history"]["loss"])


def test_file_readable_with_plain_numpy(credit, saved_credit):
    model, _, _ = credit
    raw = saved_credit.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    data = raw[8 + header_len :]
    meta = header.pop("__metadata__")
    assert meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert meta["document_sha256"] == hashlib.sha256(meta["fastnn"].encode()).hexdigest()
    begin, end = header["layers.0.weight"]["data_offsets"]
    weight = np.frombuffer(data[begin:end], dtype="<f4").reshape(header["layers.0.weight"]["shape"])
    assert np.array_equal(weight, model.network_.coefs[0])


def test_file_readable_with_safetensors(credit, saved_credit):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    model, _, _ = credit
    tensors = safetensors_numpy.load_file(str(saved_credit))
    assert np.array_equal(tensors["layers.1.bias"], model.network_.intercepts[1])


def _rewrite_document(path, change):
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    document = json.loads(header["__metadata__"]["fastnn"])
    change(document)
    text = json.dumps(document)
    header["__metadata__"]["fastnn"] = text
    header["__metadata__"]["document_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    header_bytes = json.dumps(header).encode()
    header_bytes += b" " * (-len(header_bytes) % 8)
    path.write_bytes(struct.pack("<Q", len(header_bytes)) + header_bytes + raw[8 + header_len :])


@pytest.fixture
def model_copy(saved_credit, tmp_path):
    path = tmp_path / "copy.fnn"
    path.write_bytes(saved_credit.read_bytes())
    return path


def test_newer_model_version(model_copy):
    _rewrite_document(model_copy, lambda d: d.update(model_version=2))
    with pytest.raises(ModelFileError, match=r"TabularModel of version 2, newer than this fastnn "
                                             r"reads \(1\); upgrade fastnn"):
        TabularModel.load(model_copy)


def test_inconsistent_preprocessing(model_copy):
    def drop_feature(document):
        document["preprocessing"]["keep"][0] = False

    _rewrite_document(model_copy, drop_feature)
    with pytest.raises(ModelFileError, match=r"is inconsistent: the network takes 22 features but "
                                             r"the preprocessing produces 21"):
        TabularModel.load(model_copy)


def test_incomplete_description(model_copy):
    _rewrite_document(model_copy, lambda d: d.pop("target"))
    with pytest.raises(ModelFileError, match=r"the model description is incomplete or invalid"):
        TabularModel.load(model_copy)


def test_corrupted_preprocessing_detected(model_copy):
    raw = bytearray(model_copy.read_bytes())
    position = raw.index(b'\\"median\\"')
    raw[position + 2 : position + 8] = b"mediam"
    model_copy.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match=r"is corrupted: the checksum of its description"):
        TabularModel.load(model_copy)


def test_truncated_file(model_copy):
    raw = model_copy.read_bytes()
    model_copy.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ModelFileError, match=r"truncated"):
        TabularModel.load(model_copy)


def test_other_model_kind(tmp_path):
    from fastnn import MLP

    path = tmp_path / "net.fnn"
    MLP([2, 3, 2], random_state=0).save(path)
    with pytest.raises(ModelFileError, match=r"contains a bare network, not a TabularModel"):
        TabularModel.load(path)


def test_failed_save_keeps_old_file(credit, saved_credit, tmp_path, monkeypatch):
    model, _, _ = credit
    path = tmp_path / "model.fnn"
    path.write_bytes(saved_credit.read_bytes())
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_io.os, "replace", fail)
    with pytest.raises(OSError, match="No space left on device"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.fnn"]


def test_as_table_of_dict_predicts_like_table(credit):
    model, _, test = credit
    columns = {name: test[name] for name in test.columns}
    assert np.array_equal(model.predict(as_table(columns)), model.predict(test))


def test_package_load_returns_tabular_model(saved_credit):
    import fastnn

    assert isinstance(fastnn.load(saved_credit), TabularModel)
    assert fastnn.TabularModel is TabularModel
