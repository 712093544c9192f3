"""The layers of ARCHITECTURE.md as import-linter contracts (pyproject.toml): the domain never
imports the faces, directly or through another module, nor the web framework (its errors are
its own; only the faces turn them into status codes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from odr.settings import SOURCE_ROOT


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=SOURCE_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and " KEPT" in result.stdout
