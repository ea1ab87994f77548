"""Split a CSV file into a header and columns of text, with the line of each record.

Parsing uses the standard library's ``csv`` module in strict mode, so quoted
fields may contain the delimiter, doubled quotes and line breaks, and a
stray quote raises an error instead of swallowing the rest of the file.
Everything here works on text; ``fastnn.tabular`` turns the columns into
numbers, categories and booleans.
"""

import csv
import gzip
import os
import zlib

from ._table import DataError

# Candidates for delimiter detection, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")


def detect_delimiter(header_line):
    """Return the candidate delimiter that occurs most often outside quotes.

    A header without any candidate is a single-column file, read with ",".
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda candidate: counts[candidate])
    return best if counts[best] > 0 else ","


def read_columns(path, delimiter=None, encoding="utf-8", na_values=frozenset()):
    """Read a CSV file with a header row into columns of stripped text.

    Parameters
    ----------
    path : str or os.PathLike
        A gzip-compressed file (a name ending in ``.gz``, or gzip's magic
        bytes at the start) is decompressed while reading.
    delimiter : str or None
        One character; None detects it from the header line.
    encoding : str
        Text encoding. A UTF-8 byte order mark is skipped.
    na_values : set of str
        Field values, after stripping spaces, that mean "missing"; they
        become None.

    Returns
    -------
    header : list of str
        Column names. An empty name becomes ``unnamed_<position>``.
    columns : list of list
        One list per column: the stripped text of each record, or None.
    lines : list of int
        The line of the file on which each record starts (the header is line 1).
    delimiter : str
        The delimiter used.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        When the file cannot be opened.
    DataError
        When the file is empty, has no data rows, is not text in
        ``encoding``, has malformed quoting, a record with a different number
        of fields than the header, or duplicate column names.
    """
    path = os.fspath(path)
    if encoding.lower().replace("-", "").replace("_", "") == "utf8":
        encoding = "utf-8-sig"
    try:
        with _open_text(path, encoding) as f:
            return _parse(f, path, delimiter, na_values)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(
            "%s: damaged gzip data (%s); a file named .gz or starting with gzip's "
            "signature must be gzip-compressed CSV" % (path, str(exc) or "it ends early"),
            source=path,
        ) from None
    except UnicodeDecodeError as exc:
        line, byte = _first_undecodable_line(path, encoding)
        raise DataError(
            "%s, line %d: not valid %s text (byte 0x%02x); pass the file's encoding, for "
            "example encoding='latin-1' (--encoding latin-1)" % (path, line, exc.encoding, byte),
            source=path, line=line,
        ) from None


def _parse(f, path, delimiter, na_values):
    first_line = f.readline()
    if not first_line.strip():
        if f.read().strip():
            raise DataError(
                "%s starts with an empty line; the first line must be the header row" % path,
                source=path,
            )
        raise DataError("%s is empty; a CSV file needs a header row and data rows" % path,
                        source=path)
    if delimiter is None:
        delimiter = detect_delimiter(first_line)
    elif len(delimiter) != 1:
        raise ValueError("delimiter must be one character, got %r" % (delimiter,))
    f.seek(0)

    reader = csv.reader(f, delimiter=delimiter, strict=True)
    header = None
    columns = []
    lines = []
    next_line = 1
    try:
        for record in reader:
            start = next_line
            next_line = reader.line_num + 1
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # blank line
            if header is None:
                header = _clean_header(record, path)
                columns = [[] for _ in header]
                continue
            if len(record) != len(header):
                raise DataError(
                    "%s, line %d: expected %d fields as in the header, found %d; check "
                    "the delimiter (%r) and quote fields that contain it"
                    % (path, start, len(header), len(record), delimiter),
                    source=path, line=start,
                )
            for column, field in zip(columns, record):
                text = field.strip()
                column.append(None if text in na_values else text)
            lines.append(start)
    except csv.Error as exc:
        raise DataError(
            "%s, line %d: malformed CSV (%s); a field that contains the delimiter, a "
            "quote or a line break must be quoted, with quotes inside it doubled"
            % (path, reader.line_num, exc),
            source=path, line=reader.line_num,
        ) from None
    if not lines:
        raise DataError("%s has a header row but no data rows" % path, source=path)
    return header, columns, lines, delimiter


def _clean_header(record, path):
    header = []
    for position, name in enumerate(record, start=1):
        name = name.strip()
        header.append(name if name else "unnamed_%d" % position)
    seen = set()
    for name in header:
        if name in seen:
            raise DataError(
                "%s: the header names column %r more than once; rename one of them"
                % (path, name),
                source=path, line=1, column=name,
            )
        seen.add(name)
    return header


def is_gzip_path(path):
    """True for a gzip-compressed file: a name that ends in .gz, or gzip's magic bytes."""
    if path.lower().endswith(".gz"):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"\x1f\x8b"
    except OSError:
        return False  # opening it again reports the problem


def _open_text(path, encoding):
    if is_gzip_path(path):
        return gzip.open(path, "rt", newline="", encoding=encoding)
    return open(path, newline="", encoding=encoding)


def _first_undecodable_line(path, encoding):
    """Return (line number, first bad byte) of the first line that does not decode.

    The decoder's own error offset counts from the start of a buffered chunk,
    not of the file, so the file is scanned again line by line.
    """
    number = 0
    try:
        with (gzip.open(path, "rb") if is_gzip_path(path) else open(path, "rb")) as f:
            for number, raw in enumerate(f, start=1):
                try:
                    raw.decode(encoding)
                except UnicodeDecodeError as exc:
                    return number, raw[exc.start]
    except (gzip.BadGzipFile, EOFError, zlib.error):
        pass  # a damaged gzip stream ends the scan; the caller reports the decoding error
    return number, 0
