"""Tabular data: read CSV files and DataFrames, train models that take raw rows.

``read_csv`` and ``as_table`` turn a file, a pandas or polars DataFrame, a
dict of columns or a 2-D array into a :class:`Table`, whose column types
(numeric, categorical, boolean) are inferred and can be overridden.
:class:`fastnn.preprocessing.TablePreprocessor` turns a table into a float
matrix, and :class:`TabularModel` bundles that preprocessing with a network,
so ``predict`` takes raw rows and one model file contains both.

Example::

    from fastnn.tabular import TabularModel, read_csv

    table = read_csv("loans.csv", drop=["id"])
    model = TabularModel(hidden_layer_sizes=(64, 32), random_state=0)
    model.fit(table, target="default")
    model.save("loans.model")
    model.predict(read_csv("applicants.csv"))
"""

import os

import numpy as np

from . import _csv
from ._model import TabularModel
from ._table import (
    BOOLEAN,
    CATEGORICAL,
    COLUMN_TYPES,
    DEFAULT_NA_VALUES,
    NUMERIC,
    DataError,
    Table,
    as_table,
    na_markers,
)

__all__ = [
    "BOOLEAN",
    "CATEGORICAL",
    "COLUMN_TYPES",
    "DEFAULT_NA_VALUES",
    "NUMERIC",
    "DataError",
    "Table",
    "TabularModel",
    "as_table",
    "read_csv",
]


def read_csv(path, *, delimiter=None, decimal=".", na_values=None, keep_default_na=True,
             types=None, drop=None, encoding="utf-8"):
    """Read a CSV file with a header row into a :class:`Table`.

    Parameters
    ----------
    path : str or os.PathLike
        A gzip-compressed file (a name ending in ``.gz``, or gzip's magic
        bytes at the start) is decompressed while reading.
    delimiter : str, optional
        Field separator. By default the most frequent of ``,`` ``;`` tab
        and ``|`` outside quotes in the header line.
    decimal : str, default="."
        Decimal mark of numbers, for example "," for ``3,5``. Thousands
        separators are not supported.
    na_values : iterable of str, optional
        Extra field values that mark a missing value.
    keep_default_na : bool, default=True
        Also treat :data:`DEFAULT_NA_VALUES` as missing: pandas' markers
        (empty field, NA, N/A, NaN, null, None, ...) and "?".
    types : dict of str to str, optional
        Column types that replace inference, such as ``{"zip": "categorical"}``.
    drop : iterable of str, optional
        Columns to leave out, such as row ids.
    encoding : str, default="utf-8"

    Returns
    -------
    Table
        Columns of stripped text. Types are inferred on first use: boolean
        when every value is a word such as yes/no or true/false, numeric
        when every value is a number, and categorical otherwise.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    DataError
        When the file is empty, has no data rows, is not valid text in
        ``encoding``, has malformed quoting, a row with the wrong number of
        fields, duplicate column names, or a value that contradicts
        ``types``. The message names the file, line and column.

    Examples
    --------
    >>> import os, tempfile
    >>> from fastnn.tabular import read_csv
    >>> path = os.path.join(tempfile.mkdtemp(), "loans.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write('id,income,grade,owner\\n1,52000,B,yes\\n2,NA,"A, prime",no\\n')
    >>> table = read_csv(path, drop=["id"])
    >>> table.types
    {'income': 'numeric', 'grade': 'categorical', 'owner': 'boolean'}
    >>> table.numeric("income")
    array([52000.,    nan])
    """
    if not isinstance(decimal, str) or len(decimal) != 1:
        raise ValueError("decimal must be one character, got %r" % (decimal,))
    if delimiter is not None and delimiter == decimal:
        raise ValueError("delimiter and decimal must differ, both are %r" % decimal)
    markers = na_markers(na_values, keep_default_na)

    source = os.fspath(path)
    header, columns, lines, used_delimiter = _csv.read_columns(
        source, delimiter=delimiter, encoding=encoding, na_values=markers
    )
    if used_delimiter == decimal:
        raise DataError(
            "%s: the detected delimiter %r is also the decimal mark; pass delimiter "
            "(--delimiter) explicitly" % (source, decimal), source=source,
        )
    table = Table({name: np.array(values, dtype=object) for name, values in zip(header, columns)},
                  source=source, lines=lines, decimal=decimal)
    if drop:
        table = table.drop(list(drop))
    if types:
        table._set_types(types)
    return table
