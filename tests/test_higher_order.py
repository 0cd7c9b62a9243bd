"""Derivatives of derivatives and forward mode: gradients(create_graph), grad(grad(f)), hessian, jvp,
gradcheck(order=2), and every op defined once (its local derivatives also as Values)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_core import (
    GradcheckError,
    Op,
    Value,
    draw_graph,
    enable_grad,
    grad,
    gradcheck,
    gradients,
    hessian,
    jvp,
    no_grad,
    topological_order,
    value_and_grad,
    vsum,
)
from autograd_core.engine import OP_EXAMPLES
from autograd_core.testing import build, input_values, programs

# ------------------------------------------------------------- every loss, every part
# The engine's ops are checked from their registry by tests/test_op_registry.py. nn's losses are
# not registered yet (nn would register them next to their definitions with
# ``autograd_core.engine.register(Example(...))``); until then they are listed here, and a loss
# that gets registered leaves this table by itself.
_LOSS_TABLE: dict[str, tuple[Callable[..., Value], tuple[float, ...]]] = {
    "mse_loss": (lambda a, b: nn.mse_loss([a, b], [1.0, 0.0]), (0.3, 0.8)),
    "quadratic_cost": (lambda a, b: nn.quadratic_cost([[a, b]], [[1.0, 0.0]]), (0.3, 0.8)),
    "binary_cross_entropy": (lambda a, b: nn.binary_cross_entropy([a, b], [1.0, 0.0]), (0.3, 0.8)),
    "binary_cross_entropy_with_logits": (
        lambda a, b: nn.binary_cross_entropy_with_logits([a, b], [1.0, 0.0]),
        (0.3, -0.8),
    ),
    "hinge_loss": (lambda a, b: nn.hinge_loss([a, b], [1.0, -1.0]), (0.3, -0.8)),
    "cross_entropy": (lambda a, b, c: nn.cross_entropy([a, b, c], 2), (0.3, -0.8, 1.0)),
    "softmax": (lambda a, b, c: nn.softmax([a, b, c])[1], (0.3, -0.8, 1.0)),
    "log_softmax": (lambda a, b, c: nn.log_softmax([a, b, c])[2], (0.3, -0.8, 1.0)),
    "l1_penalty": (lambda a, b: nn.l1_penalty([a, b]), (0.3, -0.8)),
    "l2_penalty": (lambda a, b: nn.l2_penalty([a, b]), (0.3, -0.8)),
}
_REGISTERED = {example.covers for example in OP_EXAMPLES.values()}
LOSSES = {name: case for name, case in _LOSS_TABLE.items() if getattr(nn, name) not in _REGISTERED}


def test_the_table_covers_every_loss_that_is_not_registered() -> None:
    losses = {n for n in nn.__all__ if n.endswith(("_loss", "_cost", "entropy", "softmax", "_penalty"))}
    losses |= {n for n in nn.__all__ if n.startswith("binary_cross_entropy")}
    missing = {n for n in losses if getattr(nn, n) not in _REGISTERED} - set(LOSSES)
    assert not missing, f"losses neither registered nor in the table: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_each_loss_has_a_name_float_derivatives_and_the_same_derivatives_as_values(name: str) -> None:
    f, point = LOSSES[name]
    xs = [Value(x) for x in point]
    out = f(*xs)
    assert out.op, f"{name}: no display name"
    assert len(out.local_grads) == len(out.parents) > 0
    # ∂out/∂parentᵢ through the op's Value rule (one node: exactly that rule times 1)
    as_values = gradients(out, list(dict.fromkeys(out.parents)), create_graph=True)
    by_parent: dict[int, float] = {}
    for p, d in zip(out.parents, out.local_grads):
        by_parent[id(p)] = by_parent.get(id(p), 0.0) + d
    for p, g in zip(dict.fromkeys(out.parents), as_values):
        assert g.data == pytest.approx(by_parent[id(p)], rel=1e-12, abs=1e-15), name


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_each_loss_is_twice_differentiable_against_central_differences(name: str) -> None:
    f, point = LOSSES[name]
    assert gradcheck(f, list(point), order=2, atol=1e-4, rtol=1e-4)


# ------------------------------------------------------------------- gradients
def test_grad_of_grad_to_any_order() -> None:
    assert grad(grad(lambda x: x**3))(2.0) == pytest.approx(12.0)
    assert grad(grad(grad(lambda x: x**3)))(2.0) == pytest.approx(6.0)
    assert grad(grad(grad(grad(lambda x: x**3))))(2.0) == 0.0
    # tanh″ = −2 tanh · (1 − tanh²)
    t = math.tanh(0.3)
    assert grad(grad(Value.tanh))(0.3) == pytest.approx(-2 * t * (1 - t * t))


def test_nested_grad_of_several_arguments() -> None:
    # f = x²y: ∂f/∂x = 2xy, ∂²f/∂x∂y = 2x
    dfdx = grad(lambda x, y: grad(lambda u, v: u * u * v)(x, y)[0])
    assert dfdx(3.0, 5.0) == pytest.approx((2 * 5.0, 2 * 3.0))


def test_value_and_grad_with_values_returns_values_with_a_graph() -> None:
    x = Value(2.0, "x")
    value, d = value_and_grad(lambda u: u**3)(x)
    assert isinstance(value, Value) and isinstance(d, Value)
    assert (value.data, d.data) == (8.0, 12.0)
    d.backward()
    assert x.grad == pytest.approx(12.0)  # d(3x²)/dx at 2


def test_gradients_never_change_any_grad() -> None:
    x, y = Value(2.0), Value(-1.0)
    x.grad, y.grad = 0.25, 0.5
    out = (x * y).exp() + x
    mid = out.parents[0]
    mid.grad = 3.0
    for create_graph in (False, True):
        gx, gy = gradients(out, [x, y], create_graph=create_graph)
        assert gx.data == pytest.approx(y.data * math.exp(-2.0) + 1)
        assert gy.data == pytest.approx(x.data * math.exp(-2.0))
        assert (x.grad, y.grad, mid.grad, out.grad) == (0.25, 0.5, 3.0, 0.0)


def test_gradients_of_an_unused_input_is_zero() -> None:
    x, y = Value(2.0), Value(3.0)
    assert [g.data for g in gradients(x * x, [x, y])] == [4.0, 0.0]
    assert [g.data for g in gradients(x * x, [x, y], create_graph=True)] == [4.0, 0.0]


def test_a_gradient_with_create_graph_can_be_drawn_and_backpropagated() -> None:
    w, x = Value(0.5, "w"), Value(5.0, "x")
    a = (w * x).sigmoid()
    (dadw,) = gradients(a, [w], create_graph=True)
    dadw.label = "∂a/∂w"
    assert "∂a/∂w" in draw_graph(dadw).source
    s = 1 / (1 + math.exp(-2.5))
    assert dadw.data == pytest.approx(s * (1 - s) * 5.0)
    dadw.backward()  # ∂²a/∂w² = σ″(wx)·x² with σ″ = σ(1 − σ)(1 − 2σ)
    assert w.grad == pytest.approx(s * (1 - s) * (1 - 2 * s) * 25.0)


def test_kinks_have_zero_second_derivative_like_pytorch() -> None:
    for f in (Value.relu, abs, Value.leaky_relu):
        assert grad(grad(f))(1.5) == 0.0
        assert grad(grad(f))(-1.5) == 0.0


def test_custom_op_with_value_local_grads_is_twice_differentiable() -> None:
    def cube(x: Value) -> Value:
        return Value(x.data**3, parents=(x,), local_grads=(3 * x**2,), op="cube")

    assert grad(grad(cube))(2.0) == pytest.approx(12.0)
    assert gradcheck(lambda x: cube(x).tanh(), [0.4], order=2)


def test_custom_op_with_float_local_grads_refuses_create_graph_and_says_how() -> None:
    def cube(x: Value) -> Value:
        return Value(x.data**3, parents=(x,), local_grads=(3 * x.data**2,), op="cube")

    assert grad(cube)(2.0) == 12.0  # first order works
    with pytest.raises(TypeError, match=r"op 'cube'.*local_grads as Values.*twice differentiable"):
        grad(grad(cube))(2.0)


def test_custom_op_with_an_op_whose_grads_are_values() -> None:
    def square(x: Value) -> Value:
        return Value(x.data**2, parents=(x,), local_grads=(2 * x.data,), op=Op("sq", lambda out: (2.0 * x,)))

    assert grad(grad(square))(3.0) == 2.0
    with pytest.raises(ValueError, match="not both"):
        Value(1.0, parents=(Value(1.0),), local_grads=(Value(2.0),), op=Op("sq", lambda out: (1.0,)))


def test_hessian_is_the_matrix_of_second_derivatives() -> None:
    # f = x²y + eʸ: H = [[2y, 2x], [2x, eʸ]]
    h = hessian(lambda x, y: x * x * y + y.exp())(1.0, 2.0)
    assert [list(row) for row in h] == [pytest.approx([4.0, 2.0]), pytest.approx([2.0, math.exp(2.0)])]
    assert all(type(v) is float for row in h for v in row)


def test_hessian_of_the_toy_logistic_loss_is_positive_definite() -> None:
    X, y = [0.1, 0.2, 0.3], [0.0, 0.0, 1.0]

    def J(w: Value, b: Value) -> Value:
        return vsum(nn.binary_cross_entropy_with_logits([w * x + b], [t]) for x, t in zip(X, y)) * (1 / 3)

    (hww, hwb), (hbw, hbb) = hessian(J)(0.7, 0.1)
    s = [1 / (1 + math.exp(-(0.7 * x + 0.1))) for x in X]
    assert hww == pytest.approx(sum(si * (1 - si) * x * x for si, x in zip(s, X)) / 3)
    assert hbb == pytest.approx(sum(si * (1 - si) for si in s) / 3)
    assert hwb == pytest.approx(hbw) and hww * hbb - hwb * hbw > 0


def test_jvp_is_one_directional_derivative_without_a_backward_pass() -> None:
    value, d = jvp(lambda x, y: x * y + x.exp(), [1.0, 3.0], [1.0, 0.0])
    assert value == pytest.approx(3.0 + math.e)
    assert d == pytest.approx(3.0 + math.e)  # ∂/∂x
    values, ds = jvp(lambda x: [x * x, x.tanh()], [0.5], [2.0])
    assert values == pytest.approx([0.25, math.tanh(0.5)])
    assert ds == pytest.approx([2 * 0.5 * 2.0, (1 - math.tanh(0.5) ** 2) * 2.0])


def test_jvp_leaves_every_grad_alone_and_checks_lengths() -> None:
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        jvp(lambda x, y: x * y, [1.0, 2.0], [1.0])


# -------------------------------------------------------- gradcheck(order=2)
def test_gradcheck_order_2_reports_a_wrong_second_derivative() -> None:
    def bad_cube(x: Value) -> Value:  # local derivative as a Value, but 2x² instead of 3x²
        return Value(x.data**3, parents=(x,), local_grads=(3 * x.data**2,), op=Op("cube", lambda out: (2 * x * x,)))

    with pytest.raises(GradcheckError) as info:
        gradcheck(bad_cube, [1.5], order=2)
    message = str(info.value)
    assert "order 2" in message and "∂²f/∂x0∂x0" in message
    assert "analytical ∂²f/∂x0∂x0 = 6.0" in message  # the wrong rule: d(2x²)/dx = 4x at 1.5
    numerical = float(message.split("numerical  ∂²f/∂x0∂x0 = ")[1].split()[0])
    assert numerical == pytest.approx(9.0, rel=1e-6)  # the true (x³)″ = 6x at 1.5


def test_gradcheck_rejects_other_orders() -> None:
    with pytest.raises(ValueError, match="order"):
        gradcheck(lambda x: x * x, [1.0], order=3)


# ------------------------------------------------------ property tests
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_second_derivatives_of_random_graphs_match_central_differences_of_the_gradient(data: st.DataObject) -> None:
    program = data.draw(programs(max_inputs=2, max_ops=5))
    xs = data.draw(input_values(program, bound=2.0))
    try:
        gradcheck(lambda *vs: build(program, vs), xs, order=2, atol=1e-4, rtol=1e-3)
    except GradcheckError:
        # A relu/abs operand close to its kink makes the finite difference of the gradient jump.
        from autograd_core.testing import kink_margin

        if kink_margin(program, xs) < 1e-2:
            return
        raise


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_hessians_of_random_graphs_are_symmetric(data: st.DataObject) -> None:
    program = data.draw(programs(max_inputs=3, max_ops=6))
    xs = data.draw(input_values(program, bound=2.0))
    h = hessian(lambda *vs: build(program, vs))(*xs)
    for i in range(len(xs)):
        for j in range(i):
            assert h[i][j] == pytest.approx(h[j][i], rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_jvp_agrees_with_backward(data: st.DataObject) -> None:
    program = data.draw(programs(max_inputs=3, max_ops=6))
    xs = data.draw(input_values(program))
    t = data.draw(st.lists(st.floats(-2, 2), min_size=len(xs), max_size=len(xs)))
    f = lambda *vs: build(program, vs)  # noqa: E731
    g = grad(f)(*xs)
    gs = g if isinstance(g, tuple) else (g,)
    _, d = jvp(f, xs, t)
    assert d == pytest.approx(sum(gi * ti for gi, ti in zip(gs, t)), rel=1e-9, abs=1e-9)


def test_grad_works_under_no_grad_so_gradcheck_can_check_a_derivative() -> None:
    f = lambda x: x**3  # noqa: E731
    with no_grad():
        d = grad(f)(Value(2.0))
    assert isinstance(d, Value) and d.data == 12.0
    assert gradcheck(grad(f), [2.0])  # gradcheck evaluates grad(f) under no_grad
    with no_grad(), enable_grad():
        assert not (Value(1.0) * Value(2.0)).is_leaf


def test_the_gradient_graph_has_no_nodes_for_factors_of_one() -> None:
    x = Value(2.0)
    (g,) = gradients(x * x + x, [x], create_graph=True)
    assert g.data == 5.0
    assert not any(v.op in ("*1", "1*") for v in topological_order(g))
    assert len(topological_order(g)) == 3  # x, then 1 + x (the edge of + x, then x·x's first), then + x


def test_jvp_of_many_outputs_walks_the_graph_once() -> None:
    def growth(r: Value) -> list[Value]:
        p, out = Value(0.1), []
        for _ in range(2000):
            p = p + 0.001 * r * p * (1 - p)
            out.append(p)
        return out

    _, ds = jvp(growth, [2.0], [1.0])
    eps = 1e-6
    (lo, _), (hi, _) = jvp(growth, [2.0 - eps], [1.0]), jvp(growth, [2.0 + eps], [1.0])
    assert len(ds) == 2000 and ds[-1] > 0.1
    assert ds[-1] == pytest.approx((hi[-1] - lo[-1]) / (2 * eps), rel=1e-5)
