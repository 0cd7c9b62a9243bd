"""What a batch of examples may be: a list of rows (or of images, signals) or a NumPy array.

``Rows`` asks only for what the functions that take data use — ``len()``, ``[i]`` and
iteration — so ``compile_batch``, ``nn.fit``, ``nn.accuracy`` and ``nn.batches`` accept a list
and a NumPy array alike under a type checker, without importing NumPy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol


class Rows(Protocol):
    """Examples (or targets) one per index: ``len(X)``, ``X[i]``, ``for x in X``."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...
