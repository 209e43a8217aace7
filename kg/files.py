"""File helpers, one copy each: expanding paths, reading bytes and UTF-8 text with positioned errors, the paths
shown to users, and atomic writes. Every command reads its input files here, so every read is of a regular file
and bounded by ``KG_MAX_FILE_BYTES``.

Every failure is an :class:`kg.errors.InputError` (CLI exit 2, HTTP 400) naming the file, never an ``OSError``
traceback; a write never leaves a half-written file behind under the target's name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from kg.errors import FileChanged, InputError

#: Default of ``KG_MAX_FILE_BYTES``: the largest file any command reads. The repository's files are kilobytes and
#: those ``kg synth`` writes a few megabytes each, so 256 MiB leaves room for real data while a "file" beyond it
#: (a link to a disk image, a log) is refused before it is read, not after it has exhausted memory.
MAX_FILE_BYTES = 256 * 1024 * 1024


def kind_of(path: Path) -> str | None:
    """None when ``path`` is a regular file (after following symbolic links); else what it is, as a message
    reads it: "no such file or directory", "a dangling symbolic link", "a symbolic link loop", "a directory",
    "a FIFO", "a socket", "a device", or "unreadable (<reason>)". Never opens the file, so never blocks."""
    try:
        mode = path.stat().st_mode
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "a symbolic link loop"
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            return "a dangling symbolic link" if path.is_symlink() else "no such file or directory"
        return f"unreadable ({err.strerror})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _not_regular(path: Path, kind: str) -> InputError:
    if kind.startswith(("no such", "unreadable")):
        return InputError(f"{path}: {kind}", path=str(path))
    return InputError(f"{path}: {kind}, not a regular file; kg reads regular files only", path=str(path))


def expand(paths: Iterable[Path | str], extensions: Collection[str]) -> list[Path]:
    """Files as given; folders expanded recursively to the files whose suffix is in ``extensions``, sorted.

    Raises :class:`InputError` naming the path and what it is (see :func:`kind_of`) for a path that is not a
    regular file or folder, given or found in a folder with one of ``extensions`` (a FIFO, a device, a socket, a
    symbolic link loop or a dangling link is never skipped silently), and for a folder that cannot be read.
    Symbolic links to folders inside a folder are not followed (a link to ``/`` would walk the whole disk)."""
    out: list[Path] = []
    for p in map(Path, paths):
        kind = kind_of(p)
        if kind == "a directory":
            out.extend(_walk(p, extensions))
        elif kind is not None:
            raise _not_regular(p, kind)
        else:
            out.append(p)
    return out


def _walk(folder: Path, extensions: Collection[str]) -> list[Path]:
    """The entries under ``folder`` with one of ``extensions``, sorted; :class:`InputError` for one that is not
    a regular file, or for a folder that cannot be listed."""
    def fail(err: OSError) -> None:
        raise InputError(f"{err.filename or folder}: cannot read the folder ({err.strerror})",
                         path=str(err.filename or folder))

    found: list[Path] = []
    for top, dirs, names in os.walk(folder, onerror=fail):
        here = Path(top)
        # a symbolic link to a folder is listed in ``dirs`` and not entered (followlinks=False)
        for name in sorted(names + [d for d in dirs if (here / d).is_symlink()]):
            entry = here / name
            if entry.suffix not in extensions:
                continue
            kind = kind_of(entry)
            if kind is not None:
                raise _not_regular(entry, kind)
            found.append(entry)
    return sorted(found)


def read_bytes(path: Path, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them (``KG_MAX_FILE_BYTES``).

    Raises :class:`InputError` naming the file when it is missing, not a regular file (a FIFO is never waited
    on, a device such as ``/dev/zero`` never read), larger than ``limit`` (the message names the setting), or
    cannot be read."""
    kind = kind_of(path)
    if kind is not None:
        raise _not_regular(path, kind)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO since kind_of looked, open returns instead of waiting
        # for a writer; fstat on the descriptor then decides about the very file that is read.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})", path=str(path)) from None
    with os.fdopen(fd, "rb", buffering=0) as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, "not a regular file")
        if info.st_size > limit:
            raise _too_large(path, f"{info.st_size:,} bytes", limit)
        try:
            data = f.read(limit + 1)  # one byte more tells a file that grew past the limit since fstat
        except OSError as err:
            raise InputError(f"{path}: cannot read ({err.strerror})", path=str(path)) from None
    if len(data) > limit:
        raise _too_large(path, f"more than {limit:,} bytes", limit)
    return data


def read_stream(stream: BinaryIO, name: str, *, limit: int = MAX_FILE_BYTES) -> str:
    """At most ``limit`` bytes (``KG_MAX_FILE_BYTES``) of ``stream`` (standard input: ``name`` is how messages call
    it), as UTF-8 text. Raises :class:`InputError` naming the setting when the stream holds more, without reading
    past the limit, or naming the line and column when it is not UTF-8."""
    data = stream.read(limit + 1)  # one byte more tells an input over the limit; the rest is never read
    if len(data) > limit:
        raise _too_large(Path(name), f"more than {limit:,} bytes", limit)
    return decode(data, name)


def _too_large(path: Path, size: str, limit: int) -> InputError:
    return InputError(f"{path}: {size}, larger than KG_MAX_FILE_BYTES={limit:,}; raise the setting to read it",
                      path=str(path))


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


def read_text(path: Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """The file as UTF-8 text; :class:`InputError` if it is missing, not a regular file, larger than ``limit``,
    unreadable or not UTF-8 (see :func:`read_bytes` and :func:`decode`)."""
    return decode(read_bytes(path, limit=limit), path)


def display(path: Path, root: Path) -> str:
    """``path`` as a curator reads it: relative to the repository ``root`` when inside it, else as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


@contextlib.contextmanager
def atomic_writer(path: Path, *, unchanged: bytes | None = None) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content into: a temporary file in the same folder, renamed over
    ``path`` only when the block ends without error (readers see the old file or the new one, never half of one);
    on error it is removed. An existing file keeps its permission bits; a new one gets the ones the umask allows,
    as a plain ``open`` would give it.

    With ``unchanged`` (the bytes the new content was made from), ``path`` is replaced only if it still holds
    exactly those bytes right before the rename; else :class:`FileChanged` is raised and the file keeps what
    another writer put there. (The check and the rename are two system calls: a write landing between them is
    the one case left, a window of microseconds instead of the whole run.)"""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w+b") as out:  # readable too: a writer may read back what it wrote (dumps do)
            yield out
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        if unchanged is not None and not _holds(path, unchanged):
            raise FileChanged(f"{path}: changed while it was being rewritten; left as the other writer left it "
                              "(run the command again)", path=str(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _holds(path: Path, expected: bytes) -> bool:
    """True when ``path`` is a regular file whose bytes are ``expected`` (the size is compared first)."""
    try:
        if path.stat().st_size != len(expected):
            return False
        return read_bytes(path, limit=len(expected)) == expected
    except (OSError, InputError):
        return False


def write_atomic(path: Path, data: bytes | str, *, unchanged: bytes | None = None) -> None:
    """Replace ``path``'s content with ``data`` (text is written as UTF-8 with ``\\n`` line ends) atomically;
    with ``unchanged``, only if the file still holds those bytes (see :func:`atomic_writer`)."""
    with atomic_writer(path, unchanged=unchanged) as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)
