"""Read input files safely: the one place where a file named by a user is opened.

Every scenario, batch, comparison, sensitivity and calibration file (TOML) and every data file
(CSV) is read here, so that whatever a path names, reading it ends quickly with the file's
contents or one :class:`~displacement_sim.errors.DisplacementSimError` whose message is
``<file>: <what was wrong>``:

- only regular files are read: a directory, a FIFO, a socket or a device (``/dev/zero``,
  ``/dev/stdin``) is refused from its ``stat`` before it is opened, and it is opened with
  ``O_NONBLOCK``, so that a FIFO swapped in after the check cannot block either;
- at most ``limit`` bytes are read (:data:`TOML_LIMIT`, :data:`CSV_LIMIT`): a larger file is
  refused with its size;
- the bytes must be UTF-8 text; the first bad byte is named with its line and column;
- a TOML document may nest tables and arrays at most :data:`MAX_DEPTH` deep (a deeper one
  would exhaust the parser's recursion, or a later step's);
- a file name longer than the system allows (255 bytes per name on most file systems) is
  named as such, not reported as a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from displacement_sim.errors import ScenarioError

TOML_LIMIT = 1_000_000
"""Largest TOML input file read, in bytes (the shipped ones are under 10 kB)."""

CSV_LIMIT = 64_000_000
"""Largest data file read, in bytes (the shipped ones are under 2 MB)."""

MAX_DEPTH = 32
"""Deepest nesting of tables and arrays accepted in a TOML file (scenario files need 6)."""

_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO (named pipe)",
          stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device"}


def _os_error(path: Path | str, exc: OSError, error: type[Exception]) -> Exception:
    """The one-line error for a failed ``stat`` or ``open``."""
    if exc.errno == errno.ENOENT:
        return error(f"{path}: file not found")
    if exc.errno == errno.ENAMETOOLONG:
        longest = max((len(os.fsencode(part)) for part in Path(path).parts), default=0)
        return error(f"{path}: file name too long ({longest} bytes in one name, "
                     f"{len(os.fsencode(str(path)))} in the path; the system allows 255 "
                     "bytes per name)")
    if exc.errno == errno.ENOTDIR:
        return error(f"{path}: file not found (a part of the path is not a folder)")
    if exc.errno == errno.ELOOP:
        return error(f"{path}: too many levels of symbolic links")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return error(f"{path}: permission denied")
    return error(f"{path}: cannot be read ({exc.strerror or exc})")


def check_path(path: str | os.PathLike[str], error: type[Exception] = ScenarioError) -> bool:
    """Whether ``path`` exists, raising the one-line error for a name the system refuses.

    Unlike :meth:`pathlib.Path.exists`, a name too long for the file system is not a
    traceback: it raises ``error`` naming the file.

    Parameters
    ----------
    path : str or path-like
        The path as written.
    error : type of Exception
        The exception raised (default ``ScenarioError``).

    Returns
    -------
    bool
        ``True`` if something exists at ``path`` (of any kind), ``False`` if nothing does.

    Raises
    ------
    Exception
        ``error``, if the name is too long or cannot be looked up for another reason than
        being absent.
    """
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise _os_error(Path(path), exc, error) from None
    except ValueError:  # an embedded NUL byte
        raise error(f"{path!r}: not a valid file name (it holds a NUL byte)") from None
    return True


def read_bytes(path: str | os.PathLike[str], limit: int, what: str = "file",
               error: type[Exception] = ScenarioError, name: str | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Parameters
    ----------
    path : str or path-like
        The file.
    limit : int
        Largest size accepted, in bytes.
    what : str
        What the file should be, for messages (``"a TOML file"``; default ``"file"``).
    error : type of Exception
        The exception raised, with one line ``<file>: <what was wrong>`` (default
        ``ScenarioError``).
    name : str, optional
        How messages name the file (default: ``path`` as given).

    Returns
    -------
    bytes
        The file's contents.

    Raises
    ------
    Exception
        ``error``, if the file is missing, not a regular file (a directory, FIFO, socket or
        device), larger than ``limit``, unreadable, or its name is too long.
    """
    label = Path(path) if name is None else name
    try:
        info = os.stat(path)
    except OSError as exc:
        raise _os_error(label, exc, error) from None
    except ValueError:
        raise error(f"{path!r}: not a valid file name (it holds a NUL byte)") from None
    _check_regular(label, info, limit, what, error)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(
        os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _os_error(label, exc, error) from None
    try:
        # What was opened may not be what was checked (a file swapped in between).
        _check_regular(label, os.fstat(fd), limit, what, error)
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise error(f"{label}: too large (more than {limit:,} bytes; {what} may "
                            f"hold at most {limit:,})")
    except BlockingIOError:  # pragma: no cover - regular files never block
        raise error(f"{label}: not a regular file (reading it would block)") from None
    except OSError as exc:
        raise _os_error(label, exc, error) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _check_regular(path: Path | str, info: os.stat_result, limit: int, what: str,
                   error: type[Exception]) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise error(f"{path}: is {kind}, not a regular file (expected {what})")
    if info.st_size > limit:
        raise error(f"{path}: too large ({info.st_size:,} bytes; {what} may hold at most "
                    f"{limit:,})")


def decode_utf8(data: bytes, path: str | os.PathLike[str],
                error: type[Exception] = ScenarioError) -> str:
    """Decode UTF-8 strictly, naming the line and column of the first byte that is not.

    Parameters
    ----------
    data : bytes
        The file's contents.
    path : str or path-like
        The file, named by the message.
    error : type of Exception
        The exception raised (default ``ScenarioError``).

    Returns
    -------
    str
        The text (a leading byte-order mark is kept, as the parsers expect to see it).

    Raises
    ------
    Exception
        ``error``, naming the first byte that is not UTF-8.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise error(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, "
                    f"column {column}); save the file as UTF-8") from None


def read_text(path: str | os.PathLike[str], limit: int, what: str = "file",
              error: type[Exception] = ScenarioError, name: str | None = None) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    Parameters
    ----------
    path : str or path-like
        The file.
    limit : int
        Largest size accepted, in bytes.
    what : str
        What the file should be, for messages (default ``"file"``).
    error : type of Exception
        The exception raised (default ``ScenarioError``).
    name : str, optional
        How messages name the file (default: ``path`` as given).

    Returns
    -------
    str
        The file's text.

    Raises
    ------
    Exception
        ``error``, as :func:`read_bytes` and :func:`decode_utf8` raise it.
    """
    return decode_utf8(read_bytes(path, limit, what, error, name),
                       path if name is None else name, error)


def nesting_depth(value: Any) -> int:
    """How deep tables (dicts) and arrays (lists) nest in ``value`` (a scalar is 0).

    Computed without recursion, so that any depth can be measured.

    Parameters
    ----------
    value : Any
        A parsed document.

    Returns
    -------
    int
        The depth: ``{}`` is 1, ``{"a": [1]}`` is 2.

    Examples
    --------
    >>> nesting_depth({"a": {"b": [1, [2]]}})
    4
    >>> nesting_depth(3)
    0
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_toml(text: str, path: str | os.PathLike[str], max_depth: int = MAX_DEPTH,
               error: type[Exception] = ScenarioError) -> dict[str, Any]:
    """Parse TOML text, refusing documents nested more than ``max_depth`` deep.

    Parameters
    ----------
    text : str
        The document.
    path : str or path-like
        The file, named by the message.
    max_depth : int
        Deepest nesting of tables and arrays accepted (default :data:`MAX_DEPTH`).
    error : type of Exception
        The exception raised (default ``ScenarioError``).

    Returns
    -------
    dict
        The parsed tables.

    Raises
    ------
    Exception
        ``error``, for invalid TOML or nesting deeper than ``max_depth``.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise error(f"{path}: tables or arrays nested too deeply (at most {max_depth} "
                    "levels)") from None
    depth = nesting_depth(doc)
    if depth > max_depth:
        raise error(f"{path}: tables or arrays nested {depth} levels deep (at most "
                    f"{max_depth})")
    return doc


def read_toml_file(path: str | os.PathLike[str], limit: int = TOML_LIMIT,
                   max_depth: int = MAX_DEPTH,
                   error: type[Exception] = ScenarioError) -> dict[str, Any]:
    """Read and parse a TOML input file with every check of this module.

    Parameters
    ----------
    path : str or path-like
        The TOML file.
    limit : int
        Largest size accepted, in bytes (default :data:`TOML_LIMIT`).
    max_depth : int
        Deepest nesting accepted (default :data:`MAX_DEPTH`).
    error : type of Exception
        The exception raised (default ``ScenarioError``).

    Returns
    -------
    dict
        The parsed tables.

    Raises
    ------
    Exception
        ``error``, with one line naming the file and what was wrong.
    """
    text = read_text(path, limit, "a TOML file", error)
    return parse_toml(text, path, max_depth, error)
