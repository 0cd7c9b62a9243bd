"""nn modules: names and labels, construction, forward values and gradients, modes, dropout."""

from __future__ import annotations

import math
import random

import pytest

from autograd_core import Value, no_grad, numerical_grad
from nn import ACTIVATIONS, MLP, Dropout, Layer, Module, Neuron, Sequential


def test_named_parameters_give_dotted_names_and_labels() -> None:
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
    ]
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == len(set(names)) == model.num_parameters() == 3 * 3 + 4
    assert all(p.label == name for name, p in model.named_parameters())
    assert model.parameters() == [p for _, p in model.named_parameters()]


def test_a_neuron_is_relabelled_when_placed_in_a_sequential() -> None:
    neuron = Neuron(2, rng=random.Random(0))
    assert [p.label for p in neuron.parameters()] == ["w.0", "w.1", "b"]
    Sequential(Layer(2, 2, rng=random.Random(0)), neuron)
    assert [p.label for p in neuron.parameters()] == ["layers.1.w.0", "layers.1.w.1", "layers.1.b"]


def test_same_seed_same_model_and_the_global_random_state_is_untouched() -> None:
    state = random.getstate()
    a, b, c = MLP(3, [4, 2], seed=7), MLP(3, [4, 2], seed=7), MLP(3, [4, 2], seed=8)
    assert random.getstate() == state
    assert a.state_dict() == b.state_dict() != c.state_dict()


@pytest.mark.parametrize(
    ("init", "activation", "bound"),
    [("uniform", "relu", 1.0), ("xavier", "tanh", math.sqrt(6 / (20 + 10))), ("he", "relu", math.sqrt(6 / 20))],
)
def test_init_schemes_draw_within_their_bounds_and_biases_start_at_zero(
    init: str, activation: str, bound: float
) -> None:
    layer = Layer(20, 10, activation, init=init, rng=random.Random(1))
    weights = [w.data for n in layer.neurons for w in n.w]
    assert max(abs(w) for w in weights) <= bound
    assert max(abs(w) for w in weights) > 0.9 * bound  # 200 draws come close to the bound
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_default_init_is_he_for_relu_and_xavier_for_tanh() -> None:
    relu = Layer(50, 50, "relu", rng=random.Random(0))
    tanh = Layer(50, 50, "tanh", rng=random.Random(0))
    assert max(abs(w.data) for n in relu.neurons for w in n.w) > math.sqrt(6 / 100)  # beyond Xavier's bound
    assert max(abs(w.data) for n in tanh.neurons for w in n.w) <= math.sqrt(6 / 100)


def test_unknown_names_list_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown activation 'swish'.*'relu'.*'softplus'"):
        MLP(2, [2], activation="swish")
    with pytest.raises(ValueError, match=r"unknown init 'zeros'.*'uniform', 'xavier', 'he'"):
        Neuron(2, init="zeros")


def test_neuron_computes_activation_of_w_dot_x_plus_b() -> None:
    for name, f in [("sigmoid", lambda z: 1 / (1 + math.exp(-z))), ("tanh", math.tanh), ("linear", lambda z: z)]:
        n = Neuron(2, name, rng=random.Random(0))
        n.w[0].data, n.w[1].data, n.b.data = 0.5, -0.25, 1.0
        assert n([5.0, 3.0]).data == pytest.approx(f(0.5 * 5 - 0.25 * 3 + 1))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_mlp_output_matches_a_plain_float_forward(activation: str) -> None:
    model = MLP(3, [4, 2], activation=activation, output_activation="tanh", seed=3)
    fns = {
        "linear": lambda z: z,
        "relu": lambda z: max(z, 0.0),
        "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
        "tanh": math.tanh,
        "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
        "softplus": lambda z: math.log1p(math.exp(z)),
    }
    x = [0.3, -1.2, 2.0]
    a = x
    for layer in model.layers:
        f = fns[layer.activation]
        a = [f(sum(w.data * ai for w, ai in zip(n.w, a)) + n.b.data) for n in layer.neurons]
    assert [v.data for v in model(x)] == pytest.approx(a)


@pytest.mark.parametrize("inputs", [[0.3, -1.2, 2.0], [1, 0, 2]])  # floats: fast path; ints: through dot()
def test_mlp_gradients_match_central_differences(inputs: list[float]) -> None:
    model = MLP(3, [4, 3, 1], activation="tanh", seed=5)
    params = model.parameters()
    out = model(inputs)
    out.backward()

    def f(*values: Value) -> Value:
        for p, v in zip(params, values):
            p.data = v.data
        return model(inputs)

    start = [p.data for p in params]
    analytical = [p.grad for p in params]
    numerical = numerical_grad(f, start)
    assert analytical == pytest.approx(numerical, rel=1e-5, abs=1e-7)
    assert any(abs(g) > 1e-3 for g in analytical)


def test_gradients_flow_into_value_inputs() -> None:
    model = MLP(2, [3, 1], activation="sigmoid", seed=2)
    x = [Value(0.4), Value(-0.7)]
    model(x).backward()

    def f(x0: Value, x1: Value) -> Value:
        return model([x0.data, x1.data])

    assert [xi.grad for xi in x] == pytest.approx(numerical_grad(f, [0.4, -0.7]), rel=1e-5)


def test_layer_returns_a_list_and_mlp_a_value_for_one_output() -> None:
    assert isinstance(Layer(2, 1, rng=random.Random(0))([1.0, 2.0]), list)
    assert isinstance(MLP(2, [16, 1, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_wrong_input_length_names_both_lengths() -> None:
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        MLP(2, [4, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expected 2 inputs, got 1"):
        Layer(2, 4)([1.0])


@pytest.mark.parametrize("n", [4, 2])  # 2: as many examples as inputs, where the lengths alone agree
def test_a_whole_batch_passed_as_one_example_is_called_a_batch(n: int) -> None:
    X = [[0.0, 1.0]] * n
    for model in (MLP(2, [4, 1], seed=0), Layer(2, 3), Neuron(2)):
        with pytest.raises(
            ValueError, match=rf"got a list of {n} lists: that looks like a batch; use model.batch\(X\)"
        ):
            model(X)
        assert len(model.batch(X)) == n  # what the message suggests works


def test_bad_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        MLP(2, [])
    with pytest.raises(ValueError, match="positive int, got 0"):
        MLP(2, [3, 0])


def test_batch_equals_one_call_per_input_and_no_grad_builds_no_graph() -> None:
    model = MLP(2, [5, 5, 2], seed=4)
    X = [[0.1, 0.2], [-1.0, 3.0], [2.5, -0.5]]
    assert [[v.data for v in a] for a in model.batch(X)] == [[v.data for v in model(x)] for x in X]
    with no_grad():
        out = model(X[1])
    assert [v.data for v in out] == [v.data for v in model(X[1])]
    assert all(v.is_leaf for v in out)


def test_zero_grad_train_eval_and_repr() -> None:
    model = MLP(2, [3, 1], seed=0, dropout=0.5)
    model([1.0, 1.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert model.eval() is model and not model.training and not model.layers[0].training
    assert not model.dropout.training
    model.train()
    assert model.dropout.training
    assert repr(model) == ("MLP(nin=2, nouts=[3, 1], activation='relu', output_activation='linear', dropout=0.5)")
    assert "(1): Dropout(p=0.2)" in repr(Sequential(Layer(2, 2), Dropout(0.2)))


def test_dropout_is_inverted_in_training_and_the_identity_in_eval() -> None:
    drop = Dropout(0.25, rng=random.Random(0))
    x = [Value(2.0) for _ in range(4000)]
    out = drop(x)
    kept = [v.data for v in out if v.data]
    assert set(kept) == {2.0 / 0.75}
    assert 1 - len(kept) / len(x) == pytest.approx(0.25, abs=0.03)
    assert sum(v.data for v in out) / len(x) == pytest.approx(2.0, rel=0.05)  # E[output] = input
    drop.eval()
    assert drop(x) == x
    with pytest.raises(ValueError, match=r"Dropout\(p\) must be in \[0, 1\), got 1"):
        Dropout(1)


def test_mlp_dropout_changes_training_outputs_only() -> None:
    model = MLP(2, [64, 1], seed=0, dropout=0.5)
    x = [0.5, -0.5]
    train_outputs = {model(x).data for _ in range(5)}
    model.eval()
    assert len(train_outputs) > 1
    assert len({model(x).data for _ in range(3)}) == 1


def test_state_dict_round_trip_and_a_mismatch_changes_nothing() -> None:
    a, b = MLP(2, [3, 1], seed=1), MLP(2, [3, 1], seed=2)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    c = MLP(2, [4, 1], seed=3)
    before = c.state_dict()
    with pytest.raises(ValueError, match=r"missing layers\.0\.neurons\.3\.w\.0"):
        c.load_state_dict(a.state_dict())
    bad = {**c.state_dict(), "layers.0.neurons.0.b": float("nan")}
    with pytest.raises(ValueError, match=r"layers\.0\.neurons\.0\.b.*finite.*nan"):
        c.load_state_dict(bad)
    assert c.state_dict() == before


def test_sequential_chains_and_rejects_non_modules() -> None:
    model = Sequential(Layer(2, 3, "tanh", rng=random.Random(0)), Layer(3, 1, "sigmoid", rng=random.Random(1)))
    x = [0.2, 0.9]
    assert model(x)[0].data == model.layers[1](model.layers[0](x))[0].data
    assert isinstance(model, Module) and model.num_parameters() == 9 + 4
    with pytest.raises(TypeError, match=r"Sequential\(\*modules\): argument 1 must be a Module"):
        Sequential(Layer(2, 2), lambda x: x)  # type: ignore[arg-type]


def test_a_state_dict_mismatch_lists_only_what_is_wrong() -> None:
    small, big = MLP(2, [3, 1], seed=0), MLP(2, [4, 1], seed=0)
    with pytest.raises(
        ValueError, match=r"\(17 parameters\): missing layers\.0\.neurons\.3\.w\.0, .*layers\.1\.neurons\.0\.w\.3$"
    ):
        big.load_state_dict(small.state_dict())
    with pytest.raises(ValueError, match=r"\(13 parameters\): unexpected layers\.0\.neurons\.3\.w\.0, .*w\.3$") as e:
        small.load_state_dict(big.state_dict())
    assert "none" not in str(e.value) and "missing" not in str(e.value)


def test_modules_lists_the_module_and_everything_inside_it() -> None:
    from nn import MLP, Dropout, Layer, Neuron

    model = MLP(2, [3, 1], seed=0, dropout=0.5)
    kinds = [type(m) for m in model.modules()]
    assert kinds[0] is MLP and kinds.count(Layer) == 2 and kinds.count(Neuron) == 4 and kinds.count(Dropout) == 1


def test_linear_still_names_a_bad_weight_or_bias_and_accepts_value_subclasses() -> None:
    """linear checks its parameters with one set of classes per call (the per-example fast path);
    anything but Values still gets the named error, and a subclass of Value still counts."""
    from autograd_core import linear

    class MyValue(Value):
        pass

    with pytest.raises(TypeError, match=r"linear bias must be a Value, got float: 0.5"):
        linear([[Value(1.0)]], [0.5])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"linear weight must be a Value, got NoneType"):
        linear([[Value(1.0), None]], [Value(0.0)])  # type: ignore[list-item]
    (z,) = linear([[MyValue(2.0), Value(3.0)]], [MyValue(1.0)])([1.0, 1.0])
    assert z.data == 6.0
