"""Tables of raw columns: type inference, DataFrame conversion and located errors.

A ``Table`` stores each column either as float64 (NaN marks a missing value)
or as an object array of stripped strings (None marks a missing value). It
remembers where each row came from, a line of a CSV file or an index label
of a DataFrame, so that an unparsable value can be reported by file, line
and column. Column types are inferred on first use, so a table read for
prediction never fails on a column that the model does not use.
"""

import collections
import math
import numbers

import numpy as np

NUMERIC = "numeric"
CATEGORICAL = "categorical"
BOOLEAN = "boolean"
COLUMN_TYPES = (NUMERIC, CATEGORICAL, BOOLEAN)

# pandas' default missing-value markers (pandas.read_csv, na_values), plus
# "?", which the UCI repository uses.
DEFAULT_NA_VALUES = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
    "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null", "?",
})

# Words of a boolean column, compared in lower case. "1" and "0" are read as
# booleans only in a column already known to be boolean.
TRUE_WORDS = frozenset({"true", "yes", "y", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "f"})

# A column whose non-numbers are at most this fraction of its values is taken
# to be a numeric column with typos, and inference raises instead of
# guessing "categorical".
MOSTLY_NUMERIC = 0.1


class DataError(ValueError):
    """Raised for data that cannot be read or does not fit the model.

    The message names the source (a file or "DataFrame"), and where known the
    line or row and the column. The same facts are attributes.

    Attributes
    ----------
    source : str or None
    line : int or None
        Line of a CSV file (the header is line 1).
    row : object or None
        Index label or position of the row, for other sources.
    column : str or None
    """

    def __init__(self, message, source=None, line=None, row=None, column=None):
        super().__init__(message)
        self.source = source
        self.line = line
        self.row = row
        self.column = column


class Table:
    """Named columns of raw values with inferred types.

    Build one with :func:`fastnn.tabular.read_csv` or
    :func:`fastnn.tabular.as_table`.

    Parameters
    ----------
    columns : dict of str to ndarray
        Each value is a float64 array (NaN for missing) or an object array of
        stripped strings (None for missing), all of the same length.
    types : dict of str to str, optional
        Column types that replace inference: "numeric", "categorical" or
        "boolean".
    source : str, default="data"
        Name used in error messages, such as the file path.
    lines : array-like of int, optional
        The CSV line on which each row starts.
    index : array-like, optional
        A label per row (a DataFrame's index), used in error messages.
    decimal : str, default="."
        Decimal mark of numbers stored as text.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnn.tabular import Table
    >>> t = Table({"age": np.array([30.0, np.nan]),
    ...            "plan": np.array(["basic", None], dtype=object)})
    >>> t.types
    {'age': 'numeric', 'plan': 'categorical'}
    """

    def __init__(self, columns, types=None, source="data", lines=None, index=None,
                 decimal="."):
        self._columns = {}
        n_rows = None
        for name, values in columns.items():
            if not isinstance(name, str):
                raise TypeError("column names must be strings, got %r" % (name,))
            values = np.asarray(values)
            if values.ndim != 1:
                raise ValueError("column %r must be 1-D, got shape %s" % (name, values.shape))
            if values.dtype != np.float64 and values.dtype != object:
                raise TypeError(
                    "column %r must be float64 or an object array of strings, got %s; "
                    "use fastnn.tabular.as_table to convert other data" % (name, values.dtype)
                )
            if n_rows is None:
                n_rows = len(values)
            elif len(values) != n_rows:
                raise ValueError(
                    "column %r has %d rows but the columns before it have %d"
                    % (name, len(values), n_rows)
                )
            values.flags.writeable = False
            self._columns[name] = values
        self._n_rows = 0 if n_rows is None else n_rows
        self.source = source
        self.decimal = decimal
        self._lines = None if lines is None else np.asarray(lines, dtype=np.int64)
        self._index = None if index is None else np.asarray(index, dtype=object)
        self._types = {}
        if types:
            self._set_types(types)

    # ---- shape and access --------------------------------------------------

    @property
    def columns(self):
        """Column names, in order."""
        return list(self._columns)

    @property
    def n_rows(self):
        return self._n_rows

    @property
    def shape(self):
        """(rows, columns)."""
        return (self._n_rows, len(self._columns))

    def __len__(self):
        return self._n_rows

    def __contains__(self, name):
        return name in self._columns

    def __getitem__(self, name):
        """Return the stored values of one column (read-only)."""
        self._check_names([name])
        return self._columns[name]

    def __repr__(self):
        described = ", ".join(
            "%s (%s)" % (name, self._types.get(name, "?")) for name in list(self._columns)[:8]
        )
        if len(self._columns) > 8:
            described += ", ... (%d columns)" % len(self._columns)
        return "Table(%d rows from %s: %s)" % (self._n_rows, self.source, described)

    # ---- types --------------------------------------------------------------

    @property
    def types(self):
        """Type of every column: "numeric", "categorical" or "boolean".

        Raises
        ------
        DataError
            When a column is mostly numbers with a few values that are not
            (typos or unlisted missing markers).
        """
        return {name: self.type_of(name) for name in self._columns}

    def type_of(self, name):
        """Return the type of one column, inferring it on first use."""
        self._check_names([name])
        if name not in self._types:
            self._types[name] = self._infer(name)
        return self._types[name]

    def _infer(self, name):
        values = self._columns[name]
        if values.dtype == np.float64:
            return NUMERIC
        counts = collections.Counter(v for v in values if v is not None)
        if not counts:
            return NUMERIC
        if {text.lower() for text in counts} <= TRUE_WORDS | FALSE_WORDS:
            return BOOLEAN
        not_numbers = [text for text in counts if parse_number(text, self.decimal) is None]
        if not not_numbers:
            return NUMERIC
        n_bad = sum(counts[text] for text in not_numbers)
        n_present = sum(counts.values())
        if n_bad <= MOSTLY_NUMERIC * n_present and n_bad < n_present:
            first = next(i for i, v in enumerate(values) if v in not_numbers)
            raise self.error(
                first, name,
                "%r is not a number, but %d of the column's %d values are numbers; mark it "
                "as missing or declare the column categorical (from Python: na_values=[...] "
                "or types={%r: 'categorical'}; on the command line: --na TEXT or --type "
                "%s=categorical)"
                % (values[first], n_present - n_bad, n_present, name, name),
            )
        return CATEGORICAL

    def _set_types(self, types):
        self._check_names(list(types))
        for name, kind in types.items():
            if kind not in COLUMN_TYPES:
                raise ValueError(
                    "the type of column %r must be one of %s, got %r"
                    % (name, ", ".join(COLUMN_TYPES), kind)
                )
            self._types[name] = kind
            # Check now, so a wrong declaration fails where it is made.
            if kind == NUMERIC:
                self.numeric(name)
            elif kind == BOOLEAN:
                self.boolean(name)

    # ---- values by type -------------------------------------------------------

    def numeric(self, name):
        """Return a column as float64, NaN for missing.

        Raises
        ------
        DataError
            For a value that is not a finite number, naming its line or row.
        """
        values = self[name]
        if values.dtype == np.float64:
            infinite = np.flatnonzero(np.isinf(values))
            if len(infinite):
                raise self.error(infinite[0], name, "%r is not a finite number"
                                 % float(values[infinite[0]]))
            return values
        parsed = {}
        result = np.empty(len(values))
        for i, text in enumerate(values):
            if text is None:
                result[i] = np.nan
                continue
            number = parsed.get(text)
            if number is None:
                number = parse_number(text, self.decimal)
                if number is None:
                    raise self.error(i, name, "%r is not a number" % text)
                parsed[text] = number
            result[i] = number
        return result

    def text(self, name):
        """Return a column as an object array of strings, None for missing."""
        values = self[name]
        if values.dtype != np.float64:
            return values
        return np.array([None if math.isnan(v) else format_number(v) for v in values],
                        dtype=object)

    def boolean(self, name):
        """Return a column as float64 1.0 (true), 0.0 (false) or NaN (missing).

        True words are true, yes, y, t and 1; false words are false, no, n, f
        and 0, in any case.

        Raises
        ------
        DataError
            For a value that is not one of these words.
        """
        texts = self.text(name)
        result = np.empty(len(texts))
        for i, text in enumerate(texts):
            value = parse_boolean(text)
            if value is None and text is not None:
                raise self.error(i, name, "%r is not a boolean (expected true/false, yes/no, "
                                          "y/n, t/f or 1/0)" % text)
            result[i] = np.nan if value is None else value
        return result

    # ---- rows and columns -----------------------------------------------------

    def take(self, rows):
        """Return a table of the given row positions, keeping types and locations."""
        rows = np.asarray(rows, dtype=np.intp)
        table = Table(
            {name: values[rows] for name, values in self._columns.items()},
            source=self.source,
            lines=None if self._lines is None else self._lines[rows],
            index=None if self._index is None else self._index[rows],
            decimal=self.decimal,
        )
        table._types = dict(self._types)
        return table

    def select(self, names):
        """Return a table of the given columns, in that order."""
        names = list(names)
        self._check_names(names)
        table = Table({name: self._columns[name] for name in names}, source=self.source,
                      lines=self._lines, index=self._index, decimal=self.decimal)
        table._types = {name: kind for name, kind in self._types.items() if name in names}
        return table

    def drop(self, names):
        """Return a table without the given columns.

        Raises
        ------
        DataError
            When a name is not a column.
        """
        if isinstance(names, str):
            names = [names]
        names = list(names)
        self._check_names(names)
        return self.select([name for name in self._columns if name not in names])

    def split_target(self, name):
        """Return (this table without column ``name``, that column's values)."""
        values = self[name]
        return self.drop([name]), values

    # ---- error messages -----------------------------------------------------------

    def locate(self, row):
        """Describe where row position ``row`` came from: "line 7" or "row 7"."""
        if self._lines is not None:
            return "line %d" % self._lines[row]
        if self._index is not None:
            return "index %s" % _format_label(self._index[row])
        return "row %d" % row

    def error(self, row, column, problem):
        """Build a DataError for one value: "SOURCE, line N, column 'C': PROBLEM"."""
        line = None if self._lines is None else int(self._lines[row])
        label = row if self._index is None else self._index[row]
        message = "%s, %s, column %r: %s" % (self.source, self.locate(row), column, problem)
        return DataError(message, source=self.source, line=line, row=label, column=column)

    def _check_names(self, names):
        unknown = [name for name in names if name not in self._columns]
        if unknown:
            raise DataError(
                "%s has no column %s; its columns are: %s"
                % (self.source, ", ".join(repr(name) for name in unknown),
                   describe_names(self._columns)),
                source=self.source, column=unknown[0],
            )


# ---- parsing single values ---------------------------------------------------


def describe_names(names, limit=20):
    """Return up to ``limit`` names joined by commas, then how many more there are."""
    names = [str(name) for name in names]
    if not names:
        return "(none)"
    text = ", ".join(names[:limit])
    if len(names) > limit:
        text += ", ... and %d more" % (len(names) - limit)
    return text


def parse_number(text, decimal="."):
    """Return the finite float that text spells, or None."""
    if decimal != ".":
        if "." in text:
            return None
        text = text.replace(decimal, ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_boolean(text):
    """Return 1.0 for a true word, 0.0 for a false word, None otherwise."""
    if text is None:
        return None
    lowered = text.lower()
    if lowered in TRUE_WORDS or lowered == "1":
        return 1.0
    if lowered in FALSE_WORDS or lowered == "0":
        return 0.0
    return None


def format_number(value):
    """Format a float as text: whole numbers without a decimal point."""
    if value == int(value) and abs(value) < 2 ** 53:
        return str(int(value))
    return repr(float(value))


def _format_label(label):
    if isinstance(label, str):
        return repr(label)
    if isinstance(label, np.generic):
        label = label.item()
    return str(label)


# ---- conversion from other containers ----------------------------------------------


def is_missing(value):
    """Return True for None, NaN, NaT, pandas.NA and pandas.NaT."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return value != value
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(value))
    return type(value).__name__ in ("NAType", "NaTType")


def column_from_values(values, name, na_values):
    """Convert one column of a DataFrame, dict or array to Table storage.

    Numbers become float64 (NaN for missing). Strings are stripped, and those
    in ``na_values`` become None. Booleans become "True" and "False".
    """
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        values = values.to_numpy()
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError("column %r must be 1-D, got shape %s" % (name, values.shape))
    kind = values.dtype.kind
    if kind in "iuf":
        # NOTE: integers above 2**53, such as long ids, lose precision here.
        return values.astype(np.float64)
    if kind == "b":
        return np.array(["True" if v else "False" for v in values], dtype=object)
    if kind in "US":
        values = values.astype(object)
    elif kind != "O":
        # Dates, durations and other dtypes become text, so their column is
        # categorical unless it is dropped or converted first.
        values = np.array([None if is_missing(v) else str(v) for v in values], dtype=object)

    present = [v for v in values if not is_missing(v)]
    all_numbers = all(
        isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in present
    )
    if present and all_numbers:
        return np.array([np.nan if is_missing(v) else float(v) for v in values])
    return np.array([_cell_text(v, na_values) for v in values], dtype=object)


def _cell_text(value, na_values):
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, numbers.Real):
        return format_number(float(value))
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).strip()
    return None if text in na_values else text


def as_table(data, *, types=None, drop=None, na_values=None, keep_default_na=True,
             source=None):
    """Convert a DataFrame, dict of columns, 2-D array or Table to a :class:`Table`.

    Parameters
    ----------
    data : Table, pandas.DataFrame, polars.DataFrame, dict or array-like
        A dict maps column names to 1-D sequences. A 2-D array gets the
        column names ``x0``, ``x1``, ... Numeric columns stay numbers;
        strings are stripped and missing markers become missing values.
    types, drop, na_values, keep_default_na
        As in :func:`fastnn.tabular.read_csv`.
    source : str, optional
        Name used in error messages; "DataFrame" or "data" by default.

    Returns
    -------
    Table
        ``data`` itself when it is a Table and nothing is changed.

    Examples
    --------
    >>> from fastnn.tabular import as_table
    >>> as_table({"size": [1.5, None], "color": ["red", "?"]}).types
    {'size': 'numeric', 'color': 'categorical'}
    """
    if isinstance(data, Table):
        table = data
    else:
        table = _convert(data, na_markers(na_values, keep_default_na), source)
    if drop:
        table = table.drop(list(drop))
    if types:
        if table is data:
            table = table.select(table.columns)
        table._set_types(types)
    return table


def na_markers(na_values, keep_default_na):
    if isinstance(na_values, str):
        na_values = [na_values]
    markers = set(DEFAULT_NA_VALUES) if keep_default_na else set()
    markers.update(value.strip() for value in (na_values or ()))
    return frozenset(markers)


def _convert(data, markers, source):
    module = type(data).__module__.split(".")[0]
    if module in ("pandas", "polars") and hasattr(data, "columns"):
        return _from_dataframe(data, markers, source, module)
    if isinstance(data, dict):
        columns = {str(name): column_from_values(values, name, markers)
                   for name, values in data.items()}
        return Table(columns, source=source or "data")

    array = np.asarray(data, dtype=None if not isinstance(data, list) else object)
    if array.ndim != 2:
        raise TypeError(
            "data must be a Table, a pandas or polars DataFrame, a dict of columns or a 2-D "
            "array, got %s with shape %s" % (type(data).__name__, array.shape)
        )
    columns = {"x%d" % j: column_from_values(array[:, j], "x%d" % j, markers)
               for j in range(array.shape[1])}
    return Table(columns, source=source or "data")


def _from_dataframe(frame, markers, source, module):
    names = [str(name) for name in frame.columns]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise DataError("the DataFrame has duplicate column names: %s" % ", ".join(duplicates),
                        source=source or "DataFrame")
    columns = {}
    for original, name in zip(frame.columns, names):
        columns[name] = column_from_values(frame[original], name, markers)
    index = None
    if module == "pandas":
        index = np.asarray(frame.index.to_numpy(), dtype=object)
    return Table(columns, source=source or "DataFrame", index=index)
