"""The criteria language of group rules: parsed by our own small grammar, type-checked, evaluated on whole
columns. Player text is never handed to ``eval``, ``exec``, ``compile`` or pandas' ``eval``/``query``.

Grammar (lowest precedence first)::

    condition  := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum | ["not"] "in" "[" literal ("," literal)* "]"]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := number | percent | money | string | metric | ("min" | "max" | "abs") "(" sum ("," sum)* ")"
                | "(" condition ")"

Numbers (``12``, ``0.8``, ``1e3``), percentages (``20%`` = 0.2), money as TSM writes it (``100g``, ``50s``,
``1g50s20c``, ``1.5g``; in copper), strings in quotes. Metrics are the METRICS below (case-insensitive);
``quality`` compares with quality names (and orders them: ``quality >= "rare"``), ``item_class`` with class
ids or names, ``name`` with ``==``, ``!=`` and ``in``.

Missing values follow SQL's three-valued logic: a comparison with a missing value is *unknown*, ``not
unknown`` is unknown, ``unknown or true`` is true, ``unknown and false`` is false, and a condition that ends
unknown does not match. So missing data never makes a rule match: ``not (quantity > 5)`` is false for an
item with no quantity. Division by zero gives a missing value.

Limits: 2,000 characters, 32 levels of nesting, 500 nodes, numbers up to 1e15 in size.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tsmsyncd.errors import CriteriaError
from tsmsyncd.tsm import money

__all__ = ["METRICS", "Criteria", "parse_criteria", "parse_money", "parse_sort"]

NUMERIC = ("min_buyout", "market_value", "market_value_14d", "quantity", "auctions", "sold_per_day",
           "region_market", "discount", "vendor_sell", "item_subclass")
METRICS = frozenset({*NUMERIC, "quality", "item_class", "name"})
QUALITIES = ("poor", "common", "uncommon", "rare", "epic", "legendary", "artifact", "heirloom")
CLASSES = {"consumable": 0, "container": 1, "weapon": 2, "gem": 3, "armor": 4, "reagent": 5, "tradeskill": 7,
           "trade goods": 7, "item enhancement": 8, "recipe": 9, "quest": 12, "miscellaneous": 15, "glyph": 16,
           "battle pet": 17, "battle pets": 17, "wow token": 18, "profession": 19}
MAX_LENGTH, MAX_DEPTH, MAX_NODES, MAX_NUMBER = 2000, 32, 500, 1e15
_FUNCTIONS = ("min", "max", "abs")
_KEYWORDS = {"and", "or", "not", "in"}
_REFUSED_WORDS = {"lambda": "lambdas are not allowed", "for": "comprehensions are not allowed",
                  "if": "conditional expressions are not allowed", "import": "imports are not allowed",
                  "is": "use == or != to compare"}
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<money>(?:\d+(?:\.\d+)?g(?:\d+s)?(?:\d+c)?|\d+(?:\.\d+)?s(?:\d+c)?|\d+c)(?![\w.]))
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?)
  | (?P<string>"[^"\\\n]*"|'[^'\\\n]*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|<=|>=|==|!=|[<>+\-*/(),\[\]=.:{}@;])
""", re.X)


@dataclass(frozen=True)
class Token:
    kind: str  # money number string name op end
    text: str
    pos: int  # 0-based offset


@dataclass(frozen=True)
class Node:
    kind: str  # num str metric neg arith compare in bool not call
    type: str  # num str quality class bool
    pos: int
    value: Any = None  # number, string, metric name, operator or function name
    args: tuple[Node, ...] = ()


def _fail(pos: int, expected: str, text: str) -> CriteriaError:
    return CriteriaError(pos + 1, expected, f"criteria: at {pos + 1}: {expected} (in {_clip(text)!r})")


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def parse_money(text: str) -> int:
    """``1g50s20c`` → 15020 copper; ``1.5g`` → 15000. Units in g, s, c order, each at most once; in
    criteria a bare number is a number, so money always carries a unit."""
    try:
        if text.strip().isdigit():
            raise ValueError(text)
        return money.parse_money(text)
    except ValueError as exc:
        raise CriteriaError(1, "money", f"criteria: {text!r} is not money as TSM writes it (e.g. 1g50s20c)") from exc


def _tokens(text: str) -> list[Token]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _fail(pos, f"unexpected character {text[pos]!r}", text)
        kind = m.lastgroup or ""
        if kind == "number" and m.end() < len(text) and (text[m.end()].isalpha() or text[m.end()] == "_"):
            end = re.match(r"[\w.]*", text[pos:]).end()  # type: ignore[union-attr]
            raise _fail(pos, f"{text[pos:pos + end]!r} is not a number or money as TSM writes it "
                             "(units in g, s, c order, e.g. 1g50s20c)", text)
        if kind == "name" and m.group().lower() in _REFUSED_WORDS:
            raise _fail(pos, _REFUSED_WORDS[m.group().lower()], text)
        if kind != "space":
            out.append(Token(kind, m.group(), pos))
        pos = m.end()
    out.append(Token("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.tokens, self.i, self.depth, self.nodes = text, _tokens(text), 0, 0, 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def accept(self, text: str) -> bool:
        if self.tok.text.lower() == text and self.tok.kind in ("op", "name"):
            self.i += 1
            return True
        return False

    def expect(self, text: str, what: str) -> Token:
        if not self.accept(text):
            raise self.error(what)
        return self.tokens[self.i - 1]

    def error(self, expected: str, token: Token | None = None) -> CriteriaError:
        token = token or self.tok
        found = "the end" if token.kind == "end" else repr(token.text)
        return _fail(token.pos, f"expected {expected}, found {found}", self.text)

    def node(self, *args: Any, **kw: Any) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _fail(self.tok.pos, f"the expression is too complex (more than {MAX_NODES} parts)", self.text)
        return Node(*args, **kw)

    def nested(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _fail(pos, f"nesting is deeper than {MAX_DEPTH} levels", self.text)

    # -- grammar ----------------------------------------------------------------------------------

    def condition(self) -> Node:
        left = self.conjunction()
        while self.tok.text.lower() == "or" and self.tok.kind == "name":
            pos = self.take().pos
            left = self.logic("or", left, self.conjunction(), pos)
        return left

    def conjunction(self) -> Node:
        left = self.negation()
        while self.tok.text.lower() == "and" and self.tok.kind == "name":
            pos = self.take().pos
            left = self.logic("and", left, self.negation(), pos)
        return left

    def logic(self, op: str, left: Node, right: Node, pos: int) -> Node:
        for side in (left, right):
            if side.type != "bool":
                raise _fail(side.pos, f"'{op}' needs conditions on both sides, e.g. x > 1 {op} y < 2", self.text)
        return self.node("bool", "bool", pos, op, (left, right))

    def negation(self) -> Node:
        if self.tok.text.lower() == "not" and self.tok.kind == "name":
            pos = self.take().pos
            self.nested(pos)
            operand = self.negation()
            self.depth -= 1
            if operand.type != "bool":
                raise _fail(operand.pos, "'not' needs a condition after it", self.text)
            return self.node("not", "bool", pos, None, (operand,))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        tok = self.tok
        if tok.kind == "op" and tok.text in ("<", "<=", ">", ">=", "==", "!="):
            self.take()
            return self.compare(tok, left, self.sum())
        if tok.kind == "op" and tok.text == "=":
            raise _fail(tok.pos, "use == to compare ('=' is not an operator here)", self.text)
        negate = tok.kind == "name" and tok.text.lower() == "not" and self.tokens[self.i + 1].text.lower() == "in"
        if negate or (tok.kind == "name" and tok.text.lower() == "in"):
            self.i += 2 if negate else 1
            return self.membership(left, negate, tok.pos)
        return left

    def sum(self) -> Node:
        left = self.product()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.take()
            left = self.arith(op, left, self.product())
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/", "**"):
            op = self.take()
            if op.text == "**":
                raise _fail(op.pos, "'**' is not an operator here", self.text)
            left = self.arith(op, left, self.unary())
        return left

    def unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.text == "-":
            pos = self.take().pos
            self.nested(pos)
            operand = self.unary()
            self.depth -= 1
            if operand.type != "num":
                raise _fail(operand.pos, "'-' needs a number after it", self.text)
            return self.node("neg", "num", pos, None, (operand,))
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        tok = self.tok
        if tok.kind == "op" and tok.text == ".":
            raise _fail(tok.pos, "attribute access is not allowed", self.text)
        if tok.kind == "op" and tok.text == "[":
            raise _fail(tok.pos, "subscripts are not allowed (a list may only follow 'in')", self.text)
        if tok.kind == "op" and tok.text == "(":
            raise _fail(tok.pos, "only min(), max() and abs() can be called", self.text)
        return node

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind in ("number", "money", "string"):
            return self.literal(tok)
        if tok.kind == "op" and tok.text == "(":
            self.nested(tok.pos)
            inner = self.condition()
            self.expect(")", "')' to close the '(' at " + str(tok.pos + 1))
            self.depth -= 1
            return inner
        if tok.kind == "name":
            return self.name(tok)
        self.i -= 1
        raise self.error("a number, money (1g50s), a metric, a quoted string or '('")

    def name(self, tok: Token) -> Node:
        word = tok.text.lower()
        if word in _KEYWORDS:
            raise _fail(tok.pos, f"expected a value, found the keyword '{word}'", self.text)
        if self.tok.kind == "op" and self.tok.text == "(":
            if word not in _FUNCTIONS:
                raise _fail(tok.pos, f"only min(), max() and abs() can be called, not {tok.text}()", self.text)
            return self.call(tok, word)
        if word in METRICS:
            kind = "str" if word == "name" else "quality" if word == "quality" else \
                "class" if word == "item_class" else "num"
            return self.node("metric", kind, tok.pos, word)
        close = difflib.get_close_matches(word, sorted(METRICS | set(_FUNCTIONS)), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f" (metrics: {', '.join(sorted(METRICS))})"
        raise _fail(tok.pos, f"unknown metric '{tok.text}'{hint}", self.text)

    def call(self, tok: Token, word: str) -> Node:
        open_paren = self.take()
        self.nested(open_paren.pos)
        args = [self.sum()]
        while self.accept(","):
            args.append(self.sum())
        self.expect(")", f"')' to close {word}(")
        self.depth -= 1
        if word == "abs" and len(args) != 1:
            raise _fail(tok.pos, "abs() takes exactly one number", self.text)
        for arg in args:
            if arg.type != "num":
                raise _fail(arg.pos, f"{word}() takes numbers", self.text)
        return self.node("call", "num", tok.pos, word, tuple(args))

    def literal(self, tok: Token) -> Node:
        if tok.kind == "string":
            return self.node("str", "str", tok.pos, tok.text[1:-1])
        if tok.kind == "money":
            value: float = parse_money(tok.text)
        else:
            try:
                value = float(tok.text.rstrip("%")) / (100 if tok.text.endswith("%") else 1)
            except ValueError:
                raise _fail(tok.pos, f"{tok.text!r} is not a number", self.text) from None
        if not abs(value) <= MAX_NUMBER:
            raise _fail(tok.pos, f"numbers must be at most {MAX_NUMBER:g} in size", self.text)
        return self.node("num", "num", tok.pos, value)

    def arith(self, op: Token, left: Node, right: Node) -> Node:
        for side in (left, right):
            if side.type != "num":
                raise _fail(side.pos, f"'{op.text}' works on numbers, not on {_what(side)}", self.text)
        return self.node("arith", "num", op.pos, op.text, (left, right))

    def compare(self, op: Token, left: Node, right: Node) -> Node:
        left, right = self.coerce(left, right, op), self.coerce(right, left, op)
        if left.type != right.type:
            raise _fail(right.pos, f"cannot compare {_what(left)} with {_what(right)}", self.text)
        if left.type in ("str", "class") and op.text not in ("==", "!="):
            raise _fail(op.pos, f"{_what(left)} can only be compared with == or !=", self.text)
        return self.node("compare", "bool", op.pos, op.text, (left, right))

    def coerce(self, node: Node, other: Node, where: Token) -> Node:
        """A string literal next to ``quality``/``item_class`` means that quality or class."""
        if node.kind != "str" or other.type not in ("quality", "class"):
            return node
        word = node.value.strip().lower()
        if other.type == "quality":
            if word not in QUALITIES:
                raise _fail(node.pos, f"unknown quality {node.value!r} (one of: {', '.join(QUALITIES)})", self.text)
            return Node("num", "quality", node.pos, float(QUALITIES.index(word)))
        if word not in CLASSES:
            raise _fail(node.pos, f"unknown item class {node.value!r} (e.g. {', '.join(list(CLASSES)[:6])})",
                        self.text)
        return Node("num", "class", node.pos, float(CLASSES[word]))

    def membership(self, left: Node, negate: bool, pos: int) -> Node:
        self.expect("[", "'[' to start the list after 'in'")
        items = [self.list_item(left)]
        while self.accept(","):
            items.append(self.list_item(left))
        self.expect("]", "']' to close the list")
        return self.node("in", "bool", pos, negate, (left, *items))

    def list_item(self, left: Node) -> Node:
        tok = self.tok
        if tok.kind not in ("number", "money", "string") and not (tok.kind == "op" and tok.text == "-"):
            raise self.error("a number or a quoted string in the list")
        item = self.coerce(self.unary(), left, tok)
        if left.type == "class" and item.type == "num":
            item = Node("num", "class", item.pos, item.value)
        if item.type != left.type or item.kind != "num" and item.kind != "str":
            plural = {"num": "numbers", "str": "quoted text", "quality": "qualities", "class": "item classes"}
            raise _fail(item.pos, f"the list after 'in' must hold only {plural[left.type]}", self.text)
        return item


def _what(node: Node) -> str:
    return {"num": "a number", "str": "text", "quality": "a quality", "class": "an item class",
            "bool": "a condition"}[node.type]


@dataclass(frozen=True)
class Criteria:
    """A compiled, type-checked condition."""

    text: str
    metrics: frozenset[str]
    root: Node

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """One bool per row: whether the condition holds (unknown counts as no; see the module doc)."""
        value, known = _Evaluator(frame).logic(self.root)
        holds: np.ndarray = value & known  # numpy types ``&`` of arrays as Any
        return holds

    def explain(self, frame: pd.DataFrame, row: int) -> str:
        """The values this condition read for one row, e.g. ``discount=0.42, sold_per_day=5.2``."""
        parts = []
        for metric in sorted(self.metrics):
            value = frame[metric].iloc[row] if metric in frame else None
            parts.append(f"{metric}={'missing' if value is None or pd.isna(value) else value}")
        return ", ".join(parts)


def parse_criteria(text: str) -> Criteria:
    if not isinstance(text, str):
        raise CriteriaError(1, "text", "criteria: must be text")
    if len(text) > MAX_LENGTH:
        raise CriteriaError(MAX_LENGTH + 1, "a shorter expression",
                            f"criteria: the expression is {len(text):,} characters; the limit is {MAX_LENGTH:,}")
    if not text.strip():
        raise CriteriaError(1, "a condition", "criteria: empty; write a condition such as discount >= 30%")
    parser = _Parser(text)
    root = parser.condition()
    if parser.tok.kind != "end":
        raise parser.error("the end of the condition (an operator or 'and'/'or' missing?)")
    if root.type != "bool":
        raise _fail(root.pos, "a rule's condition must compare something, e.g. discount > 30%", text)
    return Criteria(text, frozenset(_metrics(root)), root)


def parse_sort(text: str) -> tuple[str, bool]:
    """A rule's ``sort``: a numeric metric or quality, with a leading '-' for descending."""
    if not isinstance(text, str) or not text.strip():
        raise CriteriaError(1, "a metric", "sort: empty; write a metric such as -sold_per_day")
    word = text.strip()
    descending = word.startswith("-")
    name = word[1:].strip().lower() if descending else word.lower()
    if name not in METRICS or name in ("name", "item_class"):
        sortable = sorted(METRICS - {"name", "item_class"})
        close = difflib.get_close_matches(name, sortable, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f" (one of: {', '.join(sortable)})"
        raise CriteriaError(1, "a metric", f"sort: '{name}' is not a metric to sort by{hint}")
    return name, descending


def _metrics(node: Node) -> set[str]:
    found = {node.value} if node.kind == "metric" else set()
    for arg in node.args:
        found |= _metrics(arg)
    return found


class _Evaluator:
    """Whole-column evaluation: numbers as float arrays (NaN = missing), conditions as (value, known)."""

    cache: dict[str, np.ndarray]  # metric (and "name?": whether the name is known) → column

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame, self.n, self.cache = frame, len(frame), {}

    def column(self, metric: str) -> np.ndarray:
        if metric not in self.cache:
            if metric not in self.frame:
                self.cache[metric] = np.full(self.n, np.nan)
            elif metric == "quality":
                ranks = {q.upper(): float(i) for i, q in enumerate(QUALITIES)}
                self.cache[metric] = self.frame[metric].map(ranks).to_numpy(dtype=float, na_value=np.nan)
            elif metric == "name":
                lowered = self.frame[metric].astype("string").str.lower()
                self.cache["name?"] = lowered.notna().to_numpy(dtype=bool)
                self.cache[metric] = lowered.fillna("").to_numpy(dtype=object)
            else:
                series = pd.to_numeric(self.frame[metric], errors="coerce")
                self.cache[metric] = series.to_numpy(dtype=float, na_value=np.nan)
        return self.cache[metric]

    def number(self, node: Node) -> Any:
        if node.kind == "num":
            return node.value
        if node.kind == "metric":
            return self.column(node.value)
        if node.kind == "neg":
            return -self.number(node.args[0])
        if node.kind == "call":
            args = [np.broadcast_to(np.asarray(self.number(a), dtype=float), (self.n,)) for a in node.args]
            if node.value == "abs":
                return np.abs(args[0])
            stacked = np.vstack(args)
            reduce = np.min if node.value == "min" else np.max
            return np.where(np.isnan(stacked).any(axis=0), np.nan, reduce(stacked, axis=0))
        left, right = self.number(node.args[0]), self.number(node.args[1])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if node.value == "+":
                return left + right
            if node.value == "-":
                return left - right
            if node.value == "*":
                return left * right
            result = np.asarray(left / np.where(np.asarray(right) == 0, np.nan, right), dtype=float)
            return result

    def text(self, node: Node) -> tuple[Any, Any]:
        """Lowered text and whether it is known: a literal, or the name column."""
        if node.kind == "str":
            return node.value.lower(), True
        values = self.column("name")
        return values, self.cache["name?"]

    def logic(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        if node.kind == "not":
            value, known = self.logic(node.args[0])
            return ~value, known
        if node.kind == "bool":
            (a, ka), (b, kb) = self.logic(node.args[0]), self.logic(node.args[1])
            if node.value == "and":
                return a & b, (ka & kb) | (ka & ~a) | (kb & ~b)
            return a | b, (ka & kb) | (ka & a) | (kb & b)
        if node.kind == "in":
            return self.membership(node)
        return self.compare(node)

    def compare(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        left, right = node.args
        if left.type == "str":
            (a, known_a), (b, known_b) = self.text(left), self.text(right)
            known = np.broadcast_to(np.asarray(known_a) & np.asarray(known_b), (self.n,))
            equal = np.broadcast_to(np.asarray(a == b, dtype=bool), (self.n,))
            value = equal if node.value == "==" else ~equal
            return value & known, known.copy()
        a = np.broadcast_to(np.asarray(self.number(left), dtype=float), (self.n,))
        b = np.broadcast_to(np.asarray(self.number(right), dtype=float), (self.n,))
        known = ~(np.isnan(a) | np.isnan(b))
        with np.errstate(invalid="ignore"):
            value = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
                     "==": np.equal, "!=": np.not_equal}[node.value](a, b)
        return value & known, known

    def membership(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        operand, *items = node.args
        if operand.type == "str":
            column, known_text = self.text(operand)
            known = np.broadcast_to(np.asarray(known_text), (self.n,)).copy()
            found = np.broadcast_to(np.isin(np.asarray(column, dtype=object), [i.value.lower() for i in items]),
                                    (self.n,))
        else:
            column = np.broadcast_to(np.asarray(self.number(operand), dtype=float), (self.n,))
            known = ~np.isnan(column)
            found = np.isin(column, [float(self.number(i)) for i in items])
        value = ~found if node.value else found
        return value & known, known
