"""Shared test settings: hypothesis profiles.

Locally each run draws new examples; with the ``CI`` environment variable set, the
``ci`` profile derandomizes them so a CI failure reproduces. No deadlines: the
machines running the suite are shared and their timing is noisy.
"""

import os

from hypothesis import settings

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
