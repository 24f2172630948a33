"""Run the CLI on a sandbox folder and check the promises every bad-input case keeps.

``invoke(args, sandbox=...)`` snapshots every file under the sandbox (SHA-256) before and
after the command, and reports what was created, changed or removed.  The assertions:

- :func:`assert_refused`: exit 2, one ``error:`` line with the expected key words, no
  traceback, no input changed or removed, nothing created outside the allowed folders;
- :func:`assert_ran`: exit 0, inputs unchanged, every new file inside the run folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from urbanrural.cli import main


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``root`` (symlinks not followed)."""
    out: dict[str, str] = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            if p.is_symlink() or not p.is_file():
                continue
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@dataclass(frozen=True)
class Outcome:
    """What a CLI call did to the sandbox."""

    exit_code: int
    output: str
    stderr: str
    created: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    exception: BaseException | None


def invoke(args: Sequence[str], *, sandbox: Path, cwd: Path | None = None) -> Outcome:
    """Run ``urbanrural ARGS`` (in ``cwd``, default the sandbox) and diff the sandbox."""
    before = snapshot(sandbox)
    old = Path.cwd()
    os.chdir(cwd or sandbox)
    try:
        res = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    finally:
        os.chdir(old)
    after = snapshot(sandbox)
    exc = res.exception if res.exception is not None and not isinstance(res.exception, SystemExit) else None
    return Outcome(
        exit_code=res.exit_code,
        output=res.output,
        stderr=res.stderr if hasattr(res, "stderr") else res.output,
        created=tuple(sorted(set(after) - set(before))),
        changed=tuple(sorted(k for k in before.keys() & after.keys() if before[k] != after[k])),
        removed=tuple(sorted(set(before) - set(after))),
        exception=exc,
    )


def _inside(rel: str, folders: Iterable[str]) -> bool:
    parts = Path(rel).parts
    return any(parts[: len(Path(f).parts)] == Path(f).parts for f in folders)


def assert_refused(out: Outcome, *words: str, code: int = 2, allowed: Iterable[str] = ()) -> None:
    """Exit ``code`` with every word of ``words`` in the message; nothing lost, nothing stray."""
    text = out.output.lower()
    assert out.exit_code == code, f"exit {out.exit_code} (wanted {code}):\n{out.output}\n{out.exception!r}"
    assert "traceback" not in text, out.output
    assert "internal error" not in text, out.output
    for w in words:
        assert w.lower() in text, f"{w!r} not in message:\n{out.output}"
    assert not out.changed, f"inputs changed: {out.changed}"
    assert not out.removed, f"files removed: {out.removed}"
    allowed = list(allowed)
    stray = [c for c in out.created if not _inside(c, allowed)]
    assert not stray, f"files created outside {allowed}: {stray}"


def assert_ran(out: Outcome, run_dir: str, *, also: Iterable[str] = ()) -> None:
    """Exit 0; inputs unchanged; every new file lies inside ``run_dir`` (or ``also``)."""
    assert out.exit_code == 0, f"exit {out.exit_code}:\n{out.output}\n{out.exception!r}"
    assert not out.changed, f"inputs changed: {out.changed}"
    assert not out.removed, f"files removed: {out.removed}"
    stray = [c for c in out.created if not _inside(c, [run_dir, *also])]
    assert not stray, f"files created outside {run_dir}: {stray}"


# ---------------------------------------------------------------- config cases on the small study
@dataclass(frozen=True)
class ConfigCase:
    """A bad or awkward input made by ``mutate(folder, cfg)`` on a copy of the ``small_study``
    fixture, run with ``command`` ("validate" or "run"), expecting exit ``code``, key
    ``words`` in the output and, for runs, ``check`` = (check, status, count) in run.json."""

    mutate: Callable[[Path, dict], None]
    command: str
    code: int
    words: tuple[str, ...] = ()
    check: tuple[str, str, int] | None = None

    @property
    def id(self) -> str:
        return self.mutate.__name__


def run_config_case(case: ConfigCase, study: Path, *, run_dir: str = "res") -> None:
    """Apply ``case`` to the study config at ``study`` and check every promise it makes."""
    import json

    import yaml

    d = study.parent
    cfg = yaml.safe_load(study.read_text(encoding="utf-8"))
    case.mutate(d, cfg)
    study.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    args = [case.command, study.name] + (["--out", run_dir] if case.command == "run" else [])
    out = invoke(args, sandbox=d)
    assert out.exception is None, repr(out.exception)
    if case.code == 2:
        assert_refused(out, *case.words)
        assert len([ln for ln in out.output.splitlines() if ln.startswith("error:")]) == 1, out.output
        return
    if case.command == "run":
        assert_ran(out, run_dir)
    else:
        assert out.exit_code == 0, out.output
    text = out.output.lower()
    assert "traceback" not in text
    for w in case.words:
        assert w.lower() in text, f"{w!r} not in {out.output}"
    if case.check is not None:
        check, status, count = case.check
        checks = json.loads((d / run_dir / "run.json").read_text(encoding="utf-8"))["checks"]
        found = [c for c in checks if check in c["check"] and c["status"] == status]
        assert found, f"no check {check!r} ({status}) in {[(c['check'], c['status']) for c in checks]}"
        assert found[0]["count"] == count, found[0]
