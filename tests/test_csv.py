"""Reading CSV files and DataFrames into tables: parsing, type inference, errors."""

from pathlib import Path

import numpy as np
import pytest

from fastnn.tabular import DEFAULT_NA_VALUES, DataError, Table, as_table, read_csv

DATA = Path(__file__).parent / "data"


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ---- parsing ---------------------------------------------------------------


def test_header_and_columns(tmp_path):
    table = read_csv(write(tmp_path, "a,b,c\n1,x,yes\n2,y,no\n"))
    assert table.columns == ["a", "b", "c"]
    assert table.shape == (2, 3)
    assert len(table) == 2
    assert list(table["b"]) == ["x", "y"]


def test_gzip_file_reads_like_plain(tmp_path):
    import gzip

    text = 'id,grade,income\n1,"A, prime",52000\n2,B,NA\n'
    plain = read_csv(write(tmp_path, text))
    packed = tmp_path / "data.csv.gz"
    packed.write_bytes(gzip.compress(text.encode("utf-8")))
    table = read_csv(packed)
    assert table.columns == plain.columns
    assert list(table["grade"]) == ["A, prime", "B"]
    np.testing.assert_array_equal(table.numeric("income"), plain.numeric("income"))


def test_gzip_recognized_by_its_signature(tmp_path):
    import gzip

    packed = tmp_path / "data.csv"
    packed.write_bytes(gzip.compress(b"a,b\n1,x\n"))
    table = read_csv(packed)
    assert table.columns == ["a", "b"]
    assert list(table["b"]) == ["x"]


def test_damaged_gzip_file(tmp_path):
    import gzip

    packed = tmp_path / "data.csv.gz"
    packed.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 5000)[:60])
    with pytest.raises(DataError, match=r"data\.csv\.gz: damaged gzip data"):
        read_csv(packed)
    plain_bytes = tmp_path / "plain.csv.gz"
    plain_bytes.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(DataError, match=r"plain\.csv\.gz: damaged gzip data"):
        read_csv(plain_bytes)


def test_quoted_fields(tmp_path):
    text = 'name,note\n"Smith, J.","said ""hi"""\n"multi\nline",plain\n'
    table = read_csv(write(tmp_path, text))
    assert list(table["name"]) == ["Smith, J.", "multi\nline"]
    assert list(table["note"]) == ['said "hi"', "plain"]


def test_line_numbers_follow_multiline_records(tmp_path):
    text = 'name,value\n"two\nlines",1\nthird,x\n'
    table = read_csv(write(tmp_path, text), types={"name": "categorical"})
    with pytest.raises(DataError, match=r"line 4, column 'value': 'x' is not a number") as info:
        table.numeric("value")
    assert info.value.line == 4
    assert info.value.column == "value"


def test_fields_are_stripped(tmp_path):
    table = read_csv(write(tmp_path, "a, b\n 1 ,  x \n"))
    assert table.columns == ["a", "b"]
    assert list(table["b"]) == ["x"]
    assert table.numeric("a").tolist() == [1.0]


def test_blank_lines_skipped(tmp_path):
    table = read_csv(write(tmp_path, "a,b\n1,2\n\n3,4\n\n"))
    assert table.numeric("a").tolist() == [1.0, 3.0]


def test_byte_order_mark_skipped(tmp_path):
    table = read_csv(write(tmp_path, "\ufeffa,b\n1,2\n"))
    assert table.columns == ["a", "b"]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiter_detected(tmp_path, delimiter):
    text = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "2,5", "x"]) + "\n"
    table = read_csv(write(tmp_path, text))
    assert table.columns == ["a", "b", "c"]
    assert list(table["b"]) == ["2,5"]


def test_delimiter_given(tmp_path):
    table = read_csv(write(tmp_path, "a;b,c\n1;2,3\n"), delimiter=",")
    assert table.columns == ["a;b", "c"]


def test_decimal_comma(tmp_path):
    table = read_csv(write(tmp_path, "price;qty\n1,5;2\n-0,25;3\n"), decimal=",")
    assert table.types == {"price": "numeric", "qty": "numeric"}
    assert table.numeric("price").tolist() == [1.5, -0.25]


def test_decimal_comma_rejects_point(tmp_path):
    table = read_csv(write(tmp_path, "price;qty\n1,5;2\n1.5;3\n"), decimal=",",
                     types={"qty": "numeric"})
    with pytest.raises(DataError, match=r"line 3, column 'price': '1.5' is not a number"):
        table.numeric("price")


def test_semicolon_file_shipped():
    table = read_csv(DATA / "houses_semicolon.csv", decimal=",")
    assert table.types["area_m2"] == "numeric"
    assert table.types["garden"] == "boolean"
    assert table.types["district"] == "categorical"
    assert np.isnan(table.numeric("year_built")).sum() > 0


def test_empty_header_name(tmp_path):
    table = read_csv(write(tmp_path, ",a\n0,1\n"))
    assert table.columns == ["unnamed_1", "a"]


# ---- missing values ----------------------------------------------------------


@pytest.mark.parametrize("marker", ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?",
                                    "#N/A", "<NA>"])
def test_default_missing_markers(tmp_path, marker):
    table = read_csv(write(tmp_path, "a,b\n1,x\n%s,y\n" % marker))
    values = table.numeric("a")
    assert values[0] == 1.0
    assert np.isnan(values[1])


def test_missing_in_text_column_is_none(tmp_path):
    table = read_csv(write(tmp_path, "a\nx\nNA\n\n?\ny\n"))
    assert list(table["a"]) == ["x", None, None, "y"]


def test_extra_missing_marker(tmp_path):
    path = write(tmp_path, "a\n1\n-999\n3\n")
    assert read_csv(path).numeric("a").tolist() == [1.0, -999.0, 3.0]
    values = read_csv(path, na_values=["-999"]).numeric("a")
    assert np.isnan(values[1])


def test_without_default_markers(tmp_path):
    table = read_csv(write(tmp_path, "a\nNA\nx\n"), keep_default_na=False)
    assert list(table["a"]) == ["NA", "x"]


def test_default_markers_include_question_mark():
    assert "?" in DEFAULT_NA_VALUES
    assert "" in DEFAULT_NA_VALUES


# ---- type inference and overrides --------------------------------------------------------


def test_types_inferred(tmp_path):
    text = "n,c,b,yn,tf,z\n1,red,true,yes,T,0\n2.5,blue,False,No,f,1\n,red,,,,\n"
    table = read_csv(write(tmp_path, text))
    assert table.types == {"n": "numeric", "c": "categorical", "b": "boolean",
                           "yn": "boolean", "tf": "boolean", "z": "numeric"}


def test_all_missing_column_is_numeric(tmp_path):
    table = read_csv(write(tmp_path, "a,b\n1,NA\n2,\n"))
    assert table.types["b"] == "numeric"
    assert np.isnan(table.numeric("b")).all()


def test_mostly_numeric_column_raises(tmp_path):
    rows = "\n".join(str(i) for i in range(20))
    table = read_csv(write(tmp_path, "income\n%s\n12k\n" % rows))
    with pytest.raises(DataError, match=r"line 22, column 'income': '12k' is not a number, but "
                                        r"20 of the column's 21 values are numbers"):
        table.types


def test_mixed_column_is_categorical(tmp_path):
    table = read_csv(write(tmp_path, "code\n1\nA2\nB3\n4\n"))
    assert table.types == {"code": "categorical"}


def test_type_override(tmp_path):
    table = read_csv(write(tmp_path, "zip,flag\n10115,1\n80331,0\n"),
                     types={"zip": "categorical", "flag": "boolean"})
    assert table.types == {"zip": "categorical", "flag": "boolean"}
    assert table.boolean("flag").tolist() == [1.0, 0.0]


def test_type_override_checked(tmp_path):
    path = write(tmp_path, "a\n1\nx\n")
    with pytest.raises(DataError, match=r"line 3, column 'a': 'x' is not a number"):
        read_csv(path, types={"a": "numeric"})
    with pytest.raises(DataError, match=r"line 3, column 'a': '2' is not a boolean"):
        read_csv(write(tmp_path, "a\n1\n2\n", "b.csv"), types={"a": "boolean"})


def test_type_override_invalid(tmp_path):
    path = write(tmp_path, "a\n1\n")
    with pytest.raises(ValueError, match=r"the type of column 'a' must be one of numeric, "
                                         r"categorical, boolean, got 'text'"):
        read_csv(path, types={"a": "text"})
    with pytest.raises(DataError, match=r"has no column 'b'"):
        read_csv(path, types={"b": "numeric"})


def test_drop_columns(tmp_path):
    table = read_csv(write(tmp_path, "id,a,b\n1,2,3\n"), drop=["id"])
    assert table.columns == ["a", "b"]
    with pytest.raises(DataError, match=r"has no column 'nope'; its columns are: id, a, b"):
        read_csv(write(tmp_path, "id,a,b\n1,2,3\n", "c.csv"), drop=["nope"])


def test_infinity_is_not_a_number(tmp_path):
    table = read_csv(write(tmp_path, "a\ninf\n1\n2\n"))
    assert table.types == {"a": "categorical"}


def test_numbers_as_text(tmp_path):
    table = read_csv(write(tmp_path, "a\n1\n2.5\nNA\n"))
    assert table.text("a").tolist() == ["1", "2.5", None]


# ---- file errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, pattern",
    [
        ("empty.csv", r"empty\.csv is empty; a CSV file needs a header row and data rows"),
        ("header_only.csv", r"header_only\.csv has a header row but no data rows"),
        ("ragged.csv", r"ragged\.csv, line 3: expected 3 fields as in the header, found 4"),
        ("bad_quote.csv", r"bad_quote\.csv, line 3: malformed CSV"),
    ],
    ids=["empty", "header-only", "ragged", "bad-quote"],
)
def test_file_errors(name, pattern):
    with pytest.raises(DataError, match=pattern):
        read_csv(DATA / name)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_csv(tmp_path / "absent.csv")


def test_duplicate_header(tmp_path):
    with pytest.raises(DataError, match=r"the header names column 'a' more than once"):
        read_csv(write(tmp_path, "a,b,a\n1,2,3\n"))


def test_wrong_encoding(tmp_path):
    rows = "".join("name%d\n" % i for i in range(3000))
    path = write(tmp_path, "name\n" + rows + "José\n", encoding="latin-1")
    with pytest.raises(DataError, match=r"data\.csv, line 3002: not valid utf-8 text "
                                        r"\(byte 0xe9\); pass the file's encoding"):
        read_csv(path)
    assert read_csv(path, encoding="latin-1")["name"][-1] == "José"


def test_blank_first_line(tmp_path):
    with pytest.raises(DataError, match=r"starts with an empty line"):
        read_csv(write(tmp_path, "\na,b\n1,2\n"))


def test_invalid_decimal(tmp_path):
    path = write(tmp_path, "a\n1\n")
    with pytest.raises(ValueError, match=r"decimal must be one character"):
        read_csv(path, decimal="..")
    with pytest.raises(ValueError, match=r"delimiter and decimal must differ"):
        read_csv(path, delimiter=",", decimal=",")


# ---- Table operations ---------------------------------------------------------------


def test_take_keeps_lines_and_types(tmp_path):
    table = read_csv(write(tmp_path, "a,b\n1,x\n2,y\nz,w\n"), types={"a": "categorical"})
    part = table.take([2, 0])
    assert part.types == {"a": "categorical", "b": "categorical"}
    assert list(part["b"]) == ["w", "x"]
    assert part.locate(0) == "line 4"


def test_split_target(tmp_path):
    table = read_csv(write(tmp_path, "a,y\n1,p\n2,q\n"))
    features, target = table.split_target("y")
    assert features.columns == ["a"]
    assert list(target) == ["p", "q"]


def test_columns_are_read_only(tmp_path):
    table = read_csv(write(tmp_path, "a\nx\n"))
    with pytest.raises(ValueError):
        table["a"][0] = "y"


def test_table_constructor_checks():
    with pytest.raises(ValueError, match=r"column 'b' has 1 rows but the columns before it have 2"):
        Table({"a": np.array([1.0, 2.0]), "b": np.array([1.0])})
    with pytest.raises(TypeError, match=r"must be float64 or an object array"):
        Table({"a": np.array([1, 2])})


def test_repr_lists_columns(tmp_path):
    table = read_csv(write(tmp_path, "a,b\n1,x\n"))
    table.types
    assert repr(table).startswith("Table(1 rows from ")
    assert "a (numeric), b (categorical)" in repr(table)


# ---- other containers -----------------------------------------------------------------


def test_dict_of_columns():
    table = as_table({"x": [1, 2, None], "c": ["a", None, "?"], "flag": [True, False, True]})
    assert table.types == {"x": "numeric", "c": "categorical", "flag": "boolean"}
    assert np.isnan(table.numeric("x")[2])
    assert list(table["c"]) == ["a", None, None]
    assert table.locate(1) == "row 1"


def test_numpy_array_columns():
    table = as_table(np.arange(6.0).reshape(3, 2))
    assert table.columns == ["x0", "x1"]
    assert table.numeric("x1").tolist() == [1.0, 3.0, 5.0]


def test_numeric_infinity_rejected():
    table = as_table({"x": [1.0, np.inf]})
    with pytest.raises(DataError, match=r"row 1, column 'x': inf is not a finite number"):
        table.numeric("x")


def test_table_passes_through():
    table = as_table({"x": [1.0]})
    assert as_table(table) is table
    assert as_table(table, types={"x": "categorical"}).types == {"x": "categorical"}
    assert table.types == {"x": "numeric"}


def test_pandas_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({
        "income": [52000.0, None, 61000.0],
        "children": pd.array([1, None, 3], dtype="Int64"),
        "grade": ["A", None, "B"],
        "owner": [True, False, True],
        "plan": pd.Categorical(["basic", "pro", None]),
        "note": pd.array(["x", None, "?"], dtype="string"),
    }, index=[10, 11, 12])
    table = as_table(frame)
    assert table.source == "DataFrame"
    assert table.types == {"income": "numeric", "children": "numeric", "grade": "categorical",
                           "owner": "boolean", "plan": "categorical", "note": "categorical"}
    assert np.isnan(table.numeric("children")[1])
    assert list(table["plan"]) == ["basic", "pro", None]
    assert list(table["note"]) == ["x", None, None]
    assert table.locate(1) == "index 11"


def test_pandas_duplicate_columns():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(DataError, match=r"duplicate column names: a"):
        as_table(frame)


def test_pandas_datetime_becomes_text():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"when": pd.to_datetime(["2024-01-01", None])})
    table = as_table(frame)
    assert table.types == {"when": "categorical"}
    assert table["when"][1] is None
    assert table["when"][0].startswith("2024-01-01")


def test_polars_dataframe():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"income": [52000, None, 61000], "grade": ["A", None, "B"],
                          "owner": [True, False, None]})
    table = as_table(frame)
    assert table.types == {"income": "numeric", "grade": "categorical", "owner": "boolean"}
    assert np.isnan(table.numeric("income")[1])
    assert list(table["grade"]) == ["A", None, "B"]
    assert list(table["owner"]) == ["True", "False", None]
