"""The fastnn model file: safetensors layout, no pickle, atomic writes.

Layout (the safetensors format, https://github.com/huggingface/safetensors):

    8 bytes     N, the header length, unsigned little-endian
    N bytes     JSON header: {"<tensor name>": {"dtype": "F32", "shape": [...],
                "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}
    rest        the tensors' raw little-endian bytes, in data_offsets order

fastnn keeps its own description under "__metadata__":

    format            "fastnn-model"
    format_version    the layout version
    sha256            the digest of the tensor bytes
    fastnn            a JSON document with the architecture, labels,
                      preprocessing and training details
    document_sha256   the digest of that document's UTF-8 text

Loading reads the file with NumPy alone and never executes code from it.
"""

import hashlib
import json
import os
import struct
import tempfile

import numpy as np

FORMAT_NAME = "fastnn-model"
FORMAT_VERSION = 1
# Upper bound on the JSON header; the safetensors package uses 100 MB too.
MAX_HEADER_BYTES = 100 * 1024 * 1024

_DTYPE_CODES = {
    np.dtype("<f4"): "F32",
    np.dtype("<f8"): "F64",
    np.dtype("<i8"): "I64",
    np.dtype("<i4"): "I32",
    np.dtype("uint8"): "U8",
}
_CODE_DTYPES = {code: dtype for dtype, code in _DTYPE_CODES.items()}


class ModelFileError(ValueError):
    """Raised when a file is not a readable fastnn model file."""


def write_model(path, tensors, document):
    """Write tensors and a JSON-serialisable document to path atomically.

    The file is written to a temporary file in the same directory and then
    renamed over path, so an interrupted or failed save leaves any existing
    file at path untouched.

    Parameters
    ----------
    path : str or os.PathLike
    tensors : dict of str to ndarray
        Saved in insertion order as little-endian arrays.
    document : dict
        fastnn's own description (architecture, labels, metadata).
    """
    path = os.fspath(path)
    header, blobs = {}, []
    offset = 0
    digest = hashlib.sha256()
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        if little.dtype not in _DTYPE_CODES:
            raise TypeError("tensor %r has unsupported dtype %s" % (name, array.dtype))
        blob = little.tobytes()
        header[name] = {
            "dtype": _DTYPE_CODES[little.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        offset += len(blob)
        digest.update(blob)
        blobs.append(blob)
    document_text = json.dumps(document, sort_keys=True)
    header["__metadata__"] = {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "sha256": digest.hexdigest(),
        "fastnn": document_text,
        "document_sha256": hashlib.sha256(document_text.encode("utf-8")).hexdigest(),
    }

    # safetensors pads the header with spaces to a multiple of 8 bytes
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix=".fastnn-", suffix=".tmp", dir=directory)
    try:
        # mkstemp creates the file readable by its owner only; a model file
        # gets the mode of any new file (0666 less the umask), so that a
        # server running as another user can read it.
        os.chmod(tmp_path, 0o666 & ~_current_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(header_bytes)))
            f.write(header_bytes)
            for blob in blobs:
                f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise


def _current_umask():
    """Return the process umask without changing it where the OS allows."""
    try:
        with open("/proc/self/status") as f:  # Linux 4.7 and later
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    # NOTE: elsewhere the umask can only be read by setting it, which is
    # briefly visible to other threads creating files at that moment.
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def read_model(path):
    """Read a file written by write_model; return (tensors, document).

    Raises
    ------
    FileNotFoundError
        When path does not exist.
    ModelFileError
        When the file is truncated, corrupted, not a fastnn model file, or
        written by a newer fastnn with a layout this version cannot read.
    """
    tensors, document, _ = _read(os.fspath(path))
    return tensors, document


def describe_file(path):
    """Read a model file and return its layout facts with the document.

    Returns
    -------
    dict
        "path", "size" (bytes), "format_version", "sha256" (of the tensor
        bytes), "document_sha256" (None for files written before it was
        added), "tensors" (name, dtype, shape of each, in file order) and
        "document".

    Raises
    ------
    FileNotFoundError, ModelFileError
        As ``read_model``.
    """
    path = os.fspath(path)
    tensors, document, meta = _read(path)
    return {
        "path": path,
        "size": os.path.getsize(path),
        "format_version": int(meta["format_version"]),
        "sha256": meta.get("sha256"),
        "document_sha256": meta.get("document_sha256"),
        "tensors": [{"name": name, "dtype": _DTYPE_CODES[tensor.dtype], "shape": list(tensor.shape)}
                    for name, tensor in tensors.items()],
        "document": document,
    }


def _read(path):
    """Return (tensors, document, metadata strings) of a checked model file."""
    with open(path, "rb") as f:
        raw = f.read()

    header, data = _split_header(raw, path)
    meta = header.pop("__metadata__", None)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFileError(
            "%s is a safetensors file but not a fastnn model (no fastnn metadata)" % path
        )
    try:
        version = int(meta.get("format_version", ""))
    except ValueError:
        raise ModelFileError("%s has an invalid format_version %r" % (path, meta.get("format_version")))
    if version > FORMAT_VERSION:
        raise ModelFileError(
            "%s uses model format version %d, newer than this fastnn reads (%d); "
            "upgrade fastnn to load it" % (path, version, FORMAT_VERSION)
        )

    tensors = _read_tensors(header, data, path)
    digest = hashlib.sha256()
    for name in tensors:
        begin, end = header[name]["data_offsets"]
        digest.update(data[begin:end])
    if digest.hexdigest() != meta.get("sha256"):
        raise ModelFileError("%s is corrupted: the checksum of its weights does not match" % path)
    document_text = meta.get("fastnn")
    expected = meta.get("document_sha256")
    if expected is not None and isinstance(document_text, str):
        if hashlib.sha256(document_text.encode("utf-8")).hexdigest() != expected:
            raise ModelFileError(
                "%s is corrupted: the checksum of its description (architecture, "
                "preprocessing, labels) does not match" % path
            )
    try:
        document = json.loads(document_text)
    except (TypeError, ValueError):
        raise ModelFileError("%s is corrupted: its fastnn description is not valid JSON" % path)
    if not isinstance(document, dict):
        raise ModelFileError("%s is corrupted: its fastnn description is not a JSON object" % path)
    return tensors, document, meta


def _split_header(raw, path):
    if len(raw) < 8:
        raise ModelFileError(
            "%s is not a fastnn model file: %d bytes is too short (truncated or empty)"
            % (path, len(raw))
        )
    (header_len,) = struct.unpack("<Q", raw[:8])
    if header_len > MAX_HEADER_BYTES or header_len > len(raw) - 8:
        if header_len <= MAX_HEADER_BYTES:
            reason = "its header claims %d bytes but the file has only %d (truncated?)" % (
                header_len, len(raw) - 8)
        else:
            reason = "it does not start with a safetensors header"
        raise ModelFileError("%s is not a readable fastnn model file: %s" % (path, reason))
    try:
        header = json.loads(raw[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ModelFileError(
            "%s is not a fastnn model file: its header is not valid JSON "
            "(a different format, or corrupted)" % path
        )
    if not isinstance(header, dict):
        raise ModelFileError("%s is not a fastnn model file: unexpected header" % path)
    return header, raw[8 + header_len :]


def _read_tensors(header, data, path):
    tensors = {}
    entries = sorted(header.items(), key=lambda item: _offsets(item, path)[0])
    expected_begin = 0
    for name, entry in entries:
        begin, end = _offsets((name, entry), path)
        dtype = _CODE_DTYPES.get(entry.get("dtype"))
        if dtype is None:
            raise ModelFileError("%s: tensor %r has unsupported dtype %r" % (path, name, entry.get("dtype")))
        shape = tuple(int(s) for s in entry.get("shape", ()))
        count = int(np.prod(shape, dtype=np.int64))
        if begin != expected_begin or end - begin != count * dtype.itemsize:
            raise ModelFileError("%s is corrupted: tensor %r has inconsistent offsets" % (path, name))
        if end > len(data):
            raise ModelFileError(
                "%s is truncated: tensor %r needs bytes up to %d, the file has %d"
                % (path, name, end, len(data))
            )
        tensors[name] = np.frombuffer(data, dtype=dtype, count=count, offset=begin).reshape(shape).copy()
        expected_begin = end
    if expected_begin != len(data):
        raise ModelFileError(
            "%s is corrupted: %d bytes follow the last tensor" % (path, len(data) - expected_begin)
        )
    return dict(sorted(tensors.items(), key=lambda item: header[item[0]]["data_offsets"][0]))


def _offsets(item, path):
    name, entry = item
    try:
        begin, end = (int(v) for v in entry["data_offsets"])
    except (KeyError, TypeError, ValueError):
        raise ModelFileError("%s: tensor %r has no valid data_offsets" % (path, name))
    if begin < 0 or end < begin:
        raise ModelFileError("%s: tensor %r has invalid data_offsets" % (path, name))
    return begin, end
