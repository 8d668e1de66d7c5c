"""Strict JSON for every document we read (issue 10, classes 5 and 6)."""

from __future__ import annotations

import pytest

from tsmsyncd.jsondoc import JsonDocError, parse


@pytest.mark.parametrize(("text", "phrase"), [
    ('{"root": "A", "root": "Herbs"}', "has the key 'root' twice"),
    ('{"a": {"b": 1, "b": 2}}', "has the key 'b' twice"),
    ('{"x": NaN}', "holds NaN"),
    ('[Infinity]', "holds Infinity"),
    ('[-Infinity]', "holds -Infinity"),
    ("[" + "9" * 400 + "]", "a number with 400 digits"),
    ("[" + "9" * 5000 + "]", "a number with 5,000 digits"),
    ("[" * 100_000, "nests more than 64 levels deep"),
    ('{"a": ' * 100_000, "nests more than 64 levels deep"),
    ("{oops}", "is not valid JSON (line 1, column 2"),
    (b"\xff\xfe{}", "is not UTF-8 text"),
])
def test_what_python_json_would_accept_or_crash_on_is_refused_with_one_phrase(text: str | bytes, phrase: str) -> None:
    with pytest.raises(JsonDocError, match=phrase.replace("(", r"\(").replace("[", r"\[")):
        parse(text)


def test_ordinary_documents_and_brackets_inside_strings() -> None:
    assert parse('{"where": "[[[[[[ ]]]", "n": -3, "f": 1.5e3}') == {"where": "[[[[[[ ]]]", "n": -3, "f": 1500.0}
    assert parse("\ufeff[1]".encode()) == [1]
    assert parse('["\\"[[[["]') == ['"[[[[']
