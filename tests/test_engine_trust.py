"""No public path prints or returns a silently wrong number (issue 18: items 1–5, 8, 9, the backward
part of 10; issue 19: numerical_grad(eps=True), a reused no_grad()).

Each test here failed on the main branch it was written against."""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable, Iterator
from itertools import pairwise

import pytest

from autograd_core import (
    NonDifferentiablePointError,
    Value,
    backward_steps,
    dot,
    grad,
    gradcheck,
    gradients,
    hessian,
    jvp,
    no_grad,
    numerical_grad,
    value_and_grad,
    vsum,
)
from autograd_core.testing import Program, input_values, programs


# --------------------------------------------------- 1. node parts decoded in one place
def test_stepping_names_the_derivative_of_a_weight_whose_partner_is_data() -> None:
    # ∂z/∂w1 = x1 = 5.0, a constant: the old decoder guessed dot's layout and printed w2 (whose value is 5.0)
    w1, w2 = Value(3.0, "w1"), Value(5.0, "w2")
    z = dot([w1, w2], [5.0, 3.0])
    z.label = "z"
    (step,) = backward_steps(z)
    first, second = step.updates
    assert first.formula == "w1.grad += ∂z/∂w1 · z.grad = 5.0 × 1.0 = 5.0"
    assert second.formula == "w2.grad += ∂z/∂w2 · z.grad = 3.0 × 1.0 = 3.0"


def test_stepping_names_the_partner_of_each_pair_in_dot() -> None:
    w1, w2, x1, x2, b = (Value(v, n) for v, n in [(0.5, "w1"), (-0.5, "w2"), (5.0, "x1"), (3.0, "x2"), (1.0, "b")])
    z = dot([w1, w2], [x1, 3.0], b)
    z.label = "z"
    (step,) = backward_steps(z)
    assert [u.formula.split(" · ")[0] for u in step.updates] == [
        "w1.grad += x1",
        "x1.grad += w1",
        "w2.grad += ∂z/∂w2",
        "b.grad += ∂z/∂b",
    ]
    assert x2.grad == 0.0


def test_parts_of_a_dot_node_say_which_parents_multiply_which() -> None:
    w1, w2, x1, b = Value(0.5), Value(-0.5), Value(5.0), Value(1.0)
    z = dot([w1, w2], [x1, 3.0], b)
    parts = z.parts()
    assert parts.op is not None and parts.op.name == "dot"
    assert parts.parents == (w1, x1, w2, b)
    assert parts.local_grads == (5.0, 0.5, 3.0, 1.0)
    assert parts.pairs == 1 and parts.constant is None
    assert [parts.partner(i) for i in range(4)] == [x1, w1, None, None]
    y = w1 * 2.0
    assert y.parts().constant == 2.0 and y.parts().partner(0) is None
    s = w1 * w2
    assert s.parts().partner(0) is w2 and s.parts().partner(1) is w1
    assert Value(1.0).parts() == (None, (), (), None, 0)


# ------------------------------------------------------------ 2, 3. gradients()
def test_gradients_of_an_input_the_output_does_not_use_is_zero_not_a_stale_grad() -> None:
    a, b = Value(1.0), Value(2.0)
    out = [a * 2.0, b * 3.0]
    (out[0] + out[1]).backward()
    assert (a.grad, b.grad) == (2.0, 3.0)
    assert [g.data for g in gradients(out[0], [a, b])] == [2.0, 0.0]
    assert [g.data for g in gradients(out[0], [a, b], create_graph=True)] == [2.0, 0.0]
    assert (a.grad, b.grad) == (2.0, 3.0)  # untouched


def test_gradients_never_reads_or_writes_grad() -> None:
    x = Value(3.0)
    y = x * x
    z = y * 2.0
    x.grad, y.grad, z.grad = 100.0, 200.0, 300.0  # left over from somewhere
    assert [g.data for g in gradients(z, [x, y, z])] == [12.0, 2.0, 1.0]
    assert (x.grad, y.grad, z.grad) == (100.0, 200.0, 300.0)


def test_gradients_with_create_graph_returns_a_new_value_not_the_callers() -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    (g,) = gradients(a * b, [a], create_graph=True)
    assert g is not b and g.data == 3.0
    g.data = 100.0
    assert b.data == 3.0
    assert gradients(g, [b])[0].data == 1.0  # still differentiable: ∂(∂(ab)/∂a)/∂b = 1


def test_gradients_through_a_custom_op_does_not_return_its_stored_expression() -> None:
    x = Value(2.0)
    slope = 3 * x**2
    y = Value(x.data**3, parents=(x,), local_grads=(slope,), op="cube")
    (g,) = gradients(y, [x], create_graph=True)
    assert g is not slope and g.data == 12.0


def test_grad_hessian_jvp_and_gradcheck_leave_the_grads_of_values_f_closes_over_alone() -> None:
    w = Value(3.0, "w")
    w.grad = 0.5

    def f(x: Value) -> Value:
        return w * x * x

    assert grad(f)(2.0) == 12.0
    assert value_and_grad(f)(2.0) == (12.0, 12.0)
    assert hessian(f)(2.0) == ((6.0,),)
    assert jvp(f, [2.0], [1.0]) == (12.0, 12.0)
    assert gradcheck(f, [2.0]) and gradcheck(f, [2.0], order=2)
    assert w.grad == 0.5


# ----------------------------------------------------------------- 4. one no_grad rule
def test_gradients_of_a_value_computed_under_no_grad_raises_like_backward() -> None:
    x = Value(2.0)
    with no_grad():
        y = x * x
    with pytest.raises(RuntimeError, match=r"no_grad"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradients\(output\).*no_grad"):
        gradients(y, [x])
    with pytest.raises(RuntimeError, match=r"gradients\(output\).*no_grad"):
        gradients(y, [x], create_graph=True)


def test_gradients_with_create_graph_inside_no_grad_still_records_the_backward_graph() -> None:
    x = Value(2.0)
    y = x**3
    with no_grad():
        (dy,) = gradients(y, [x], create_graph=True)
        (d2y,) = gradients(dy, [x])
    assert (dy.data, d2y.data) == (12.0, 12.0)


def under_no_grad(x: Value) -> Value:
    with no_grad():
        return x * x


@pytest.mark.parametrize(
    "call",
    [
        lambda: grad(under_no_grad)(1.0),
        lambda: grad(under_no_grad)(Value(1.0)),
        lambda: value_and_grad(under_no_grad)(1.0),
        lambda: hessian(under_no_grad)(1.0),
        lambda: jvp(under_no_grad, [1.0], [1.0]),
        lambda: jvp(lambda x: [x * 2.0, under_no_grad(x)], [1.0], [1.0]),
        lambda: gradcheck(under_no_grad, [1.0]),
        lambda: gradcheck(under_no_grad, [1.0], order=2),
    ],
    ids=["grad", "grad of Values", "value_and_grad", "hessian", "jvp", "jvp of a list", "gradcheck", "gradcheck 2"],
)
def test_derivatives_of_f_that_computes_under_no_grad_raise_never_zero(call: Callable[[], object]) -> None:
    with pytest.raises(RuntimeError, match=r"no_grad\(\)"):
        call()


def test_every_derivative_function_gives_the_right_number_when_called_inside_no_grad() -> None:
    with no_grad():
        assert grad(lambda x: x**3)(2.0) == 12.0
        assert grad(grad(lambda x: x**3))(2.0) == 12.0
        assert hessian(lambda x: x**3)(2.0) == ((12.0,),)
        assert jvp(lambda x: x**3, [2.0], [1.0]) == (8.0, 12.0)
        assert gradcheck(lambda x: x**3, [2.0])
        assert gradcheck(lambda x: x**3, [2.0], order=2)


def test_one_no_grad_object_works_in_two_with_blocks_and_nested() -> None:
    quiet = no_grad()
    x = Value(1.0)
    with quiet:
        assert (x * 2.0).is_leaf
    assert not (x * 2.0).is_leaf
    with quiet:
        with quiet:
            assert (x * 2.0).is_leaf
        assert (x * 2.0).is_leaf
    assert not (x * 2.0).is_leaf


# --------------------------------------------------------------------- 5. threads
@pytest.fixture
def switch_often() -> Iterator[None]:
    """Let threads switch every microsecond, so that unsafe interleavings happen within a test."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def run_together(*jobs: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                job()
            except BaseException as e:  # reported below, in the test's thread
                errors.append(e)

        return run

    threads = [threading.Thread(target=guarded(job)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_gradients_in_one_thread_never_disturbs_backward_in_another_on_shared_leaves(switch_often: None) -> None:
    ws = [Value(0.1 * i) for i in range(20)]
    xs = [float(i % 3 + 1) for i in range(20)]
    rounds = 300

    def train() -> None:
        for _ in range(rounds):
            dot(ws, xs).backward()  # each w.grad += x

    def inspect() -> None:
        for _ in range(rounds):
            gs = gradients(vsum(w * w for w in ws), ws)
            assert [g.data for g in gs] == [2 * w.data for w in ws]

    run_together(train, inspect)
    assert [w.grad for w in ws] == [rounds * x for x in xs]


def test_gradients_of_one_graph_from_two_threads_at_once(switch_often: None) -> None:
    ws = [Value(0.1 * i + 0.1) for i in range(10)]
    h = [(w * w).tanh() for w in ws]
    out = vsum(a * b for a, b in pairwise(h))
    expected = [g.data for g in gradients(out, ws)]

    def job() -> None:
        for _ in range(200):
            assert [g.data for g in gradients(out, ws)] == expected

    run_together(job, job)


def test_backward_in_threads_on_separate_graphs_that_share_no_values(switch_often: None) -> None:
    def job() -> None:
        ws = [Value(0.5) for _ in range(10)]
        for _ in range(200):
            (dot(ws, [1.0] * 10) * 2.0).backward()
        assert [w.grad for w in ws] == [400.0] * 10

    run_together(job, job)


# ------------------------------------------------------------ 8. tiny divisors
@pytest.mark.parametrize(
    "f, value, derivatives",
    [
        (lambda: Value(1e-200) / Value(1e-200), 1.0, (1e200, -1e200)),
        (lambda: 1e-200 / Value(1e-200), 1.0, (-1e200,)),
    ],
)
def test_derivatives_of_tiny_divisors_do_not_underflow(
    f: Callable[[], Value], value: float, derivatives: tuple[float, ...]
) -> None:
    out = f()
    assert out.data == pytest.approx(value)
    assert out.local_grads == pytest.approx(derivatives)


@pytest.mark.parametrize(
    "f, op",
    [
        (lambda: 1 / Value(1e-200), "/"),
        (lambda: Value(1.0) / Value(1e-200), "/"),
        (lambda: Value(1e-170) ** -1, r"\*\*"),
        (lambda: Value(1e-300) ** Value(-0.5), r"\*\*"),
        (lambda: Value(5e-324).log(), "log"),
        (lambda: hessian(lambda x: x.log())(1e-200), "/"),
        (lambda: grad(lambda x: 1 / x)(1e-200), "/"),
        (lambda: grad(lambda x: 1 / x)(Value(1e-200)), "/"),
    ],
)
def test_a_derivative_that_overflows_raises_overflow_error_naming_the_derivative(
    f: Callable[[], object], op: str
) -> None:
    with pytest.raises(OverflowError, match=rf"op '{op}': the derivative .* overflows a float"):
        f()


def test_sqrt_at_zero_has_the_same_infinite_derivative_for_floats_and_values() -> None:
    assert grad(lambda x: x.sqrt())(0.0) == math.inf
    slope = grad(lambda x: x.sqrt())(Value(0.0))
    assert isinstance(slope, Value) and slope.data == math.inf
    assert grad(grad(lambda x: x.sqrt()))(0.0) == -math.inf  # −1/(4 x^{3/2}) → −inf
    assert grad(lambda x: x**0.5)(0.0) == grad(lambda x: x**0.5)(Value(0.0)).data == math.inf  # type: ignore[union-attr]


# ------------------------------------------------------------ 9. kinks at order 2
def test_gradcheck_order_2_reports_a_kink_of_the_derivative() -> None:
    with pytest.raises(NonDifferentiablePointError, match="kink"):
        gradcheck(lambda x: x.relu() * x, [0.0], order=2)
    with pytest.raises(NonDifferentiablePointError, match="kink"):
        gradcheck(lambda x: x.relu(), [0.0], order=2)  # a kink of f itself
    assert gradcheck(lambda x: x.relu() * x, [0.5], order=2)


# --------------------------------------------------- 10. zero gradient meets inf or nan
@pytest.mark.parametrize(
    "make",
    [
        lambda x: x.sqrt() * 0.0,  # ∂/∂√x = 0 meets ∂√x/∂x = inf at 0
        lambda x: x.sqrt().relu() * -1.0 + x.sqrt() * 0.0,  # relu′(0) = 0 upstream of inf
    ],
)
def test_a_zero_gradient_flows_as_zero_through_an_infinite_local_derivative(make: Callable[[Value], Value]) -> None:
    x = Value(0.0)
    out = make(x)
    out.backward()
    assert x.grad == 0.0  # not 0 · inf = nan: a node whose gradient is exactly 0 passes nothing on
    assert gradients(out, [x])[0].data == 0.0


def test_with_create_graph_a_zero_valued_factor_stays_because_its_own_derivative_counts() -> None:
    x, y = Value(0.0), Value(0.0)
    out = x.sqrt() * y  # ∂out/∂x = y/(2√x): 0 · inf at (0, 0)
    assert gradients(out, [x])[0].data == 0.0  # first order: a strong zero
    (g,) = gradients(out, [x], create_graph=True)
    assert math.isnan(g.data)
    assert gradients(g, [y])[0].data == math.inf  # ∂/∂y of y/(2√x) at x = 0: dropping y would give 0


def test_a_nan_local_derivative_behind_a_zero_gradient_passes_nothing() -> None:
    x = Value(1.0)
    odd = Value(2.0, parents=(x,), local_grads=(math.nan,), op="odd")
    out = odd * 0.0 + x
    out.backward()
    assert x.grad == 1.0
    assert gradients(out, [x])[0].data == 1.0
    y = odd * 1.0  # a non-zero gradient meets nan: nan reaches x, honestly
    assert math.isnan(gradients(y, [x])[0].data)


# ---------------------------------------------------------- issue 19: bools as numbers
@pytest.mark.parametrize(
    "call, arg",
    [
        (lambda: numerical_grad(lambda x: x * x, [1.0], eps=True), "eps"),
        (lambda: gradcheck(lambda x: x * x, [1.0], eps=True), "eps"),
        (lambda: gradcheck(lambda x: x * x, [1.0], atol=True), "atol"),
        (lambda: gradcheck(lambda x: x * x, [True]), "inputs"),
        (lambda: gradcheck(lambda x: x * x, [1.0], order=True), "order"),
        (lambda: jvp(lambda x: x * x, [1.0], [True]), "tangents"),
        (lambda: programs(max_ops=True), "max_ops"),
        (lambda: input_values(Program(1, ()), bound=True), "bound"),
    ],
)
def test_a_bool_is_not_a_number(call: Callable[[], object], arg: str) -> None:
    with pytest.raises(TypeError, match=rf"\({arg}\)"):
        call()
