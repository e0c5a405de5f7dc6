"""ramu starts where `fcntl` does not exist (Windows): every module imports without it.

CI cannot run Windows, so a subprocess makes `import fcntl` fail for real
(`sys.modules["fcntl"] = None` raises ImportError on import) and then imports
every module of ramu_cli, and runs `ramu commit` under the lock (filelock).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ramu_cli
from test_manifest_ledger import RUN1, make_run

SHIM = """
import sys
sys.modules["fcntl"] = None            # any `import fcntl` now raises ImportError
import importlib, pkgutil
import ramu_cli
names = sorted(m.name for m in pkgutil.walk_packages(ramu_cli.__path__, "ramu_cli."))
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_every_module_imports_without_fcntl():
    result = subprocess.run([sys.executable, "-c", SHIM], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    expected = sum(1 for p in Path(ramu_cli.__path__[0]).rglob("*.py") if p.name != "__init__.py") + sum(
        1 for p in Path(ramu_cli.__path__[0]).rglob("__init__.py") if p.parent.name != "ramu_cli")
    assert int(result.stdout.strip()) == expected


def test_commit_works_without_fcntl(tmp_path: Path):
    run = make_run(tmp_path, "run1", RUN1)
    code = ("import sys; sys.modules['fcntl'] = None\n"
            "from ramu_cli.cli import app\n"
            f"app([ 'commit', {str(run)!r}, '--ledger', {str(tmp_path / 'registre')!r}, '--json'])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added_lines"] == 3
    assert (tmp_path / "registre" / "ledger.jsonl").is_file()
