"""Reading Battle.net's product.db: the WoW installs come out, everything else is skipped, and bytes that are
not a product database are refused with a reason."""

from __future__ import annotations

import pytest
from wow_trees import field, message, product_db, product_install

from tsmsyncd.wow.productdb import ProductDbError, read_product_db, wow_installs


def test_wow_installs_come_out_with_their_path_and_flavor_folder() -> None:
    data = product_db(product_install("wow", "C:/Program Files (x86)/World of Warcraft", "_retail_"),
                      product_install("wow_classic_era", "D:/Games/World of Warcraft", "_classic_era_"))
    found = wow_installs(data)
    assert [(p.product_code, p.install_path, p.flavor_folder) for p in found] == [
        ("wow", "C:/Program Files (x86)/World of Warcraft", "_retail_"),
        ("wow_classic_era", "D:/Games/World of Warcraft", "_classic_era_"),
    ]


def test_other_products_are_listed_but_not_taken_for_wow() -> None:
    data = product_db(product_install("pro", "C:/Overwatch", "_retail_"), product_install("wowt", "E:/WoW PTR"))
    assert {p.product_code for p in read_product_db(data)} == {"agent", "pro", "wowt"}
    assert [p.install_path for p in wow_installs(data)] == ["E:/WoW PTR"]


def test_an_install_without_a_path_is_skipped() -> None:
    data = product_db(message(field(1, "wow_uid"), field(2, "wow")))
    assert read_product_db(data)[1].install_path == ""
    assert wow_installs(data) == []


def test_non_ascii_paths_decode() -> None:
    path = "D:/游戏/魔兽世界"
    assert wow_installs(product_db(product_install("wow", path)))[0].install_path == path


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x0a\x05abc", "past the end"),  # a length that runs past the data
        (b"\x0b\x00", "wire type 3"),  # a deprecated group
        (b"\x0a" + b"\xff" * 11, "longer than ten bytes"),
        (field(1, message(field(2, b"\xff\xfe"))), "not UTF-8"),
        (field(1, 7), "not a message"),
        (b"\x00\x01", "field number 0"),
        (b"<html>not a database</html>", "wire type 4"),  # text read as protobuf: "<" is field 7, a group end
    ],
)
def test_bytes_that_are_not_a_product_db_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ProductDbError, match=reason):
        read_product_db(data)
