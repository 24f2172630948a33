"""The one place output paths are made: safe names, run folders, atomic writes, checksums.

Promises (each held by a test under ``tests/robustness`` and ``tests/geo/test_io.py``):

- every file a run writes is built by :meth:`RunFolder.file`, which keeps it inside the
  run folder, whatever the name that came from data or config (``x/../../population``,
  ``/etc/passwd``, ``..``), and keeps names readable (CJK letters survive) and unique
  (``县级医院`` and ``市级医院`` never collide; names that only differ in case or in the
  characters dropped get a short hash);
- an output folder is refused when it is ``.``/``..``, a folder holding the config or
  any input, or an ancestor of one (:func:`check_output_dir`); ``overwrite`` replaces only
  a folder this tool made (it holds the :data:`MARKER` file, or a run.json of ours);
- a run folder is built under a temporary name and renamed into place only when
  complete; without ``overwrite`` it never replaces a folder that appeared meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import InputFileError, OutputError, OutputExistsError

__all__ = ["atomic_path", "atomic_dir", "ensure_new", "sha256", "require_file", "safe_name", "RunFolder",
           "check_output_dir", "check_output_file", "is_ours", "foreign_files", "write_marker", "MARKER"]

MARKER = ".urbanrural"
"""File written into every folder urbanrural makes; ``overwrite`` replaces only such folders."""

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_MAX_NAME = 80
_MAX_BYTES = 200  # UTF-8 bytes of a name before its suffix (file systems allow 255)
_FOLDER_FORMATS = {".gdb"}  # inputs that GDAL reads as a folder (Esri FileGDB)


def require_file(path: str | os.PathLike, *, what: str = "input") -> Path:
    """Return ``path`` as a Path if it is an existing file, else raise InputFileError."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{what} {p} does not exist; check the path (relative paths in a config are relative to the config file)")
    if p.is_dir() and p.suffix.lower() not in _FOLDER_FORMATS:
        raise InputFileError(f"{what} {p} is a folder, not a file; name the file inside it")
    return p


def safe_name(name: object, *, max_len: int = _MAX_NAME) -> str:
    """A readable file-name component for a name that came from data or config.

    Letters and digits of any script are kept (``县级医院`` stays), so are ``-``, ``_`` and
    inner dots; every other character (path separators, ``..``, quotes, control and
    shell characters, spaces) becomes ``_``.  Empty and reserved names (``con``, ``nul``)
    get a suffix; long names are cut and end in a hash of the whole name, so two long
    names stay apart.  The result is never ``.``/``..``, never hidden, never contains a
    separator, and is at most ``max_len`` characters.

    Examples
    --------
    >>> safe_name("县级医院")
    '县级医院'
    >>> safe_name("x/../../population")
    'x_population'
    >>> safe_name("..")
    'unnamed'
    >>> safe_name("tt:hospital")
    'tt_hospital'
    """
    text = unicodedata.normalize("NFC", str(name))
    out = "".join(ch if (ch.isalnum() or ch in "-_.") and ch.isprintable() else "_" for ch in text)
    out = re.sub(r"\.{2,}", "_", out)  # no '..' anywhere
    out = re.sub(r"_+", "_", out).strip("._- ")
    if not out:
        out = "unnamed"
    if out.split(".")[0].casefold() in _RESERVED:
        out = f"{out}_"
    if len(out) > max_len or len(out.encode("utf-8")) > _MAX_BYTES:
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        head = out[: max_len - 9]
        while len(head.encode("utf-8")) > _MAX_BYTES - 9:  # file systems count bytes (255), not letters
            head = head[:-1]
        out = f"{head.rstrip('._-')}-{digest}"
    return out


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:6]


class RunFolder:
    """Builds every output path of one run inside ``root``.

    ``file(folder, name, suffix)`` sanitises ``name`` with :func:`safe_name` and keeps a
    register per folder, so two different names never get the same file (the second
    gets a short hash of its original text), and asking again for the same name gives
    the same path.

    Examples
    --------
    >>> import tempfile
    >>> rf = RunFolder(tempfile.mkdtemp())
    >>> rf.file("rasters", "tt_县级医院", ".tif").name
    'tt_县级医院.tif'
    >>> a, b = rf.file("maps", "a/b", ".png"), rf.file("maps", "a:b", ".png")
    >>> a.name, b.name != a.name, b.parent == a.parent
    ('a_b.png', True, True)
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve()
        self._names: dict[tuple[str, str], dict[str, str]] = {}

    def folder(self, *parts: str) -> Path:
        """A sub-folder of the run folder (made if needed); parts are fixed names, sanitised too."""
        p = self.root.joinpath(*(safe_name(x) for x in parts)) if parts else self.root
        self._check(p)
        p.mkdir(parents=True, exist_ok=True)
        return p

    def file(self, folder: str | None, name: object, suffix: str = "") -> Path:
        """Path of output file ``name + suffix`` in ``folder`` (None: the run folder itself)."""
        if suffix and not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
            raise OutputError(f"output suffix {suffix!r} is not a plain file extension")
        raw = str(name)
        base = safe_name(raw, max_len=_MAX_NAME - len(suffix))
        register = self._names.setdefault((folder or "", suffix.lower()), {})
        key = base.casefold()
        taken = register.get(key)
        if taken is not None and taken != raw:
            base = f"{safe_name(raw, max_len=_MAX_NAME - len(suffix) - 7)}-{_short_hash(raw)}"
            key = base.casefold()
        register[key] = raw
        parent = self.folder(folder) if folder else self.root
        path = parent / f"{base}{suffix}"
        self._check(path)
        return path

    def _check(self, path: Path) -> None:
        resolved = path.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise OutputError(f"refusing to write {path}: it is outside the run folder {self.root}")

    def relative(self, path: str | os.PathLike) -> str:
        """``path`` relative to the run folder (for run.json)."""
        return Path(path).resolve().relative_to(self.root).as_posix()


def _manifest(folder: Path) -> set[str] | None:
    """Files this tool wrote in ``folder`` (marker manifest, else a run.json of ours), or None."""
    marker = folder / MARKER
    if marker.is_file():
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        files = data.get("files") if isinstance(data, dict) else None
        if isinstance(files, list):
            return {str(f) for f in files}
    run = folder / "run.json"
    if run.is_file():
        try:
            data = json.loads(run.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(data, dict) and "urbanrural" in data and isinstance(data.get("outputs"), list):
            return {str(f) for f in data["outputs"]} | {"run.json"}
    return None


def is_ours(path: str | os.PathLike) -> bool:
    """True when ``path`` is a folder this tool made (marker file, or a run.json of ours)."""
    p = Path(path)
    if not p.is_dir():
        return False
    return (p / MARKER).is_file() or _manifest(p) is not None


def foreign_files(path: str | os.PathLike) -> list[str]:
    """Files in our folder ``path`` that this tool did not write (a user's additions, or
    everything when the folder is not ours): ``--overwrite`` refuses to delete them."""
    root = Path(path)
    if not is_ours(root):
        return sorted(str(f.relative_to(root)) for f in root.rglob("*") if not f.is_dir())
    listed = _manifest(root) or set()
    out: list[str] = []
    for entry in sorted(root.iterdir()):
        name = entry.name
        if name == MARKER:
            continue
        if entry.is_dir() and not entry.is_symlink():
            if is_ours(entry):
                out += [f"{name}/{f}" for f in foreign_files(entry)]
            else:
                inner = [f"{name}/{f.relative_to(entry).as_posix()}" for f in entry.rglob("*") if not f.is_dir()]
                out += [f for f in inner if f not in listed]
        elif name not in listed:
            out.append(name)
    return out


def _write_marker(folder: Path, *, files: list[str] | None = None) -> None:
    from .. import __version__

    data: dict[str, object] = {"made_by": "urbanrural", "version": __version__}
    if files is not None:
        data["files"] = files
    (folder / MARKER).write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")


def write_marker(folder: str | os.PathLike) -> None:
    """Mark ``folder`` as made by urbanrural, listing the files now in it (``--overwrite``
    later replaces the folder only if nothing else was added).  Files inside sub-folders
    with a marker of their own are theirs to list."""
    p = Path(folder)
    files = sorted(f.relative_to(p).as_posix() for f in p.rglob("*")
                   if f.is_file() and f.name != MARKER and not _in_marked_subfolder(f, p))
    _write_marker(p, files=files)


def _in_marked_subfolder(f: Path, root: Path) -> bool:
    return any((d / MARKER).is_file() for d in f.parents if d != root and root in d.parents)


def _is_relative(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_output_dir(path: str | os.PathLike, *, overwrite: bool, inputs: Iterable[str | os.PathLike] = (),
                     what: str = "output folder") -> Path:
    """Check that ``path`` may become an output folder; return it resolved.

    Refused (:class:`OutputError`, exit 2): ``.``/``..`` or any ancestor of the current
    folder; a folder that holds any of ``inputs`` (or an ancestor of such a folder); a
    path under a file; a file; an existing folder without ``overwrite``
    (:class:`OutputExistsError`; an empty folder is fine); with ``overwrite``, an existing
    folder that this tool did not make.
    """
    raw = Path(path)
    target = raw.resolve()
    cwd = Path.cwd().resolve()
    if raw.name in ("", ".", "..") or _is_relative(cwd, target):
        raise OutputError(f"{what} {raw} is the current folder or one of its parents; "
                          "name a new folder for the results, e.g. --out results")
    for inp in inputs:
        if Path(inp).resolve() == target:
            raise OutputError(f"{what} {raw} is the input {inp}; inputs are never replaced: name a new folder")
        folder = Path(inp).resolve().parent
        if _is_relative(folder, target):
            raise OutputError(f"{what} {raw} holds the input {inp} (replacing it could delete your data); "
                              f"name a new folder for the results, e.g. --out {folder / 'results'}")
    for anc in target.parents:
        if anc.exists():
            if not anc.is_dir():
                raise OutputError(f"{what} {raw} lies under {anc}, which is a file; choose another path")
            if not os.access(anc, os.W_OK | os.X_OK):
                raise OutputError(f"{what} {raw}: cannot write in {anc} (permission denied); choose a folder "
                                  "you can write to")
            break
    if target.exists():
        if not target.is_dir():
            raise OutputError(f"{what} {raw} is an existing file; choose a folder name")
        if any(target.iterdir()):
            if not overwrite:
                raise OutputExistsError(f"{raw} already exists; pass --overwrite (overwrite=True) to replace "
                                        "it, or choose another path")
            if not is_ours(target):
                raise OutputError(f"{what} {raw} exists and was not made by urbanrural (no {MARKER} or "
                                  "run.json of ours in it); --overwrite replaces only folders this tool "
                                  "made: choose another --out, or move it away yourself")
            extra = foreign_files(target)
            if extra:
                shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
                raise OutputError(f"{what} {raw} was made by urbanrural but now also holds {len(extra)} file(s) "
                                  f"it did not write ({shown}); --overwrite would delete them: move them out "
                                  "first, or choose another --out")
    return target


def check_output_file(path: str | os.PathLike, *, overwrite: bool,
                      inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Check that file ``path`` may be written: never an input, never a folder, not
    replaced without ``overwrite``; return it resolved."""
    raw = Path(path)
    target = raw.resolve()
    if raw.name in ("", ".", ".."):
        raise OutputError(f"output {raw} is not a file name; name a file, e.g. --out map.html")
    for inp in inputs:
        if Path(inp).resolve() == target:
            raise OutputError(f"output {raw} is the input {inp}; inputs are never replaced: choose another name")
    if target.is_dir():
        raise OutputError(f"output {raw} is an existing folder; name a file")
    for anc in target.parents:
        if anc.exists():
            if not anc.is_dir():
                raise OutputError(f"output {raw} lies under {anc}, which is a file; choose another path")
            if not os.access(anc, os.W_OK | os.X_OK):
                raise OutputError(f"output {raw}: cannot write in {anc} (permission denied)")
            break
    ensure_new(target, overwrite=overwrite)
    return target


def ensure_new(path: str | os.PathLike, *, overwrite: bool) -> Path:
    """Refuse to replace an existing output unless ``overwrite`` is true."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise OutputExistsError(f"{p} already exists; pass --overwrite (overwrite=True) to replace it, or choose another path")
    return p


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    An interrupted write leaves no half-written file at ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    target = ensure_new(path, overwrite=overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers (GDAL) want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it becomes ``path`` only on success.

    The folder gets the :data:`MARKER` file.  Without ``overwrite`` the final rename fails
    (:class:`OutputExistsError`) if a non-empty ``path`` appeared meanwhile (another run);
    with ``overwrite`` only a folder this tool made is replaced.  On any exception
    (including KeyboardInterrupt and SIGTERM turned into SystemExit by the CLI) the
    temporary folder is removed.
    """
    target = Path(path)
    if target.exists() and not overwrite and not (target.is_dir() and not any(target.iterdir())):
        ensure_new(target, overwrite=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name[:40]}.", suffix=".tmp", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes 0700; a result folder is an ordinary folder
    try:
        _write_marker(tmp)
        yield tmp
        write_marker(tmp)  # the manifest: what this run wrote
        if overwrite and target.exists() and any(target.iterdir()):
            if not is_ours(target) or foreign_files(target):
                raise OutputError(f"{target} holds files urbanrural did not write; not replaced (results "
                                  "discarded)")
            old = Path(tempfile.mkdtemp(prefix=f".{target.name[:40]}.", suffix=".old", dir=target.parent))
            moved = False
            try:
                os.replace(target, old / "x")
                moved = True
                os.replace(tmp, target)
            except BaseException:
                if moved and not target.exists():
                    os.replace(old / "x", target)  # put the previous results back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                os.rename(tmp, target)  # replaces an empty folder only; fails on a non-empty one
            except OSError as exc:
                raise OutputExistsError(f"{target} appeared while this run was going (another run?); it was "
                                        "not replaced: rerun with another --out, or --overwrite") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def sha256(path: str | os.PathLike, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file (for run.json input checksums); of a folder input (FileGDB),
    over its files' relative paths and contents in sorted order."""
    h = hashlib.sha256()
    p = Path(path)
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    for f in files:
        if p.is_dir():
            h.update(f.relative_to(p).as_posix().encode("utf-8") + b"\0")
        with open(f, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    return h.hexdigest()
