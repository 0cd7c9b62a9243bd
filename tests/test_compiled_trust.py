"""compile_batch traces once and is sound: a read of a data-dependent number refuses, odd input gets a clear error."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_core import GraphDependsOnDataError, Value, compile_batch, no_grad, vsum
from autograd_core.testing import build, input_values, programs


def scalar_mean_and_grads(f, params, data):  # type: ignore[no-untyped-def]
    for p in params:
        p.grad = 0.0
    total = vsum([f(*[Value(float(x)) for x in row]) for row in data]) * (1.0 / len(data))
    total.backward()
    return total.data, np.array([p.grad for p in params])


def line_of(marker: str) -> int:
    """The line of this file holding ``marker`` (a comment), so a test can check an error names it."""
    with open(__file__, encoding="utf-8") as source:
        return next(i for i, text in enumerate(source, start=1) if text.rstrip().endswith(marker))


# ------------------------------------------------------------ issue 18 item 6
def test_a_branch_on_an_untraced_row_is_refused_naming_the_line() -> None:
    """The issue's example: the first, middle and last rows take one branch, row 1 the other."""
    w = Value(2.0)
    f = lambda x: w * x if x.data < 10 else w * x * x  # noqa: E731  # the branch
    rows = [[1.0], [50.0], [2.0], [3.0], [4.0]]
    with pytest.raises(GraphDependsOnDataError, match=rf"test_compiled_trust\.py:{line_of('# the branch')}\b"):
        compile_batch(f, [w], rows)


def test_f_is_traced_once() -> None:
    w = Value(2.0)
    calls = []

    def f(x: Value) -> Value:
        calls.append(x)
        return w * x

    compile_batch(f, [w], [[1.0], [2.0], [3.0]])
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("read", "how"),
    [
        (lambda x: float(x), r"float\(x\)"),
        (lambda x: int(x), r"int\(x\)"),
        (lambda x: round(x, 2), r"round\(x\)"),
        (lambda x: format(x, ".3f"), r"format\(x\)"),
        (lambda x: bool(x), r"bool\(x\)"),
        (lambda x: x < 1, "x < …"),
        (lambda x: x >= 1, "x >= …"),
        (lambda x: 1 < x, "x > …"),  # noqa: SIM300 - reflected
        (lambda x: Value(3.0) <= x, "x <= …"),  # the Value on the right is read too
        (lambda x: max(x, Value(0.0)), "x (<|>) …"),
        (lambda x: math.exp(x), r"float\(x\)"),
    ],
)
def test_every_kind_of_read_of_a_data_dependent_number_is_refused(read, how) -> None:  # type: ignore[no-untyped-def]
    w = Value(0.5)

    def f(x: Value) -> Value:
        read(x * w + 1)
        return x * w

    with pytest.raises(GraphDependsOnDataError, match=f"from the data \\({how}\\)"):
        compile_batch(f, [w], [[1.0], [2.0]])


def test_a_read_of_a_parameter_is_refused_and_of_an_unrelated_constant_is_not() -> None:
    w, c = Value(0.5), Value(2.0)
    with pytest.raises(GraphDependsOnDataError, match=r"from the parameters .*other parameter values"):
        compile_batch(lambda x: x * w if w.data > 0 else x, [w], [[1.0]])
    f = lambda x: x * w * (c if c.data > 1 else 1.0)  # noqa: E731 - c is not trained, not the data
    data = [[1.0], [3.0]]
    assert compile_batch(f, [w], data)(data)[0] == pytest.approx(scalar_mean_and_grads(f, [w], data)[0])


def test_a_caught_refusal_still_refuses() -> None:
    w = Value(0.5)

    def f(x: Value) -> Value:
        try:
            scale = 2.0 if x.data > 0 else 1.0
        except Exception:  # a careless try around the branch
            scale = 1.0
        return x * w * scale

    with pytest.raises(GraphDependsOnDataError):
        compile_batch(f, [w], [[1.0], [-1.0]])


def test_fixed_graph_declares_the_reads_harmless() -> None:
    w = Value(0.5)
    printed = []

    def f(x: Value) -> Value:
        y = x * w
        printed.append(f"{y:.2f}")  # a read for printing only: the graph is the same for every row
        return y

    data = [[1.0], [2.0], [4.0]]
    with pytest.raises(GraphDependsOnDataError, match="fixed_graph=True"):
        compile_batch(f, [w], data)
    mean, grads = compile_batch(f, [w], data, fixed_graph=True)(data)
    assert (mean, grads.tolist()) == (pytest.approx(7 / 6), pytest.approx([7 / 3]))
    with pytest.raises(TypeError, match=r"fixed_graph\) must be True or False"):
        compile_batch(f, [w], data, fixed_graph="yes")  # type: ignore[arg-type]


def test_library_code_reading_numbers_is_not_a_user_read() -> None:
    from nn import MLP, binary_cross_entropy

    model = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
    data = [[0.5, -1.0], [1.0, 2.0]]
    compiled = compile_batch(lambda a, b: model([a, b]), model.parameters(), data)  # nn reads .data inside
    assert compiled.forward(data).shape == (2, 1)
    with pytest.raises(TypeError, match="no vectorised rule"):  # a loss node is the engine's business, not a read
        compile_batch(lambda a, b: binary_cross_entropy(model([a, b]), 1.0), model.parameters(), data)


def test_a_value_computed_under_no_grad_inside_f_is_refused() -> None:
    w = Value(0.5)

    def f(x: Value) -> Value:
        with no_grad():
            c = x * 2  # depends on the data, but records no graph
        return x * w + c

    with pytest.raises(GraphDependsOnDataError, match="under no_grad"):
        compile_batch(f, [w], [[1.0]])
    with no_grad():  # compiling inside no_grad still records the graph
        compiled = compile_batch(lambda x: x * w, [w], [[1.0]])
    assert compiled([[2.0]])[1].tolist() == [2.0]


def test_a_constant_nan_is_not_a_false_refusal() -> None:
    w = Value(0.5)
    f = lambda x: x * w + Value(math.nan) * 0.0  # noqa: E731
    compiled = compile_batch(f, [w], [[1.0], [2.0], [3.0]])
    assert math.isnan(compiled([[1.0], [2.0]])[0])


# ------------------------------------------------------------ issue 19
def test_a_function_ignoring_a_data_column_compiles() -> None:
    w = Value(0.5)
    f = lambda x0, x1, x2: (x1 * w).tanh()  # noqa: E731 - x0 and x2 are not used
    data = np.random.default_rng(0).normal(size=(6, 3))
    mean, grads = compile_batch(f, [w], data)(data)
    expected_mean, expected = scalar_mean_and_grads(f, [w], data)
    assert mean == pytest.approx(expected_mean, rel=1e-12) and grads == pytest.approx(expected, rel=1e-12)


def test_empty_batches_and_backward_before_forward() -> None:
    w = Value(0.5)
    compiled = compile_batch(lambda x: x * w, [w], [[1.0]])
    with pytest.raises(RuntimeError, match=r"call forward\(data\) before backward"):
        compiled.backward([1.0])
    assert compiled.forward(np.zeros((0, 1))).shape == (0, 1)
    with pytest.raises(ValueError, match="data has no rows"):
        compiled(np.zeros((0, 1)))
    with pytest.raises(ValueError, match=r"compile_batch\(examples\): give at least one example"):
        compile_batch(lambda x: x * w, [w], [])
    compiled.forward([[1.0], [2.0]])
    with pytest.raises(ValueError, match=r"backward\(d_outputs\) needs one number per example and output \(2 × 1\)"):
        compiled.backward([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (np.array([[1 + 2j]]), "complex numbers"),
        (np.array([["1.0"]]), "strings"),
        (np.array([[True]]), "booleans"),
        ([[1.0], ["a"]], "strings"),
        (np.array([[Value(1.0)]], dtype=object), "Python objects"),
    ],
)
def test_arrays_that_would_convert_silently_are_refused(data, what) -> None:  # type: ignore[no-untyped-def]
    w = Value(0.5)
    compiled = compile_batch(lambda x: x * w, [w], [[1.0]])
    with pytest.raises(TypeError, match=rf"compiled f\(data\) must hold real numbers.*{what}"):
        compiled(data)


@pytest.mark.parametrize("row", [[1 + 2j], [True], ["1.0"], [np.bool_(True)]])
def test_examples_that_would_convert_silently_are_refused(row) -> None:  # type: ignore[no-untyped-def]
    w = Value(0.5)
    with pytest.raises(TypeError, match=r"compile_batch\(examples\) row 0 item 0 must be a real number"):
        compile_batch(lambda x: x * w, [w], [row])


@pytest.mark.parametrize(
    ("f", "error", "message"),
    [
        (lambda x, w: (x * w).log(), ValueError, "log"),
        (lambda x, w: (x * w).sqrt(), ValueError, "sqrt"),
        (lambda x, w: (x * w * -1000).exp(), OverflowError, "exp"),
        (lambda x, w: 1 / (x * w + 1), ZeroDivisionError, "/"),
    ],
)
def test_domain_errors_raise_like_the_scalar_engine_naming_the_example(f, error, message) -> None:  # type: ignore[no-untyped-def]
    w = Value(1.0)
    rows = [[1.0], [2.0], [-1.0], [3.0]]  # example 2 is outside the domain
    with pytest.raises(error) as scalar:
        f(Value(-1.0), w)
    compiled = compile_batch(lambda x: f(x, w), [w], rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no NumPy RuntimeWarning
        with pytest.raises(error, match=rf"compiled f, example 2: .*{message}") as ours:
            compiled(rows)
    assert str(scalar.value) in str(ours.value)
    assert w.data == 1.0  # the replay put the parameter back


# ------------------------------------------------------------ random programs
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_random_programs_compile_to_the_scalar_engines_numbers(data) -> None:  # type: ignore[no-untyped-def]
    program = data.draw(programs(max_inputs=3, max_ops=8))
    rows = data.draw(st.lists(input_values(program), min_size=1, max_size=4))
    w = Value(1.0)  # scales the first input: a parameter in the graph, numbers unchanged (kinks stay away)

    def f(*xs: Value) -> Value:
        return build(program, [xs[0] * w, *xs[1:]])  # type: ignore[return-value]

    mean, grads = compile_batch(f, [w], rows)(rows)
    expected_mean, expected = scalar_mean_and_grads(f, [w], rows)
    assert mean == pytest.approx(expected_mean, rel=1e-9, abs=1e-12)
    assert grads == pytest.approx(expected, rel=1e-8, abs=1e-10)


def test_outputs_that_are_leaves_parameters_constants_or_inputs() -> None:
    w, c = Value(2.0), Value(3.0)
    compiled = compile_batch(lambda x: [w, c, x, x * w], [w], [[1.0]])
    assert compiled.forward([[1.0], [2.0]]).tolist() == [[2.0, 3.0, 1.0, 2.0], [2.0, 3.0, 2.0, 4.0]]
    assert compiled.backward(np.ones((2, 4))).tolist() == [2.0 + 3.0]  # ∂/∂w of w (twice) and of x·w


def test_nary_ops_vsum_and_vmax_run_on_arrays_as_on_floats() -> None:
    from autograd_core import vmax

    w = Value(0.7)
    f = lambda a, b: vmax([a * w, b, 0.25]) + vmax([b * w, a]) + vsum([a, b * w, 1.5])  # noqa: E731
    data = np.random.default_rng(4).uniform(-1, 1, size=(12, 2))
    mean, grads = compile_batch(f, [w], data)(data)
    expected_mean, expected = scalar_mean_and_grads(f, [w], data)
    assert mean == pytest.approx(expected_mean, rel=1e-12) and grads == pytest.approx(expected, rel=1e-12)
