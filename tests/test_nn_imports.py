"""``import nn`` stays light: only autograd_core and the standard library (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

CHECK = """
import json, sys
before = set(sys.modules)
import nn
new = sorted(set(sys.modules) - before)
print(json.dumps([m for m in new if m.split(".")[0] not in sys.stdlib_module_names]))
"""


def test_importing_nn_loads_no_third_party_package() -> None:
    run = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    outside = [m for m in json.loads(run.stdout) if m.split(".")[0] not in ("nn", "autograd_core")]
    assert outside == [], f"import nn also imported {outside}"
    assert "nn.layers" in json.loads(run.stdout)  # the check sees what nn imports
