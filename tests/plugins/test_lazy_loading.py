"""Plugins cost nothing until used: building a session reads no entry point and imports no
plugin machinery; a run with hook plugins loads them then."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from statisfactory import Session
session = Session(root_folder=sys.argv[1])
loaded = [name for name in ("pluggy", "statisfactory.plugins.manager", "statisfactory.hookspecs")
          if name in sys.modules]
print("LOADED", loaded)
"""


def test_a_session_loads_no_plugin_machinery(project_factory):
    root = project_factory()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(root)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout
