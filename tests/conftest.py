"""Shared test settings: hypothesis profiles, and PyTorch for the tests that compare with it.

Locally each run draws new examples; with the ``CI`` environment variable set, the
``ci`` profile derandomizes them so a CI failure reproduces. No deadlines: the
machines running the suite are shared and their timing is noisy.

PyTorch (the ``bench`` extra) is optional: ``torch_or_skip()`` skips a test without it,
unless AUTOGRAD_CORE_REQUIRE_TORCH is set (``.ci/run`` sets it): then a missing PyTorch fails.
"""

import importlib
import os
from types import ModuleType

import pytest
from hypothesis import settings

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def torch_or_skip() -> ModuleType:
    """``import torch``; without it a skip (a failure where AUTOGRAD_CORE_REQUIRE_TORCH is set, as in CI)."""
    if os.environ.get("AUTOGRAD_CORE_REQUIRE_TORCH"):
        return importlib.import_module("torch")
    return pytest.importorskip("torch", reason="PyTorch is in the bench extra")
