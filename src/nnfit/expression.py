"""A small, safe expression language for target curves typed by the user.

`nnfit fit "sin(x) + 0.3*x"` hands the formula to `parse`, which reads it with
nnfit's own tokenizer and recursive-descent parser. Nothing is ever passed to
eval, exec, compile or Python's `ast`: the only names that can run are the
arithmetic operators and the functions listed in `FUNCTIONS`.

Grammar, loosest binding first (`**` is right-associative and its exponent may
carry a sign, so -x**2 == -(x**2), 2**-1 == 0.5 and 2**3**2 == 2**9):

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom ("**" unary)?
    atom    := number | "x" | "pi" | "e" | name "(" sum ("," sum)* ")"
             | "(" sum ")"

Numbers are decimal: 3, 0.5, .5, 5., 1e-3, 2.5E+4. Functions are those in
FUNCTIONS, including the two-argument mod(a, b), min(a, b) and max(a, b). `^`,
`%`, `//`, comparisons and implicit products such as 2x are rejected with a hint.

In one pass the parser writes a postfix program for the stack machine in `_run`
and folds every constant part into one number as soon as it has been read, so
evaluation never recurses and constant exponents can be bounded.

Limits that keep hostile text cheap: at most MAX_LENGTH characters, at most
MAX_DEPTH levels of nesting (parentheses, calls, signs and powers), constant
exponents within +-MAX_EXPONENT, and constant parts that must be finite.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Any, NamedTuple, NoReturn

import numpy as np

from nnfit.errors import NnfitError

MAX_LENGTH = 500
MAX_DEPTH = 50
# A constant exponent beyond this is rejected: 9**9**9**9 never gets computed.
MAX_EXPONENT = 1000.0


class ExpressionError(NnfitError):
    """A user expression could not be parsed or evaluated.

    Attributes:
        text: the expression as the user typed it.
        position: 0-based index of the offending character, or None when the
            problem is the whole text (empty, too long). Messages count
            characters from 1, as people do.
        problem: what was wrong, without the expression; str() adds it.
    """

    def __init__(self, text: str, position: int | None, problem: str) -> None:
        self.text = text
        self.position = position
        self.problem = problem
        where = "" if position is None else f" at character {position + 1}"
        super().__init__(f"Cannot parse expression {_quote(text)}{where}: {problem}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.text, self.position, self.problem))

    def pointer(self) -> str:
        """Return the expression and, on a second line, a caret under the problem.

        Returns:
            Two lines (one when position is None); control characters show as
            spaces so the caret lines up. Long text is cut to a window.

        Example:
            >>> print(ExpressionError("sin(x", 5, "expected ')'").pointer())
            sin(x
                 ^
        """
        line = "".join(c if c.isprintable() else " " for c in self.text)
        if self.position is None:
            return line[:_WINDOW]
        start = max(0, min(self.position - _WINDOW // 2, len(line) - _WINDOW))
        return (
            line[start : start + _WINDOW] + "\n" + " " * (self.position - start) + "^"
        )


_WINDOW = 72


def _quote(text: str) -> str:
    """Show the text in an error message, cut short when it is long."""
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text)


@dataclass(frozen=True)
class Function:
    """A whitelisted function: how many arguments it takes and how to apply it.

    Attributes:
        arity: the number of arguments.
        apply: apply(module, *args), with module numpy or jax.numpy.
        summary: one line for `nnfit list` and the docs.
    """

    arity: int
    apply: Callable[..., Any]
    summary: str


def _elementwise(name: str, summary: str, arity: int = 1) -> Function:
    """A function that the module (numpy or jax.numpy) has under `name`."""
    return Function(arity, lambda module, *args: getattr(module, name)(*args), summary)


def _sigmoid(module: ModuleType, a: Any) -> Any:
    # 1 / (1 + exp(-a)): exp overflows to inf for a << 0, giving exactly 0.
    return module.divide(1.0, module.add(1.0, module.exp(module.negative(a))))


FUNCTIONS: Mapping[str, Function] = MappingProxyType(
    {
        "sin": _elementwise("sin", "sine"),
        "cos": _elementwise("cos", "cosine"),
        "tan": _elementwise("tan", "tangent"),
        "exp": _elementwise("exp", "e to the power"),
        "log": _elementwise("log", "natural logarithm"),
        "sqrt": _elementwise("sqrt", "square root"),
        "abs": _elementwise("abs", "absolute value"),
        "tanh": _elementwise("tanh", "hyperbolic tangent"),
        "sinh": _elementwise("sinh", "hyperbolic sine"),
        "cosh": _elementwise("cosh", "hyperbolic cosine"),
        "arcsin": _elementwise("arcsin", "inverse sine"),
        "arccos": _elementwise("arccos", "inverse cosine"),
        "arctan": _elementwise("arctan", "inverse tangent"),
        "sinc": _elementwise("sinc", "normalised sinc, sin(pi x) / (pi x)"),
        "sign": _elementwise("sign", "-1, 0 or 1"),
        "floor": _elementwise("floor", "round down"),
        "ceil": _elementwise("ceil", "round up"),
        "mod": _elementwise("mod", "mod(a, b): remainder with b's sign", 2),
        "min": _elementwise("minimum", "min(a, b): the smaller", 2),
        "max": _elementwise("maximum", "max(a, b): the larger", 2),
        "sigmoid": Function(1, _sigmoid, "logistic 1 / (1 + exp(-x))"),
        "relu": Function(
            1, lambda module, a: module.maximum(a, 0.0), "max(x, 0), the ramp"
        ),
    }
)

CONSTANTS: Mapping[str, float] = MappingProxyType({"pi": np.pi, "e": np.e})

# Operators go through the module's ufuncs, never Python's operators: 0.0**-1
# and 1/0 then give inf instead of raising, and -8**(1/3) gives nan, not complex.
_OPERATORS: Mapping[str, Function] = MappingProxyType(
    {
        "+": _elementwise("add", "a + b", 2),
        "-": _elementwise("subtract", "a - b", 2),
        "*": _elementwise("multiply", "a * b", 2),
        "/": _elementwise("divide", "a / b", 2),
        "**": _elementwise("power", "a ** b", 2),
        "neg": _elementwise("negative", "-a"),
    }
)

_ALLOWED_NAMES = ("x", *CONSTANTS, *FUNCTIONS)


# Tokens ---------------------------------------------------------------------


class _Token(NamedTuple):
    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int
    value: float = 0.0


_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WHITESPACE = " \t\n\r\f\v"
_SINGLE_OPS = "+-/(),"

_COMPARISON = "comparisons are not supported; try sign(x) or max(a, b) instead"
_REJECTED_PAIRS = {
    "//": "'//' is not supported; use floor(a / b)",
    "==": _COMPARISON,
}

# Characters people type from other notations, with what to write instead.
_REJECTED = {
    "^": "'^' is not a power here; use ** for powers, as in x**2",
    "%": "'%' is not supported; use mod(a, b) for the remainder",
    "=": "assignment is not supported; write only the right-hand side, as in "
    "sin(x) rather than y = sin(x)",
    "<": _COMPARISON,
    ">": _COMPARISON,
    "!": "comparisons and '!' are not supported; try sign(x) or abs(x) instead",
    ";": "';' is not allowed; write a single expression",
    ":": "':' is not allowed; lambdas, slices and dicts are not part of formulas",
    "'": "strings are not allowed; write the formula without quotes",
    '"': "strings are not allowed; write the formula without quotes",
    "`": "quotes are not allowed; write the formula without them",
    "[": "brackets '[' are not allowed; use ( ) for grouping",
    "]": "brackets ']' are not allowed; use ( ) for grouping",
    "{": "braces '{' are not allowed; use ( ) for grouping",
    "}": "braces '}' are not allowed; use ( ) for grouping",
    "|": "'|' is not supported; use abs(x) for an absolute value",
    "π": "'π' is not ASCII; write pi",
    "−": "'−' (U+2212) is not ASCII; write - for minus",
    "×": "'×' is not ASCII; write * for multiplication",
    "·": "'·' is not ASCII; write * for multiplication",
    "÷": "'÷' is not ASCII; write / for division",
    "²": "'²' is not ASCII; write **2",
    "³": "'³' is not ASCII; write **3",
}


def _tokenize(text: str) -> list[_Token]:
    """Split the text into tokens, rejecting anything outside the grammar."""
    tokens = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in _WHITESPACE:
            i += 1
            continue
        token = _read_token(text, i)
        tokens.append(token)
        i += len(token.text)
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _read_token(text: str, i: int) -> _Token:
    """Read the one token that starts at text[i], which is not whitespace."""
    char = text[i]
    if char.isascii() and (char.isdigit() or text.startswith(".", i)):
        return _read_number(text, i)
    if char.isascii() and (char.isalpha() or char == "_"):
        return _read_name(text, i)
    if text.startswith("**", i):
        return _Token("op", "**", i)
    for pair, problem in _REJECTED_PAIRS.items():
        if text.startswith(pair, i):
            raise ExpressionError(text, i, problem)
    if char in _SINGLE_OPS or char == "*":
        return _Token("op", char, i)
    raise ExpressionError(text, i, _describe_bad_character(char))


def _describe_bad_character(char: str) -> str:
    """Say why a character cannot appear in an expression."""
    if char in _REJECTED:
        return _REJECTED[char]
    shown = repr(char)
    if not char.isascii():
        shown += f" (U+{ord(char):04X})"
    return (
        f"character {shown} is not allowed; use numbers, x, pi, e, function "
        "names, + - * / ** ( ) and commas between function arguments"
    )


def _read_number(text: str, i: int) -> _Token:
    """Read a decimal number, rejecting '.' access and overflow to infinity."""
    match = _NUMBER.match(text, i)
    if match is None:
        raise ExpressionError(
            text,
            i,
            "'.' is only allowed inside numbers such as 0.5; attribute access "
            "such as x.real is not supported",
        )
    number = match.group()
    _check_after_number(text, match.end(), number)

    value = float(number)
    if not np.isfinite(value):
        raise ExpressionError(
            text,
            i,
            f"the number {number!r} is too large for a float; use at most 1e308",
        )
    return _Token("number", number, i, value)


def _check_after_number(text: str, end: int, number: str) -> None:
    """Reject '1.2.3', '2x' and '2sin(x)': a number must end before an operator."""
    if text.startswith(".", end):
        raise ExpressionError(
            text,
            end,
            f"a second '.' follows the number {number!r}; a number has at most "
            "one decimal point",
        )
    word = _NAME.match(text, end)
    if word is not None:
        raise ExpressionError(
            text,
            end,
            f"{word.group()!r} directly follows the number {number!r}; put an "
            f"operator between them, as in {number}*{word.group()}",
        )


def _read_name(text: str, i: int) -> _Token:
    """Read a name and check that it is x, a constant or a whitelisted function."""
    match = _NAME.match(text, i)
    assert match is not None
    if match.group() not in _ALLOWED_NAMES:
        raise ExpressionError(text, i, _name_problem(text, match))
    return _Token("name", match.group(), i)


def _name_problem(text: str, match: re.Match[str]) -> str:
    """Say why a name is not allowed, suggesting the closest allowed one."""
    name = match.group()
    after = text[match.end() :].lstrip(_WHITESPACE)
    if after.startswith("=") and not after.startswith("=="):
        return (
            f"assignment to {name!r} is not supported; write only the right-hand "
            "side, as in sin(x) rather than y = sin(x)"
        )

    if "__" in name:
        problem = f"names with double underscores such as {name!r} are not allowed"
    elif keyword.iskeyword(name) or name in ("print", "eval", "exec", "open"):
        problem = f"Python code such as {name!r} is not allowed, only formulas"
    else:
        problem = f"unknown name {name!r}"

    allowed = ", ".join(_ALLOWED_NAMES)
    close = difflib.get_close_matches(name.lower(), _ALLOWED_NAMES, n=1)
    if close:
        return f"{problem}; did you mean {close[0]!r} (allowed names: {allowed})"
    return f"{problem}; allowed names are {allowed}"


# Parser ---------------------------------------------------------------------


class _Step(NamedTuple):
    """One instruction of the postfix program that `_run` executes."""

    kind: str  # "x", "const" or "apply"
    value: float = 0.0
    function: Function | None = None


class _Part(NamedTuple):
    """The postfix program of text[start:end]; constant parts are one step."""

    program: tuple[_Step, ...]
    start: int
    end: int

    @property
    def constant(self) -> float | None:
        (first, *rest) = self.program
        return first.value if first.kind == "const" and not rest else None


class _Parser:
    """Recursive descent over the tokens, with a depth counter for nesting."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def parse(self) -> tuple[_Step, ...]:
        part = self.sum()
        token = self.peek()
        if token.kind == "end":
            return part.program
        if token.text == ",":
            self.fail(token, "',' is only allowed between the arguments of a call")
        if token.text == ")":
            self.fail(token, "this ')' has no matching '('")
        self.fail(token, f"unexpected {token.text!r}")

    # Tokens and errors.

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: _Token, problem: str) -> NoReturn:
        raise ExpressionError(self.text, token.position, problem)

    def found(self, token: _Token) -> str:
        return (
            "the expression ended" if token.kind == "end" else f"found {token.text!r}"
        )

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(
                token,
                f"the expression nests deeper than {MAX_DEPTH} levels of "
                "parentheses, calls, signs and powers; simplify it",
            )

    # Grammar rules, loosest binding first.

    def sum(self) -> _Part:
        left = self.product()
        while self.peek().text in ("+", "-"):
            operator = self.take().text
            right = self.product()
            left = self.combine([left, right], _OPERATORS[operator])
        return left

    def product(self) -> _Part:
        left = self.unary()
        while self.peek().text in ("*", "/"):
            operator = self.take().text
            right = self.unary()
            left = self.combine([left, right], _OPERATORS[operator])
        return left

    def unary(self) -> _Part:
        token = self.peek()
        if token.text not in ("+", "-"):
            return self.power()
        self.take()
        self.enter(token)
        operand = self.unary()
        self.depth -= 1

        if token.text == "+":
            return operand._replace(start=token.position)
        return self.combine([operand], _OPERATORS["neg"], start=token.position)

    def power(self) -> _Part:
        base = self.atom()
        token = self.peek()
        if token.text == "**":
            self.take()
            self.enter(token)
            exponent = self.unary()
            self.depth -= 1
            self.check_exponent(token, exponent)
            base = self.combine([base, exponent], _OPERATORS["**"])

        following = self.peek()
        if following.kind in ("number", "name") or following.text == "(":
            self.fail(
                following,
                f"an operator is missing before {following.text!r}; "
                "use * to multiply, as in 2*x",
            )
        return base

    def atom(self) -> _Part:
        token = self.take()
        end = token.position + len(token.text)
        if token.kind == "number":
            return _Part((_Step("const", token.value),), token.position, end)
        if token.kind == "name":
            return self.name(token)
        if token.text == "(":
            return self.group(token)

        self.index -= 1
        self.fail(
            token,
            "expected a number, x, a constant, a function call or '(', but "
            f"{self.found(token)}",
        )

    def name(self, token: _Token) -> _Part:
        end = token.position + len(token.text)
        if token.text in FUNCTIONS:
            return self.call(token)
        if self.peek().text == "(":
            self.fail(
                self.peek(),
                f"{token.text!r} is not a function; write {token.text}*(...) "
                "to multiply",
            )
        if token.text == "x":
            return _Part((_Step("x"),), token.position, end)
        return _Part((_Step("const", CONSTANTS[token.text]),), token.position, end)

    def group(self, opening: _Token) -> _Part:
        self.enter(opening)
        inner = self.sum()
        self.close(opening)
        self.depth -= 1
        return inner._replace(
            start=opening.position, end=self.tokens[self.index - 1].position + 1
        )

    def call(self, name: _Token) -> _Part:
        opening = self.peek()
        if opening.text != "(":
            self.fail(
                opening,
                f"the function {name.text!r} must be called with parentheses, as in "
                f"{name.text}(x)",
            )
        self.take()
        self.enter(opening)
        arguments = self.arguments()
        self.close(opening)
        self.depth -= 1

        function = FUNCTIONS[name.text]
        if len(arguments) != function.arity:
            self.fail(name, _arity_problem(name.text, function.arity, len(arguments)))
        end = self.tokens[self.index - 1].position + 1
        return self.combine(arguments, function, start=name.position, end=end)

    def arguments(self) -> list[_Part]:
        if self.peek().text == ")":
            return []
        arguments = [self.sum()]
        while self.peek().text == ",":
            self.take()
            arguments.append(self.sum())
        return arguments

    def close(self, opening: _Token) -> None:
        token = self.peek()
        if token.text != ")":
            self.fail(
                token,
                f"expected ')' to close the '(' at character {opening.position + 1}, "
                f"but {self.found(token)}",
            )
        self.take()

    # Constant folding.

    def check_exponent(self, operator: _Token, exponent: _Part) -> None:
        value = exponent.constant
        if value is not None and abs(value) > MAX_EXPONENT:
            self.fail(
                operator,
                f"the exponent {value:g} is outside the allowed range "
                f"-{MAX_EXPONENT:g} to {MAX_EXPONENT:g}; use a smaller power",
            )

    def combine(
        self,
        parts: list[_Part],
        function: Function,
        start: int | None = None,
        end: int | None = None,
    ) -> _Part:
        """Append one operation to its operands' programs, folding constants."""
        start = parts[0].start if start is None else start
        end = parts[-1].end if end is None else end
        program = sum((part.program for part in parts), ())
        program += (_Step("apply", function=function),)
        if any(part.constant is None for part in parts):
            return _Part(program, start, end)

        value = float(_run(program, None, np))
        if not np.isfinite(value):
            span = self.text[start:end]
            raise ExpressionError(
                self.text,
                start,
                f"the constant part {_quote(span)} evaluates to {value}; "
                "constants must be finite real numbers",
            )
        return _Part((_Step("const", value),), start, end)


def _arity_problem(name: str, arity: int, given: int) -> str:
    """Say that a function got the wrong number of arguments."""
    wanted = "1 argument" if arity == 1 else f"{arity} arguments"
    example = f"{name}(x)" if arity == 1 else f"{name}(x, 2)"
    return (
        f"the function {name!r} takes {wanted} but got {given}; write it as {example}"
    )


def _run(program: tuple[_Step, ...], x: Any, module: ModuleType) -> Any:
    """Execute a postfix program on a stack: no recursion, however long it is."""
    stack: list[Any] = []
    with np.errstate(all="ignore"):
        for step in program:
            if step.kind == "x":
                stack.append(x)
            elif step.kind == "const":
                stack.append(step.value)
            else:
                assert step.function is not None
                arity = step.function.arity
                arguments = stack[len(stack) - arity :]
                del stack[len(stack) - arity :]
                stack.append(step.function.apply(module, *arguments))
    (result,) = stack
    return result


# Public API -----------------------------------------------------------------


class Expression:
    """A parsed formula in x that evaluates elementwise with NumPy or JAX.

    Build one with `parse`. Evaluation never raises on bad values and emits no
    floating-point warnings: log(x) at x <= 0 gives nan or -inf in the result,
    so the caller checks finiteness where it matters.

    Attributes:
        text: the formula as typed.
    """

    __slots__ = ("text", "_program")

    def __init__(self, text: str, program: tuple[_Step, ...]) -> None:
        self.text = text
        self._program = program

    @property
    def variables(self) -> frozenset[str]:
        """The variables the formula uses: frozenset({"x"}), or empty for a constant."""
        uses_x = any(step.kind == "x" for step in self._program)
        return frozenset({"x"}) if uses_x else frozenset()

    def __call__(self, x: Any, module: ModuleType = np) -> Any:
        """Evaluate the formula at every element of x.

        Args:
            x: real numbers, any shape; integers and booleans become floats.
            module: numpy (default) or jax.numpy, which also works under
                jax.jit and jax.grad.

        Returns:
            An array of x's shape and floating dtype (x's own when x is float);
            a constant formula is broadcast to that shape. It may hold nan or
            inf where the formula is undefined.

        Example:
            >>> parse("2*x + 1")(np.array([0.0, 1.0]))
            array([1., 3.])
        """
        _check_module(module)
        x = _as_real(x, module)
        result = module.asarray(_run(self._program, x, module), dtype=x.dtype)
        if result.shape != x.shape:
            result = module.full(x.shape, result, dtype=x.dtype)
        return result

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def _check_module(module: Any) -> None:
    """Accept numpy and jax.numpy, the two array modules the registry targets."""
    name = getattr(module, "__name__", None)
    if name not in ("numpy", "jax.numpy"):
        raise ValueError(
            f"module must be numpy or jax.numpy, got {module!r}; "
            "pass module=numpy or module=jax.numpy"
        )


def _as_real(x: Any, module: ModuleType) -> Any:
    """Convert x to an array of floats, keeping float dtypes as they are."""
    x = module.asarray(x)
    if module.issubdtype(x.dtype, module.floating):
        return x
    if module.issubdtype(x.dtype, module.integer) or x.dtype == bool:
        # Multiplying by a Python float keeps JAX's default float width.
        return module.multiply(x, 1.0)
    raise TypeError(
        f"x must hold real numbers, got an array of dtype {x.dtype}; "
        "pass floats, such as numpy.linspace(-3, 3, 100)"
    )


def parse(text: str) -> Expression:
    """Parse a formula in x into an Expression, without ever running Python code.

    Args:
        text: the formula, at most MAX_LENGTH characters, such as
            "sin(x) + 0.3*x". See the module docstring for the grammar and
            FUNCTIONS for the functions it may call.

    Returns:
        The Expression, ready to evaluate on arrays.

    Raises:
        ExpressionError: the text is empty, too long, nested too deeply, or
            not a formula; the message says where and how to fix it.
        TypeError: text is not a str.

    Example:
        >>> parse("-x**2")(np.array([3.0]))
        array([-9.])
    """
    if not isinstance(text, str):
        raise TypeError(
            f"text must be a str, got {type(text).__name__} {text!r}; "
            "pass the formula as a string, such as 'sin(x)'"
        )
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            text,
            None,
            f"it is {len(text)} characters long, more than the limit of "
            f"{MAX_LENGTH}; shorten it",
        )
    if not text.strip(_WHITESPACE):
        raise ExpressionError(
            text, None, "the expression is empty; type a formula in x, such as sin(x)"
        )
    return Expression(text, _Parser(text).parse())
