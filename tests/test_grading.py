"""check_value_class: micrograd's Value passes; each typical student mistake fails with a message that names it."""

from __future__ import annotations

import math
import re

import pytest
from micrograd.engine import Value as MicrogradValue

from autograd_core.grading import kinds_using
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
