"""Draw the README's example graphs into docs/images/ (run: .venv/bin/python scripts/make_readme_images.py).

1. The neuron of the notes with the logistic loss: x = (5, 3), w = (0.5, 0.5), b = 1,
   z = w·x + b, a = σ(z), L = −ln a (label y = 1), after ``L.backward()``.
2. A small ``nn.MLP(2, [3, 1])`` on one point, each neuron in its own cluster.
3. A conv layer, ``Conv2d(1, 16, kernel_size=3, padding=1)`` on an 8×8 image, C = Σ of its outputs:
   2,209 Values, collapsed to its first two filters and their first three positions, top to bottom.
"""

from __future__ import annotations

from pathlib import Path

import nn
from autograd_core import Value, dot, draw_graph, vsum

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def notes_neuron() -> Value:
    x1, x2 = Value(5.0, "x1"), Value(3.0, "x2")
    w1, w2, b = Value(0.5, "w1"), Value(0.5, "w2"), Value(1.0, "b")
    z = dot([w1, w2], [x1, x2], b)
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    loss = -a.log()
    loss.label = "L"
    loss.backward()
    return loss


def small_mlp() -> Value:
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.label = "L"
    loss.backward()
    return loss


def conv_layer() -> Value:
    layer = nn.Sequential(nn.Conv2d(1, 16, kernel_size=3, padding=1, seed=0), nn.Flatten())
    image = [[[(r + c) % 4 / 3 for c in range(8)] for r in range(8)]]  # [channel][row][column]
    C = vsum(layer(image))
    C.backward()
    return C


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, root, rankdir in [
        ("neuron.svg", notes_neuron(), "LR"),
        ("mlp.svg", small_mlp(), "LR"),
        ("conv.svg", conv_layer(), "TB"),
    ]:
        path = draw_graph(root, rankdir=rankdir).save(IMAGES / name)
        print(f"wrote {path.relative_to(IMAGES.parent.parent)} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
