"""``python -m autograd_core.demo``: the notes' neuron (seed 002), its numbers checked by hand."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from autograd_core import demo


def test_the_demo_prints_the_notes_neuron_and_its_gradients(capsys: pytest.CaptureFixture[str]) -> None:
    demo.main()
    out = capsys.readouterr().out
    a = 1 / (1 + math.exp(-5.0))  # z = 0.5·5 + 0.5·3 + 1 = 5
    dz = a - 1.0  # the notes: dz = a − y with y = 1
    assert f"z = w·x + b = 5,  a = σ(z) = {a:.4f},  L = {-math.log(a):.6f}" in out
    for name, x in (("w1", 5.0), ("w2", 3.0), ("b", 1.0)):
        assert f"∂L/∂{name} = {x * dz:+.6f}" in out
    assert out.rstrip().endswith("gradcheck: backprop agrees with central differences for w1, w2 and b")


def test_the_demo_runs_as_a_module() -> None:
    done = subprocess.run([sys.executable, "-m", "autograd_core.demo"], capture_output=True, text=True, check=True)
    assert "∂L/∂w1 = -0.033464" in done.stdout
