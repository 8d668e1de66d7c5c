"""What a player tracks: validated field by field (the refusal names the field), merged when tracked again."""

from __future__ import annotations

import pytest

from tsmsyncd.errors import FieldError
from tsmsyncd.market.watchitem import merge, parse_changes, parse_item, parse_items


def test_a_tracked_item_reads_tsm_money_and_defaults_the_rest() -> None:
    item = parse_item({"item": "i:190396", "max_price": "120g", "realms": [3678, 57, 3678]})
    assert (item.max_price, item.amount, item.realms, item.list) == (1_200_000, 1, (3678, 57), "")
    assert item.as_json()["max_price_text"] == "120g"


def test_realms_default_to_the_ones_given_and_are_required_otherwise() -> None:
    assert parse_items({"item": "i:1", "max_price": "1g"}, default_realms=[4])[0].realms == (4,)
    with pytest.raises(FieldError) as caught:
        parse_items({"item": "i:1", "max_price": "1g"})
    assert caught.value.field == "realms"


def test_tracking_it_again_unites_realms_and_keeps_the_lower_price_and_larger_amount() -> None:
    old = parse_item({"item": "i:1", "max_price": "50g", "realms": [4], "amount": 2})
    new = parse_item({"item": "i:1", "max_price": "40g", "realms": [5, 4], "amount": 1})
    merged = merge(old, new)
    assert (merged.realms, merged.max_price, merged.amount) == ((4, 5), 400_000, 2)


def test_a_change_keeps_the_item_and_checks_the_rest() -> None:
    current = parse_item({"item": "i:1", "max_price": "50g", "realms": [4]})
    assert parse_changes(current, {"amount": 7}).amount == 7
    for changes, field in (({"item": "i:2"}, "item"), ({"max_price": "-3g"}, "max_price"), ({"realms": []}, "realms")):
        with pytest.raises(FieldError) as caught:
            parse_changes(current, changes)
        assert caught.value.field == field


@pytest.mark.parametrize(("doc", "field"), [
    ([], "item"), ({"item": "i:0", "max_price": "1g", "realms": [4]}, "item"),
    ({"item": "i:1", "realms": [4]}, "max_price"), ({"item": "i:1", "max_price": "0c", "realms": [4]}, "max_price"),
    ({"item": "i:1", "max_price": "1g", "realms": [4], "price": 3}, "price"),
    ({"item": "i:1", "max_price": "1g", "realms": ["4"]}, "realms[0]"),
    ({"item": "i:1", "max_price": "1g", "realms": [4], "specs": {"bonus_ids": [1] * 21}}, "specs.bonus_ids"),
    ({"item": "i:1", "max_price": "1g", "realms": [4], "specs": {"colour": "red"}}, "specs.colour"),
    ({"item": "i:1", "max_price": "1g", "realms": [4], "list": "x" * 61}, "list"),
])
def test_each_bad_field_is_named(doc: object, field: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_item(doc)
    assert caught.value.field == field
