"""The main job: train an MLP on the two moons, or on the 8×8 handwritten digits.

``python -m nn.demo`` (moons) trains MLP 2-16-16-1 with the hinge loss + L2 and SGD for
100 steps, prints progress and the final accuracy, and writes to ``out/``:
``moons_decision_boundary.png``, ``neuron_graph.svg`` (the computation graph of one
neuron on one point, with its gradients; ``neuron_graph.dot`` if Graphviz's ``dot`` is
missing) and ``moons_mlp.json`` (the trained model). ``python -m nn.demo digits`` trains
MLP 64-32-10 with softmax cross-entropy and mini-batch SGD, prints the test accuracy and
writes ``digits_mlp.json``. ``--no-progress`` hides the progress bar (it is shown only on a
terminal anyway). The packages it needs (the ``nn`` and ``viz`` extras) are checked before
training, and a missing one is named with the extra that installs it.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Sequence
from pathlib import Path

from autograd_core import Value, no_grad
from autograd_core.extras import require
from autograd_core.files import write_atomically
from nn.data import load_digits, make_moons
from nn.layers import MLP
from nn.losses import cross_entropy, hinge_loss, l2_penalty
from nn.optim import SGD
from nn.train import accuracy, fit

NEEDS = {  # task -> (package, extra) it imports
    "moons": [("sklearn", "nn"), ("matplotlib", "nn"), ("numpy", "nn"), ("graphviz", "viz")],
    "digits": [("sklearn", "nn")],
}


def l2_regularisation(params: list[Value]) -> Value:
    """λ·Σp² with λ = 1e-4 (micrograd's demo)."""
    return 1e-4 * l2_penalty(params)


def plot_decision_boundary(model: MLP, X: list[list[float]], y: list[int], path: Path, title: str) -> None:
    """The plane coloured by the sign of the model's score, with the data on top (PNG, written atomically)."""
    require("matplotlib", "nn", "plot_decision_boundary").use("Agg")
    plt = require("matplotlib.pyplot", "nn", "plot_decision_boundary")
    np = require("numpy", "nn", "plot_decision_boundary")

    xs, ys = [p[0] for p in X], [p[1] for p in X]
    gx, gy = np.meshgrid(np.linspace(min(xs) - 0.5, max(xs) + 0.5, 120), np.linspace(min(ys) - 0.5, max(ys) + 0.5, 120))
    model.eval()
    with no_grad():
        scores = [
            a.data if isinstance(a, Value) else a[0].data for a in model.batch(np.c_[gx.ravel(), gy.ravel()].tolist())
        ]
    model.train()
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(gx, gy, np.array(scores).reshape(gx.shape) > 0, levels=1, cmap="coolwarm", alpha=0.35)
    ax.scatter(xs, ys, c=y, cmap="coolwarm", edgecolors="k", s=30)
    ax.set(title=title, xlabel="x₁", ylabel="x₂")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    write_atomically(path, buffer.getvalue())


def draw_neuron(model: MLP, X: Sequence[Sequence[float]], out: Path) -> Path:
    """Graph of a = ReLU(z), z = w·x + b for neuron 0 of layer 0, after backward(), on the
    first point where the neuron is active (so the gradients are not all 0)."""
    from autograd_core.viz import GraphvizNotFoundError, draw_graph

    neuron = model.layers[0].neurons[0]
    with no_grad():
        x = next((x for x in X if neuron(x).data > 0), X[0])
    a = neuron([Value(xi, f"x{i}") for i, xi in enumerate(x)])  # x0, x1 pair with w0, w1
    model.zero_grad()  # fit leaves the last step's gradients in place, as PyTorch does
    a.backward()
    graph = draw_graph(a)
    try:
        return graph.save(out / "neuron_graph.svg")
    except GraphvizNotFoundError as e:
        print(f"note: {e}\n      writing the DOT source instead")
        return graph.save(out / "neuron_graph.dot")


def moons(out: Path, steps: int, progress: bool) -> float:
    X, y = make_moons(100, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], seed=1)
    print(f"Two moons: 100 points, {model} with {model.num_parameters()} parameters")
    print("Loss: hinge max(0, 1 − y·s) + 1e-4·Σp²; SGD(lr=0.1, momentum=0.9), full batch")
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, X, y, hinge_loss, optimizer, steps, penalty=l2_regularisation, progress=progress)
    acc = accuracy(model, X, y)
    print(f"after {history.steps} steps: loss {history.losses[-1]:.4f}, training accuracy {acc:.1%}")
    png = out / "moons_decision_boundary.png"
    plot_decision_boundary(model, X, y, png, f"MLP 2-16-16-1 after {history.steps} steps: accuracy {acc:.0%}")
    print(f"wrote {png}")
    print(f"wrote {draw_neuron(model, X, out)}  (one neuron: z = w·x + b, a = ReLU(z), after backward)")
    model.save(out / "moons_mlp.json")
    print(f"wrote {out / 'moons_mlp.json'}  (MLP.load to get it back)")
    return acc


def digits(out: Path, epochs: int, progress: bool) -> float:
    X_train, y_train, X_test, y_test = load_digits(test_fraction=0.2, seed=0)
    model = MLP(64, [32, 10], seed=0)
    print(f"Digits: {len(X_train)} training and {len(X_test)} test images of 8×8 pixels, {model}")
    print("Loss: softmax cross-entropy; SGD(lr=0.1, momentum=0.9), mini-batches of 32")
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, X_train, y_train, cross_entropy, optimizer, epochs, batch_size=32, progress=progress)
    acc = accuracy(model, X_test, y_test)
    seconds = sum(history.seconds) / len(history.seconds)
    print(f"after {epochs} epochs ({seconds:.2f} s/epoch): training loss {history.losses[-1]:.4f}")
    print(f"test accuracy {acc:.1%}")
    model.save(out / "digits_mlp.json")
    print(f"wrote {out / 'digits_mlp.json'}")
    return acc


def main(argv: Sequence[str] | None = None) -> float:
    parser = argparse.ArgumentParser(prog="python -m nn.demo", description="Train an MLP with nn.")
    parser.add_argument("task", nargs="?", choices=["moons", "digits"], default="moons")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    parser.add_argument("--epochs", type=int, help="training epochs (default: 100 for moons, 8 for digits)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    for package, extra in NEEDS[args.task] + ([] if args.no_progress else [("tqdm", "nn")]):
        require(package, extra, f"python -m nn.demo {args.task}")  # before training, not after
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"outputs go to {out}")
    if args.task == "digits":
        return digits(out, args.epochs or 8, not args.no_progress)
    return moons(out, args.epochs or 100, not args.no_progress)


if __name__ == "__main__":
    main()
