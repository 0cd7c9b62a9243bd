"""backward(): reuse of nodes, accumulation across calls, zero_grad, leftover grads
of intermediate nodes, a 1,000,000-node chain, and no_grad across threads and tasks."""

from __future__ import annotations

import asyncio
import math
import threading

import pytest

from autograd_core import Value, is_grad_enabled, no_grad, topological_order, vsum


# ------------------------------------------------------------------ reuse
def test_a_plus_a_counts_both_edges() -> None:
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_a_times_a_is_two_a() -> None:
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_reused_intermediate_node() -> None:
    a = Value(3.0)
    b = a + a
    c = b + b  # c = 4a
    c.backward()
    assert (c.data, b.grad, a.grad) == (12.0, 2.0, 4.0)


def test_node_used_by_many_ops() -> None:
    x = Value(0.5)
    y = vsum([x * 3, x.tanh(), x.exp(), -x, x**2])
    y.backward()
    assert x.grad == pytest.approx(3 + (1 - math.tanh(0.5) ** 2) + math.exp(0.5) - 1 + 2 * 0.5, rel=1e-15)


def test_diamond_each_node_processed_once() -> None:
    """x → (u, v) → w: δ reaches x along both paths, and through w only once."""
    x = Value(2.0)
    u, v = x * 3, x.log()
    w = u * v
    w.backward()
    assert (u.grad, v.grad) == (v.data, u.data)
    assert x.grad == pytest.approx(3 * math.log(2.0) + 6.0 / 2.0, rel=1e-15)


def test_logistic_regression_derivatives_from_the_notes() -> None:
    """x = (5, 3), w = (0.5, 0.5), b = 1, y = 1; L = −ln a with a = σ(z).

    The notes print a = 0.99307 and dw₁ = 5 · −0.00695 = −0.03475; by hand
    σ(5) = 0.993307 and dz = a − y = −0.006693, so dw₁ = −0.033464 (a slip in the notes).
    """
    w1, w2, b = Value(0.5, "w1"), Value(0.5, "w2"), Value(1.0, "b")
    z = w1 * 5 + w2 * 3 + b
    a = z.sigmoid()
    loss = -a.log()
    loss.backward()
    assert z.data == 5.0
    assert a.data == pytest.approx(0.993307, abs=5e-7)
    assert z.grad == pytest.approx(-0.006693, abs=5e-7)
    assert (w1.grad, w2.grad, b.grad) == pytest.approx((5 * z.grad, 3 * z.grad, z.grad), rel=1e-15)
    assert w1.grad == pytest.approx(-0.033464, abs=5e-7)


# ---------------------------------------------------------- accumulation
def chain() -> tuple[Value, Value, Value]:
    """x = 3, y = x² (9), z = 2y (18)."""
    x = Value(3.0, "x")
    y = x * x
    return x, y, y * 2


def test_backward_twice_adds_the_same_increments_to_every_node() -> None:
    x, y, z = chain()
    z.backward()
    assert (z.grad, y.grad, x.grad) == (1.0, 2.0, 12.0)
    z.backward()
    assert (z.grad, y.grad, x.grad) == (2.0, 4.0, 24.0)


def test_leftover_grad_of_an_intermediate_node_is_not_propagated_again() -> None:
    x, y, z = chain()
    z.backward()  # y.grad = 2, x.grad = 12
    y.backward()  # only this call's δ = 1 flows from y: x.grad += 6
    assert (z.grad, y.grad, x.grad) == (1.0, 3.0, 18.0)


def test_backward_gradient_scales_and_accumulates() -> None:
    x, y, z = chain()
    z.backward(0.5)
    z.backward(-2.0)
    assert (z.grad, y.grad, x.grad) == (-1.5, -3.0, -18.0)


def test_backward_on_a_leaf_adds_the_gradient() -> None:
    x = Value(1.0)
    x.backward()
    x.backward(2.0)
    assert x.grad == 3.0


def test_zero_grad_resets_the_node_and_its_ancestors_only() -> None:
    x, y, z = chain()
    other = Value(1.0)
    other.grad = 5.0
    z.backward()
    y.zero_grad()
    assert (z.grad, y.grad, x.grad, other.grad) == (1.0, 0.0, 0.0, 5.0)
    z.zero_grad()
    assert z.grad == 0.0
    z.backward()  # after zero_grad, one call gives the plain gradients again
    assert (z.grad, y.grad, x.grad) == (1.0, 2.0, 12.0)


def test_zero_local_derivative_blocks_nothing_else() -> None:
    """relu′ = 0 on one path; the gradient still arrives along the other path."""
    x = Value(-1.0)
    out = x.relu() + x * 3
    out.backward()
    assert x.grad == 3.0


def test_topological_order_puts_parents_first() -> None:
    x, y, z = chain()
    order = topological_order(z)
    assert order == [x, y, z]
    assert topological_order(x) == [x]


# ----------------------------------------------------------- deep graphs
def test_one_million_node_chain() -> None:
    """v ← v·(1 + 10⁻⁶), 10⁶ times: ∂v/∂x = (1 + 10⁻⁶)^(10⁶) ≈ e. No recursion anywhere."""
    n, r = 1_000_000, 1.000001
    x = Value(1.0, "x")
    v = x
    for _ in range(n):
        v = v * r
    v.backward()
    assert x.grad == pytest.approx(r**n, rel=1e-9)
    assert x.grad == pytest.approx(math.e, rel=1e-6)
    v.zero_grad()
    assert x.grad == 0.0
    assert len(topological_order(v)) == n + 1
    del v  # freeing the chain must not overflow the C stack either


# ---------------------------------------------------------------- no_grad
def test_no_grad_records_no_parents_and_restores_the_mode() -> None:
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3 + 1
        custom = Value(1.0, parents=(x,), local_grads=(1.0,), op="f")
        with no_grad():
            pass
        assert not is_grad_enabled()  # still off after a nested block
    assert is_grad_enabled()
    for v in (y, custom):
        assert (v.is_leaf, v.parents, v.local_grads) == (True, (), ())
    assert y.data == 7.0
    with pytest.raises(RuntimeError, match=r"computed inside no_grad\(\).*outside the no_grad\(\) block"):
        y.backward()  # no graph: no gradient would reach x, so say so instead of leaving 0.0
    assert x.grad == 0.0


def test_no_grad_is_restored_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0
    assert is_grad_enabled()


def test_no_grad_in_one_thread_does_not_affect_another() -> None:
    inside, built = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def worker() -> None:
        with no_grad():
            inside.set()
            built.wait(5)
            seen["worker"] = (Value(1.0) * 2).is_leaf

    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(5)
    seen["main"] = (Value(1.0) * 2).is_leaf  # while the worker is inside no_grad
    built.set()
    t.join(5)
    assert seen == {"main": False, "worker": True}


def test_a_thread_started_inside_no_grad_records_graphs() -> None:
    seen = []
    with no_grad():
        t = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        t.start()
        t.join(5)
    assert seen == [True]


def test_no_grad_in_one_asyncio_task_does_not_affect_another() -> None:
    async def main() -> tuple[bool, bool]:
        inside, built = asyncio.Event(), asyncio.Event()

        async def evaluating() -> bool:
            with no_grad():
                inside.set()
                await built.wait()
                return (Value(1.0) * 2).is_leaf

        async def training() -> bool:
            await inside.wait()
            leaf = (Value(1.0) * 2).is_leaf  # while the other task is inside no_grad
            built.set()
            return leaf

        return tuple(await asyncio.gather(evaluating(), training()))  # type: ignore[return-value]

    assert asyncio.run(main()) == (True, False)
