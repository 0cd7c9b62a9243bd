"""Number reads: the watch API, and the warning when f turns a Value into a plain number while differentiating."""

from __future__ import annotations

import math
import threading
import warnings

import pytest

from autograd_core import Value, engine, grad, gradcheck, hessian, jvp, value_and_grad
from autograd_core.gradcheck import GradcheckError
from autograd_core.reads import DerivativeLostWarning, Read, watch_reads


def line_of(marker: str) -> int:
    with open(__file__, encoding="utf-8") as source:
        return next(i for i, text in enumerate(source, start=1) if text.rstrip().endswith(marker))


# ------------------------------------------------------------------ the watch
def test_a_watch_reports_each_read_of_a_dependent_value_with_its_kind_and_line() -> None:
    x, w, c = Value(1.0), Value(2.0), Value(3.0)
    seen: list[Read] = []
    with watch_reads([x], seen.append):
        y = x * w
        _ = (y.data, float(c), y < 3, 2 < y, bool(y), f"{y:.2f}", round(y), int(y), f"{y}", float(w))  # noqa: SIM300  # reads
    assert [r.kind for r in seen] == ["data", "<", ">", "bool", "format", "round", "int"]  # not c, w or repr
    assert all(r.value is y and r.where.endswith(f"test_reads.py:{line_of('# reads')}") for r in seen)
    assert engine._read_hook is None  # off again: a read costs one test of a global


def test_library_reads_are_not_reported() -> None:
    from nn import mse_loss

    x = Value(0.5)
    seen: list[Read] = []
    with watch_reads([x], seen.append):
        loss = mse_loss(x * 2, 1.0)  # nn.losses reads .data to compute its node
        (x * 3).relu()
    assert seen == [] and loss.data == 0.0


def test_watches_are_local_to_the_thread_and_nest() -> None:
    x = Value(1.0)
    outer: list[Read] = []
    inner: list[Read] = []
    other: list[Read] = []
    with watch_reads([x], outer.append):
        thread = threading.Thread(target=lambda: other.append(x.data))
        thread.start()
        thread.join()
        with watch_reads([x], inner.append, kinds={"float"}):
            _ = x.data, float(x)
    assert [r.kind for r in outer] == ["data", "float"] and [r.kind for r in inner] == ["float"]
    assert other == [1.0]  # read in another thread: not reported here
    with pytest.raises(ValueError, match="unknown kinds"), watch_reads([x], outer.append, kinds={"len"}):
        pass


def test_a_read_deep_in_a_long_chain_is_found_without_recursion() -> None:
    x = Value(1.0)
    y = x
    for _ in range(20_000):
        y = y * 1.0
    seen: list[Read] = []
    with watch_reads([x], seen.append):
        _ = y.data
    assert len(seen) == 1


# ------------------------------------------------------ derivatives: the warning
def test_grad_warns_when_math_exp_turns_the_input_into_a_float() -> None:
    with pytest.warns(DerivativeLostWarning, match=r"float\(x\) at .*test_reads\.py:\d+ .*use x\.exp\(\)") as record:
        d = grad(lambda x: math.exp(x) * x)(1.0)  # math.exp
    assert d == pytest.approx(math.e)  # still the wrong number (the true one is 2e): it warns, it does not guess
    assert record[0].filename.endswith("test_reads.py") and record[0].lineno == line_of("# math.exp")


@pytest.mark.parametrize(
    "call",
    [
        lambda f: value_and_grad(f)(0.5),
        lambda f: value_and_grad(f)(Value(0.5)),
        lambda f: hessian(f)(0.5),
        lambda f: jvp(f, [0.5], [1.0]),
    ],
)
def test_every_differentiating_function_warns(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(DerivativeLostWarning):
        call(lambda x: x * int(x * 3) + x * round(x, 1))


def test_data_reads_comparisons_and_constants_do_not_warn() -> None:
    def cube(x: Value) -> Value:  # the README's own op: .data computes its value
        return Value(x.data**3, parents=(x,), local_grads=(3 * x**2,), op="cube")

    c = Value(2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert grad(grad(cube))(2.0) == 12.0
        assert grad(lambda x: x * x if x > 0 else -x)(3.0) == 6.0  # a piecewise function
        assert grad(lambda x: x * float(c))(1.0) == 2.0  # c does not depend on x


def test_a_failing_gradcheck_names_the_conversion_as_the_likely_cause() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DerivativeLostWarning)
        with pytest.raises(GradcheckError, match=r"Likely cause: f calls float\(x\) at .*test_reads\.py:\d+"):
            gradcheck(lambda x: math.exp(x) * x, [1.0])
        with pytest.raises(GradcheckError, match=r"Likely cause: f calls float\(x\)"):
            gradcheck(lambda x: math.sin(x) * x * x, [1.0], order=2)


def test_a_read_inside_the_standard_library_names_the_line_that_called_it() -> None:
    import statistics

    with pytest.warns(DerivativeLostWarning) as record:
        grad(lambda x: x * statistics.fmean([x, x * 2]))(1.0)  # fmean
    assert record[0].filename == __file__ and record[0].lineno == line_of("# fmean")
