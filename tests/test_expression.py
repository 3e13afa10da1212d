"""Tests for nnfit.expression: the safe formula language for target curves."""

from __future__ import annotations

import ast
import builtins
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnfit.errors import NnfitError
from nnfit.expression import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    Expression,
    ExpressionError,
    parse,
)

# Points inside every formula's domain below, seeded so failures reproduce.
X = np.random.default_rng(0).uniform(0.1, 0.9, size=17)

# Each formula beside a hand-written NumPy reference.
FORMULAS = [
    ("x", lambda x: x),
    ("sin(x) + 0.3*x", lambda x: np.sin(x) + 0.3 * x),
    ("cos(2*x) - 1", lambda x: np.cos(2 * x) - 1),
    ("tan(x)/2", lambda x: np.tan(x) / 2),
    ("exp(-x**2)", lambda x: np.exp(-(x**2))),
    ("log(x) + sqrt(x)", lambda x: np.log(x) + np.sqrt(x)),
    ("abs(x - 0.5)", lambda x: np.abs(x - 0.5)),
    ("tanh(3*x) * sinh(x) / cosh(x)", lambda x: np.tanh(3 * x) * np.tanh(x)),
    ("arcsin(x) + arccos(x) + arctan(x)", lambda x: np.pi / 2 + np.arctan(x)),
    ("sinc(4*x)", lambda x: np.sin(4 * np.pi * x) / (4 * np.pi * x)),
    ("sign(x - 0.5)", lambda x: np.sign(x - 0.5)),
    ("floor(10*x) + ceil(10*x)", lambda x: np.floor(10 * x) + np.ceil(10 * x)),
    ("mod(7*x, 1.5)", lambda x: np.mod(7 * x, 1.5)),
    ("min(x, 0.5) + max(x, 0.25)", lambda x: np.minimum(x, 0.5) + np.maximum(x, 0.25)),
    ("sigmoid(4*x - 2)", lambda x: 1 / (1 + np.exp(-(4 * x - 2)))),
    ("relu(x - 0.5)", lambda x: np.maximum(x - 0.5, 0)),
    ("pi*x + e", lambda x: np.pi * x + np.e),
    ("1e-3*x + 2.5E+1 - .5 + 5.", lambda x: 1e-3 * x + 25 - 0.5 + 5),
    ("x**3 - x", lambda x: x**3 - x),
    ("2**x / (1 + x**2)", lambda x: 2**x / (1 + x**2)),
    ("x**0.5 * x**-1", lambda x: x**-0.5),
    ("((x))", lambda x: x),
]


@pytest.mark.parametrize(("text", "reference"), FORMULAS)
def test_formula_matches_numpy(text, reference):
    np.testing.assert_allclose(parse(text)(X), reference(X), rtol=1e-6, atol=1e-12)


# Constant formulas, to check how operators group.
PRECEDENCE = [
    ("2 + 3 * 4", 14.0),
    ("(2 + 3) * 4", 20.0),
    ("10 - 4 - 3", 3.0),
    ("64 / 4 / 2", 8.0),
    ("2 * 3 / 4 * 2", 3.0),
    ("2**3**2", 512.0),
    ("(2**3)**2", 64.0),
    ("2 * 3**2", 18.0),
    ("-2**2", -4.0),
    ("(-2)**2", 4.0),
    ("2**-1", 0.5),
    ("2**-2**2", 2.0**-4),
    ("-2**-2", -0.25),
    ("--3", 3.0),
    ("-+-3", 3.0),
    ("3 - -2", 5.0),
    ("2*-3", -6.0),
    ("+4", 4.0),
]


@pytest.mark.parametrize(("text", "value"), PRECEDENCE)
def test_operators_group_like_python(text, value):
    assert parse(text)(np.zeros(1)) == pytest.approx([value])


def test_unary_minus_binds_looser_than_power_of_x():
    x = np.array([-2.0, 3.0])
    np.testing.assert_array_equal(parse("-x**2")(x), [-4.0, -9.0])


def test_power_of_negative_exponent_of_x():
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(parse("2**-x")(x), [0.5, 0.25])


def test_constant_broadcasts_to_shape_of_x():
    result = parse("2*pi")(np.zeros((3, 4)))
    assert result.shape == (3, 4)
    np.testing.assert_array_equal(result, np.full((3, 4), 2 * np.pi))


def test_integer_input_gives_float_output():
    result = parse("x / 2")(np.arange(3))
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, [0.0, 0.5, 1.0])


def test_float32_input_keeps_its_dtype():
    assert parse("sin(x) + 1")(np.ones(2, np.float32)).dtype == np.float32


def test_undefined_points_give_nan_and_inf_without_warnings():
    result = parse("log(x)")(np.array([-1.0, 0.0, 1.0]))
    assert np.isnan(result[0])
    assert result[1] == -np.inf
    assert result[2] == 0.0


def test_variables_name_x_only_when_used():
    assert parse("sin(x)").variables == frozenset({"x"})
    assert parse("sin(pi) + e").variables == frozenset()


def test_repr_shows_text():
    expression = parse("sin(x) + 0.3*x")
    assert repr(expression) == "Expression('sin(x) + 0.3*x')"
    assert isinstance(expression, Expression)
    assert expression.text == "sin(x) + 0.3*x"


@pytest.mark.parametrize(("text", "reference"), FORMULAS)
def test_jax_numpy_gives_same_numbers(text, reference):
    jnp = pytest.importorskip("jax.numpy")
    x = X.astype(np.float32)
    expected = parse(text)(x)
    np.testing.assert_allclose(np.asarray(parse(text)(x, jnp)), expected, rtol=1e-5)


def test_jax_path_works_under_jit_and_grad():
    jax = pytest.importorskip("jax")
    expression = parse("x**3 + sin(x)")
    slope = jax.grad(lambda t: expression(t, jax.numpy))(1.0)
    assert float(slope) == pytest.approx(3 + np.cos(1.0), rel=1e-6)
    jitted = jax.jit(lambda t: expression(t, jax.numpy))(np.ones(3, np.float32))
    assert jitted.shape == (3,)


def test_unknown_module_is_rejected():
    with pytest.raises(ValueError, match="module must be numpy or jax.numpy"):
        parse("x")(X, module=builtins)


def test_non_real_x_is_rejected():
    with pytest.raises(TypeError, match="x must hold real numbers"):
        parse("x")(np.array(["a"]))


def test_non_string_text_is_rejected():
    with pytest.raises(TypeError, match="text must be a str"):
        parse(b"sin(x)")


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_evaluates(name):
    arguments = ", ".join(["x"] * FUNCTIONS[name].arity)
    result = parse(f"{name}({arguments})")(X)
    assert result.shape == X.shape
    assert np.all(np.isfinite(result))


def test_parse_never_calls_python_evaluation(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("Python evaluation was called")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    monkeypatch.setattr(ast, "parse", forbidden)
    assert parse("sin(x) + x**2")(np.array([0.0])) == 0.0


def test_error_is_a_value_error_and_an_nnfit_error():
    with pytest.raises(ExpressionError) as caught:
        parse("sin(x")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, NnfitError)


def test_error_message_names_position_of_unclosed_parenthesis():
    with pytest.raises(ExpressionError) as caught:
        parse("sin(x")
    assert caught.value.text == "sin(x"
    assert caught.value.position == 5
    assert str(caught.value).startswith(
        "Cannot parse expression 'sin(x' at character 6: expected ')' to close "
        "the '(' at character 4"
    )


def test_error_survives_pickling():
    with pytest.raises(ExpressionError) as caught:
        parse("x^2")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.text, copy.position, str(copy)) == ("x^2", 1, str(caught.value))


def test_pointer_puts_caret_under_position():
    with pytest.raises(ExpressionError) as caught:
        parse("x + ^2")
    assert caught.value.pointer() == "x + ^2\n    ^"


def test_pointer_without_position_is_the_text():
    with pytest.raises(ExpressionError) as caught:
        parse("   ")
    assert caught.value.position is None
    assert caught.value.pointer() == "   "


# Hostile or invalid text: (text, 0-based position or None, words in message).
REJECTED = [
    ("x.__class__", 1, "attribute access"),
    ("x.real", 1, "attribute access"),
    ("__import__('os')", 0, "double underscores"),
    ("__builtins__", 0, "double underscores"),
    ("foo(x)", 0, "unknown name 'foo'"),
    ("lambda x: x", 0, "'lambda' is not allowed"),
    ("import os", 0, "'import' is not allowed"),
    ("'sin(x)'", 0, "strings are not allowed"),
    ('"x"', 0, "strings are not allowed"),
    ("[1, 2]", 0, "brackets"),
    ("{x}", 0, "braces"),
    ("1, 2", 1, "',' is only allowed between the arguments"),
    ("x; x", 1, "single expression"),
    ("y = sin(x)", 0, "assignment to 'y'"),
    ("x = 1", 2, "assignment"),
    ("x == 1", 2, "comparisons"),
    ("sin(x, 1)", 0, "takes 1 argument but got 2"),
    ("mod(x)", 0, "takes 2 arguments but got 1"),
    ("sin()", 0, "takes 1 argument but got 0"),
    ("", None, "empty"),
    (" \t\n ", None, "empty"),
    ("x²", 1, "write **2"),
    ("π*x", 0, "write pi"),
    ("x − 1", 2, "write - for minus"),
    ("x\u200b", 1, "U+200B"),
    ("x\x00", 1, "'\\x00' is not allowed"),
    ("x^2", 1, "use ** for powers"),
    ("x % 2", 2, "mod(a, b)"),
    ("x // 2", 2, "floor(a / b)"),
    ("1e999", 0, "too large"),
    ("9**9**9**9", 4, "exponent"),
    ("x**1001", 1, "exponent 1001"),
    ("x**(10*200)", 1, "exponent 2000"),
    ("1/0", 0, "constant part '1/0' evaluates to inf"),
    ("sqrt(-1) + x", 0, "evaluates to nan"),
    ("2x", 1, "2*x"),
    ("1.2.3", 3, "decimal point"),
    ("x(2)", 1, "'x' is not a function"),
    ("sin + 1", 4, "must be called with parentheses"),
    ("sin(x) cos(x)", 7, "operator is missing"),
    ("()", 1, "expected a number"),
    ("x +", 3, "the expression ended"),
    ("(x", 2, "to close the '(' at character 1"),
    ("x)", 1, "no matching '('"),
    ("mod(x 2)", 6, "operator is missing"),
]


@pytest.mark.parametrize(("text", "position", "words"), REJECTED)
def test_invalid_text_is_rejected_with_position_and_reason(text, position, words):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.position == position
    assert words in str(caught.value)
    if position is not None:
        assert f"at character {position + 1}:" in str(caught.value)


def test_unknown_name_suggests_closest_and_lists_allowed():
    with pytest.raises(ExpressionError) as caught:
        parse("sn(x) + 1")
    message = str(caught.value)
    assert "unknown name 'sn'" in message
    assert "did you mean 'sin'" in message
    assert "arctan" in message and "sigmoid" in message


def test_too_long_text_is_rejected_before_parsing():
    with pytest.raises(ExpressionError, match="more than the limit of 500"):
        parse("x+" * MAX_LENGTH + "x")


def test_huge_nesting_is_rejected_without_recursion_error():
    with pytest.raises(ExpressionError, match="characters long"):
        parse("(" * 100_000)


@pytest.mark.parametrize(
    "text",
    [
        "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH,
        "sin(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH,
        "-" * MAX_DEPTH + "x",
    ],
)
def test_nesting_up_to_max_depth_is_accepted(text):
    assert parse(text)(np.array([1.0])).shape == (1,)


@pytest.mark.parametrize(
    "text",
    [
        "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
        "sin(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
        "-" * (MAX_DEPTH + 1) + "x",
        "x" + "**x" * (MAX_DEPTH + 1),
    ],
)
def test_nesting_beyond_max_depth_is_rejected(text):
    with pytest.raises(ExpressionError, match=f"deeper than {MAX_DEPTH} levels"):
        parse(text)


def test_long_flat_sum_evaluates():
    text = "+".join(["x"] * 200)
    np.testing.assert_allclose(parse(text)(X), 200 * X)


# Property tests: any text either parses or raises ExpressionError, and anything
# that parses evaluates on a small array without raising or warning.
GRAMMAR_CHARACTERS = "0123456789.eE+-*/(),^ xpisncotaqrlgbmdfuh_[]'"
GRAMMAR_TOKENS = [
    "x", "pi", "e", "sin", "log", "mod", "max", "sigmoid", "(", ")", ",",
    "+", "-", "*", "/", "**", "0", "1", "2.5", "1e3", ".5", "1e308", "9",
    " ", "^", ".", "__class__", "[", "foo", "1000",
]  # fmt: skip
SMALL_X = np.linspace(-2.0, 2.0, 5)


def check_parse_and_evaluate(text):
    try:
        expression = parse(text)
    except ExpressionError:
        return
    result = expression(SMALL_X)
    assert result.shape == SMALL_X.shape
    assert result.dtype == np.float64


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text())
def test_any_text_parses_or_raises_expression_error(text):
    check_parse_and_evaluate(text)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=GRAMMAR_CHARACTERS, max_size=40))
def test_grammar_characters_parse_or_raise_expression_error(text):
    check_parse_and_evaluate(text)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(GRAMMAR_TOKENS), max_size=25).map(" ".join))
def test_grammar_tokens_parse_or_raise_expression_error(text):
    check_parse_and_evaluate(text)


def formulas():
    """Mostly valid formulas, built from the grammar's own rules."""
    leaves = st.sampled_from(["x", "pi", "e", "0", "1", "2.5", ".5", "1e3", "1e308"])
    functions = st.sampled_from(sorted(FUNCTIONS))
    operators = st.sampled_from(["+", "-", "*", "/", "**"])

    def extend(children):
        binary = st.tuples(children, operators, children).map(" ".join)
        signed = st.tuples(st.sampled_from(["-", "+"]), children).map("".join)
        grouped = children.map("({})".format)
        called = st.tuples(functions, children, children).map(
            lambda t: f"{t[0]}({', '.join([t[1], t[2]][: FUNCTIONS[t[0]].arity])})"
        )
        return binary | signed | grouped | called

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(formulas())
def test_grammar_formulas_parse_or_raise_expression_error(text):
    check_parse_and_evaluate(text)
