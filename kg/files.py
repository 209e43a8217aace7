"""File helpers, one copy each: expanding paths, reading bytes and UTF-8 text with positioned errors, the paths
shown to users, and atomic writes.

Every failure is an :class:`kg.errors.InputError` (CLI exit 2, HTTP 400) naming the file, never an ``OSError``
traceback; a write never leaves a half-written file behind under the target's name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from kg.errors import InputError


def expand(paths: Iterable[Path | str], extensions: Collection[str]) -> list[Path]:
    """Files as given; folders expanded recursively to the files whose suffix is in ``extensions``, sorted.

    Raises :class:`InputError` for a path that does not exist (saying when it is a broken symbolic link) and for
    a folder that cannot be read."""
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            kind = "a broken symbolic link" if p.is_symlink() else "no such file or directory"
            raise InputError(f"{p}: {kind}", path=str(p))
        if p.is_dir():
            try:
                out.extend(sorted(f for f in p.rglob("*") if f.suffix in extensions and f.is_file()))
            except OSError as err:
                raise InputError(f"{p}: cannot read the folder ({err.strerror})", path=str(p)) from None
        else:
            out.append(p)
    return out


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or :class:`InputError` naming it when it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", path=str(path)) from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory", path=str(path)) from None
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})", path=str(path)) from None


def decode(data: bytes, path: Path | str) -> str:
    """``data`` as UTF-8 text, or :class:`InputError` with the line and column (code points) of the first byte
    that is not UTF-8, in ``details`` and in the message's ``file:line:column`` prefix."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        column = len(data[data.rfind(b"\n", 0, err.start) + 1:err.start].decode("utf-8", "replace")) + 1
        reason = (f"not UTF-8 text: byte 0x{data[err.start]:02x} cannot be decoded (is the file Latin-1 or binary? "
                  "save it as UTF-8)")
        raise InputError(f"{path}:{line}:{column}: {reason}", path=str(path), line=line, column=column,
                         reason=reason) from None


def read_text(path: Path) -> str:
    """The file as UTF-8 text; :class:`InputError` if it is missing, unreadable or not UTF-8 (see :func:`decode`)."""
    return decode(read_bytes(path), path)


def display(path: Path, root: Path) -> str:
    """``path`` as a curator reads it: relative to the repository ``root`` when inside it, else as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content into: a temporary file in the same folder, renamed over
    ``path`` only when the block ends without error (readers see the old file or the new one, never half of one);
    on error it is removed. An existing file keeps its permission bits; a new one gets the ones the umask allows,
    as a plain ``open`` would give it."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w+b") as out:  # readable too: a writer may read back what it wrote (dumps do)
            yield out
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace ``path``'s content with ``data`` (text is written as UTF-8 with ``\\n`` line ends) atomically."""
    with atomic_writer(path) as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)
