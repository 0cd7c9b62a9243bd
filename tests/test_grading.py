"""check_value_class: micrograd's Value passes; each typical student mistake fails with a message that names it."""

from __future__ import annotations

import gc
import math
import re
import sys
import time
from functools import partial

import pytest
from micrograd.engine import Value as MicrogradValue

from autograd_core import Value
from autograd_core.grading import (
    ExerciseCheckError,
    ExerciseNotDoneError,
    answer,
    check_hand_grads,
    check_training_steps,
    kinds_using,
)
from autograd_core.testing import OPS, ValueClassCheckError, ValueClassReport, check_value_class


class Good:
    """A correct micrograd-style Value with tanh, exp, log, sigmoid and an iterative topological sort."""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)

    def _wrap(self, other):
        return other if isinstance(other, Good) else type(self)(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, n):
        out = type(self)(self.data**n, (self,))

        def _backward():
            self.grad += n * self.data ** (n - 1) * out.grad

        out._backward = _backward
        return out

    def _unary(self, data, local):
        out = type(self)(data, (self,))

        def _backward():
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1 - t * t)

    def exp(self):
        e = math.exp(self.data)
        return self._unary(e, e)

    def log(self):
        return self._unary(math.log(self.data), 1 / self.data)

    def sigmoid(self):
        s = 1 / (1 + math.exp(-self.data))
        return self._unary(s, s * (1 - s))

    def relu(self):
        return self._unary(max(self.data, 0.0), float(self.data > 0))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1

    def topological_order(self):
        """Iterative depth-first search: parents before children, any depth."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            v, expanded = stack.pop()
            if expanded:
                order.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((p, False) for p in v._prev)
        return order

    def backward(self):
        self.grad = 1.0
        for v in reversed(self.topological_order()):
            v._backward()


def test_micrograd_value_passes_with_its_missing_ops_reported_and_a_recursion_warning():
    report = check_value_class(MicrogradValue)
    assert report.with_status("not implemented") == ["exp", "log", "tanh", "sigmoid"]
    assert "relu" in report.with_status("passed") and "diamonds" in report.with_status("passed")
    assert report.status("random graphs") == "passed"
    assert report.status("deep chain") == "warning"
    assert "recursion limit" in report.warnings[0]


def test_a_correct_class_passes_every_check_without_warnings():
    report = check_value_class(Good)
    assert report.with_status("passed") == ["basics", *OPS, "fan-out", "diamonds", "random graphs", "deep chain"]
    assert report.warnings == []
    # the random programs use the unary ops too, since they passed
    assert {"tanh", "sigmoid", "log", "exp", "relu", "mul", "dot"} <= {k.name for k in kinds_using(OPS)}


class WrongMul(Good):
    def __mul__(self, other):
        other = self._wrap(other)
        out = Good(self.data * other.data, (self, other))

        def _backward():
            self.grad += self.data * out.grad  # should be other.data
            other.grad += other.data * out.grad

        out._backward = _backward
        return out


def test_a_wrong_mul_derivative_names_the_op_inputs_numbers_and_hint():
    with pytest.raises(ValueClassCheckError) as e:
        check_value_class(WrongMul)
    message = str(e.value)
    assert message.startswith("mul: a * b at a = 1.5, b = -2")
    assert "∂out/∂a: expected -2 (central difference), got a.grad = 1.5" in message
    assert "hint: ∂(a·b)/∂a should be b.data" in message
    assert isinstance(e.value, AssertionError)


class AssignsGrad(Good):
    def __add__(self, other):
        other = self._wrap(other)
        out = Good(self.data + other.data, (self, other))

        def _backward():
            self.grad = out.grad  # = where += is needed
            other.grad = out.grad

        out._backward = _backward
        return out


def test_assigning_instead_of_adding_shows_on_the_same_operand():
    with pytest.raises(
        ValueClassCheckError, match=r"(?s)^add: a \+ a at a = 1.5\n.*expected 2 .*got a.grad = 1.0.*never `=`"
    ):
        check_value_class(AssignsGrad)


class NoTopologicalSort(Good):
    """backward() recurses into the parents right away: a shared node passes its grad on before it is complete."""

    def backward(self):
        self.grad = 1.0
        self._propagate()

    def _propagate(self):
        self._backward()
        for p in self._prev:
            p._propagate()


class BreadthFirst(Good):
    """backward() in breadth-first order from the output: right on trees, wrong on diamonds."""

    def backward(self):
        self.grad = 1.0
        queue, seen = [self], {id(self)}
        while queue:
            v = queue.pop(0)
            v._backward()
            for p in v._prev:
                if id(p) not in seen:
                    seen.add(id(p))
                    queue.append(p)


@pytest.mark.parametrize("cls", [NoTopologicalSort, BreadthFirst])
def test_a_wrong_backward_order_passes_the_ops_and_fails_on_the_diamonds(cls):
    with pytest.raises(ValueClassCheckError) as e:
        check_value_class(cls)
    message = str(e.value)
    assert message.startswith("diamonds: c = a * b; d = c + a; p = a + b; q = p * b; c * d + q * p at a = 1.5, b = -2")
    assert "reverse topological order" in message


class NoTanh(Good):
    tanh = None


class StubTanh(Good):
    def tanh(self):
        out = Good(math.tanh(self.data), (self,))

        def _backward():
            raise NotImplementedError()

        out._backward = _backward
        return out


@pytest.mark.parametrize(("cls", "detail"), [(NoTanh, "NoTanh has no tanh"), (StubTanh, "raised NotImplementedError")])
def test_a_missing_op_is_not_implemented_unless_asked_for(cls, detail):
    report = check_value_class(cls)
    assert report.status("tanh") == "not implemented"
    assert detail in next(r.detail for r in report.results if r.check == "tanh")
    assert "tanh" not in {k.name for k in kinds_using(report.with_status("passed"))}
    with pytest.raises(ValueClassCheckError, match=r"^tanh: not implemented \(.*" + re.escape(detail)):
        check_value_class(cls, ops=["add", "tanh"])


class ForgetsReturn(Good):
    def exp(self):
        self._unary(math.exp(self.data), math.exp(self.data))


class WrongTanhValue(Good):
    def tanh(self):
        t = math.sinh(self.data)
        return self._unary(t, 1 - t * t)


class AddNeedsValues(Good):
    def _wrap(self, other):
        return other  # a + 2 then fails: 2 has no .data


def test_other_mistakes_are_named():
    with pytest.raises(ValueClassCheckError, match=r"^exp: a.exp\(\) at a = 1.5 returned None, not a ForgetsReturn"):
        check_value_class(ForgetsReturn)
    with pytest.raises(ValueClassCheckError, match=r"^tanh: a.tanh\(\) at a = 1.5: the forward value is wrong"):
        check_value_class(WrongTanhValue, ops=["tanh"])
    report = check_value_class(AddNeedsValues, ops=["add", "mul", "div"])
    assert report.with_status("passed")[:4] == ["basics", "add", "mul", "div"]
    with pytest.raises(
        ValueClassCheckError, match=r"^add_number: not implemented \(a \+ 2 at a = 1.5 raised AttributeError"
    ):
        check_value_class(AddNeedsValues, ops=["add_number"])


class AssignsInRelu(Good):
    """relu's _backward writes = : right for a.relu() alone, wrong when a also feeds another node."""

    def relu(self):
        out = Good(max(self.data, 0.0), (self,))

        def _backward():
            self.grad = float(self.data > 0) * out.grad

        out._backward = _backward
        return out


def test_random_graphs_catch_what_single_ops_and_the_diamonds_miss():
    report = check_value_class(AssignsInRelu, ops=["add", "mul", "tanh"])  # without relu: nothing wrong
    assert report.status("random graphs") == "passed"
    with pytest.raises(
        ValueClassCheckError, match=r"(?s)^random graphs: the program\ndef f\(.*relu.*expected .*autograd_core"
    ):
        check_value_class(AssignsInRelu, ops=["add", "mul", "relu"])


def test_the_report_prints_as_a_table():
    report = check_value_class(MicrogradValue, ops=["add", "mul", "relu"])
    assert isinstance(report, ValueClassReport)
    text = repr(report)
    assert text.splitlines()[0] == "check_value_class(Value): 7 passed, 1 warning"
    assert re.search(r"^  mul +passed +a \* b, a \* a: forward and ∂ at \d+ points each$", text, re.M)
    page = report._repr_html_()
    assert page.count("<tr>") == 1 + len(report.results)
    assert "<code>deep chain</code>" in page and "warning" in page


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match=r"unknown op\(s\) \['cube'\] in ops"):
        check_value_class(Good, ops=["add", "cube"])
    with pytest.raises(TypeError, match=r"ops must be a list of op names .* got the str 'add'"):
        check_value_class(Good, ops="add")
    with pytest.raises(TypeError, match=r"cls must be a class .* got Good"):
        check_value_class(Good(1.0))


# ------------------------------------------------------------------ hostile classes
class LoopsInBackward(Good):
    def backward(self):
        while True: pass  # noqa: E701  # fmt: skip


class LoopsInAdd(Good):
    def __add__(self, other):
        n = 0
        while n >= 0:
            n += 1


class LoopsAndSwallows(Good):
    """An endless loop whose ``except Exception`` would swallow a time-out that were an Exception."""

    def backward(self):
        while True:
            try:  # noqa: SIM105 (a student writes it so)
                super().backward()
            except Exception:
                pass


class RecursiveRsub(Good):
    def __rsub__(self, other):
        return other - self  # calls __rsub__ again


class RaisingConstructor(Good):
    def __init__(self, data, _children=()):
        raise RuntimeError("forgot to finish __init__")


class RaisingData(Good):
    @property
    def data(self):
        raise RuntimeError("no data today")

    @data.setter
    def data(self, x):
        self._data = x


class PrintsAndFails(Good):
    def __mul__(self, other):
        print("multiplying " * 10_000)
        return 0.0


class HugeOutput(Good):
    def tanh(self):
        return type(self)([0] * 10**6)


class LoopingRepr:
    data = property(lambda self: self)

    def __repr__(self):
        while True:
            pass


class ReturnsLoopingRepr(Good):
    def exp(self):
        return LoopingRepr()


HOSTILE = [
    (
        LoopsInBackward,
        None,
        r"^backward: timed out in LoopsInBackward\(2.0\).backward\(\).*\n  at backward, line \d+: ",
    ),
    (
        LoopsInAdd,
        ["add"],
        r"^add: timed out in a \+ b at a = 1.5, b = -2: .*\n  at __add__, line \d+: (while n >= 0:|n \+= 1)",
    ),
    (LoopsAndSwallows, None, r"^backward: timed out in LoopsAndSwallows\(2.0\).backward\(\)"),
    (
        RecursiveRsub,
        ["sub_number"],
        r"(?s)^sub_number: 2 - a at a = 1.5 raised RecursionError: .*at __rsub__, line \d+: return other - self"
        r".*more than 1000 nested calls.*write `other \+ \(-self\)`",
    ),
    (RaisingConstructor, None, r"^basics: RaisingConstructor\(2.0\) raised RuntimeError: forgot to finish __init__"),
    (RaisingData, None, r"^basics: RaisingData\(2.0\): reading .data raised RuntimeError: no data today\n  at data"),
    (
        PrintsAndFails,
        ["mul"],
        r"(?s)^mul: a \* b at a = 1.5, b = -2 returned 0.0, not a PrintsAndFails.*"
        r"the class printed \(the first 1,000 of 120,001 characters\):\n    multiplying multiplying",
    ),
    (
        HugeOutput,
        ["tanh"],
        r"^tanh: a.tanh\(\) at a = 1.5: .data is \[0, 0, .{190,200}… \(3,000,000 characters\), not a number$",
    ),
    (
        ReturnsLoopingRepr,
        ["exp"],
        r"^exp: a.exp\(\) at a = 1.5: .data is <LoopingRepr object: its repr\(\) failed>, not a number$",
    ),
]


@pytest.mark.parametrize(("cls", "ops", "message"), HOSTILE, ids=[c.__name__ for c, _, _ in HOSTILE])
def test_a_hostile_class_fails_a_check_within_its_time_limit(cls, ops, message):
    time_limit = 1.0
    start = time.monotonic()
    with pytest.raises(ValueClassCheckError) as e:
        check_value_class(cls, ops=ops, time_limit=time_limit)
    elapsed = time.monotonic() - start
    assert re.search(message, str(e.value)), str(e.value)
    assert len(str(e.value)) < 2500
    assert e.value.report.results[-1].status == "failed" and e.value.report.results[-1].check == e.value.check
    # a time-out comes at the limit (1.0 s measured), the others sooner; the slack is for a loaded machine
    assert elapsed < time_limit + 5, elapsed


@pytest.fixture
def recursion_limit_raised():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(10**6)
    yield
    sys.setrecursionlimit(old)


def test_a_raised_recursion_limit_neither_deepens_the_chain_nor_lets_a_recursion_run_away(recursion_limit_raised):
    report = check_value_class(MicrogradValue, ops=["add"])
    assert "chain of 2000 additions" in report.warnings[0]
    with pytest.raises(ValueClassCheckError, match=r"^sub_number: 2 - a at a = 1.5 raised RecursionError"):
        check_value_class(RecursiveRsub, ops=["sub_number"])
    assert sys.getrecursionlimit() == 10**6


class _Garbage:
    """Cyclic garbage whose finalizer makes nested calls: the collector may run it anywhere."""

    def __init__(self):
        self.me = self

    def __del__(self):
        def nested(n):
            return n if n == 0 else nested(n - 1)

        nested(50)


class CollectsAtTheCap(Good):
    """A runaway ``__rsub__`` during which the collector runs, once, right at the recursion cap."""

    collected = False

    def __rsub__(self, other):
        try:
            return other - self
        except RecursionError:
            if not CollectsAtTheCap.collected:
                CollectsAtTheCap.collected = True
                _Garbage()
                gc.collect()  # finalizes it 1 frame under the cap, where its nested calls cannot fit
            raise


def test_a_finalizer_run_at_the_recursion_cap_is_not_reported_as_an_error():
    """The collector may finalize anyone's garbage while a runaway recursion of the student's sits at
    the cap; the RecursionError that finalizer then hits is the cap's doing, and must not surface as
    "Exception ignored in …" (it failed this file's run on one process before)."""
    reported = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = reported.append
    try:
        with pytest.raises(ValueClassCheckError, match="raised RecursionError"):
            check_value_class(CollectsAtTheCap, ops=["sub_number"])
    finally:
        sys.unraisablehook = old_hook
    assert CollectsAtTheCap.collected
    assert reported == []


def test_the_time_limit_is_checked():
    with pytest.raises(TypeError, match=r"check_value_class: time_limit must be a number of seconds, got str: '5'"):
        check_value_class(Good, time_limit="5")
    with pytest.raises(ValueError, match=r"check_value_class: time_limit must be a positive number .* got -1"):
        check_value_class(Good, time_limit=-1)


def test_the_checks_leave_tracing_recursion_limit_and_printing_as_they_were():
    before = (sys.gettrace(), sys.getrecursionlimit(), sys.stdout, sys.stderr)
    check_value_class(Good, ops=["add"])
    with pytest.raises(ValueClassCheckError):
        check_value_class(LoopsInBackward, time_limit=0.2)
    assert (sys.gettrace(), sys.getrecursionlimit(), sys.stdout, sys.stderr) == before


# ------------------------------------------------------------- why a grad is wrong
class NotReversed(Good):
    def backward(self):
        self.grad = 1.0
        for v in self.topological_order():  # reversed(...) forgotten
            v._backward()


class ForgetsAttachingMul(Good):
    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        return out  # out._backward = _backward forgotten


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (NotReversed, r"(?s)^sub: a - b at .*hint: backward\(\) ran the nodes in topological order.*reversed\(order\)"),
        (NoTopologicalSort, r"(?s)^diamonds: .*hint: the `_backward` of the node with data = -3 ran twice"),
        (
            BreadthFirst,
            r"(?s)^diamonds: .*hint: the `_backward` of the node with data = -?[\d.]+ ran before that of the node with "
            r"data = -?[\d.]+, which uses it.*reverse topological order",
        ),
        (
            ForgetsAttachingMul,
            r"(?s)^mul: a \* b at a = 1.5, b = -2\n  ∂out/∂a: expected -2 \(central difference\), got a.grad = 0.0\n"
            r"  hint: the node with data = -3 still has the do-nothing `_backward` of a leaf.*"
            r"forget `out._backward = _backward`",
        ),
    ],
)
def test_a_wrong_grad_is_explained_by_the_recorded_backward_pass(cls, message):
    with pytest.raises(ValueClassCheckError) as e:
        check_value_class(cls)
    assert re.search(message, str(e.value)), str(e.value)


def test_the_failed_check_ends_the_report_of_the_error():
    with pytest.raises(ValueClassCheckError) as e:
        check_value_class(WrongMul, ops=["add", "mul"])
    report = e.value.report
    assert [(r.check, r.status) for r in report.results] == [("basics", "passed"), ("add", "passed"), ("mul", "failed")]
    assert report.summary() == "check_value_class(WrongMul): 2 passed, 1 failed"
    assert "#cf222e" in report._repr_html_()


# ------------------------------------------------------------- the exercise helpers
def test_answer_times_out_names_the_stub_and_passes_other_errors_on():
    def endless():
        while True: pass  # noqa: E701  # fmt: skip

    def stub():
        raise NotImplementedError()

    with pytest.raises(
        ExerciseCheckError, match=r"^timed out in .*endless\(\): the time limit of 0.3 s .*\n  at endless"
    ):
        answer(endless, time_limit=0.3)
    with pytest.raises(ExerciseNotDoneError, match=r"stub is not written yet"):
        answer(stub)
    with pytest.raises(ZeroDivisionError):
        answer(lambda x: 1 / x, 0)
    assert answer(lambda x, *, y: x + y, 1, y=2) == 3
    with pytest.raises(ValueError, match=r"answer: time_limit must be a positive number"):
        answer(stub, time_limit=0)


def test_a_wrong_hand_grad_of_a_node_used_twice_names_the_missing_share():
    x = Value(3.0, "x")
    u = x * 2.0
    u.label = "u"
    y = u * x  # x feeds u and y
    y.label = "y"
    with pytest.raises(ExerciseCheckError) as e:
        check_hand_grads({"x": 6.0}, {"x": x}, y)  # u · 1 = 6 is the direct share only
    assert str(e.value) == (
        "∂y/∂x: you have 6.0, backward() gets 12.0\n"
        "  x feeds u, y: ∂y/∂x = ∂y/∂u · ∂u/∂x + ∂y/∂y · ∂y/∂x = 3 × 2 + 1 × 6 = 12\n"
        "  hint: that is one share only: x feeds 2 nodes, and the shares add up (+=)"
    )
    with pytest.raises(ExerciseCheckError, match=r"^expected a dict of grads by node name"):
        check_hand_grads([12.0], {"x": x}, y)
    with pytest.raises(ExerciseCheckError, match=r"^no answer for ∂y/∂x: add the key 'x'"):
        check_hand_grads({}, {"x": x}, y)


class Line:
    """a = tanh(w·x + b) on autograd_core.Value: enough model for a training step."""

    def __init__(self):
        self.w, self.b = Value(0.3), Value(-0.1)

    def __call__(self, x):
        return (self.w * x[0] + self.b).tanh()

    def parameters(self):
        return [self.w, self.b]


def _train(model, X, y, steps, eta, *, reset=True, scale=1.0, record_after=False, reset_late=False):
    costs = []
    for _ in range(steps):
        C = sum((model(x) - t) ** 2 for x, t in zip(X, y)) * (scale / len(X))
        if reset:
            model.w.grad = model.b.grad = 0.0
        C.backward()
        if reset_late:  # between backward() and the update
            model.w.grad = model.b.grad = 0.0
        for p in model.parameters():
            p.data -= eta * p.grad
        costs.append((sum((model(x) - t) ** 2 for x, t in zip(X, y)) * (1 / len(X))).data if record_after else C.data)
    return costs


@pytest.mark.parametrize(
    ("train", "message"),
    [
        (_train, None),
        (partial(_train, reset=False), r"^the grads were not reset: step 1 matches the reference update, but step 2"),
        (partial(_train, scale=4), r"^after one step of train: each step is n = 4 times too large: .* not the sum$"),
        (partial(_train, scale=2), r"^after one step of train: each parameter moved 2 times the step"),
        (partial(_train, record_after=True), r"^the cost of step 1 is .* \(that is the cost after the update"),
        (partial(_train, reset_late=True), r"^after one step of train: the parameters did not move: after C.backward"),
    ],
)
def test_a_training_step_is_compared_with_a_reference_update(train, message):
    model, X, y = Line(), [[1.0], [-2.0], [0.5], [3.0]], [1.0, -1.0, 1.0, 1.0]
    if message is None:
        check_training_steps(train, model, X, y, eta=0.5)
    else:
        with pytest.raises(ExerciseCheckError, match=message):
            check_training_steps(train, model, X, y, eta=0.5)
    assert (model.w.data, model.b.data, model.w.grad) == (0.3, -0.1, 0.0)  # put back
