"""The taxonomy is data (src/cinealert/data/taxonomy.yaml): read and checked when cinealert.disasters is
imported, and a malformed entry is an error that names the file, the entry and the field."""
from __future__ import annotations

import re

import pytest

from cinealert import disasters
from cinealert.disasters import DISASTERS, EVENT_CODES, TaxonomyError, load_taxonomy

TEXT = disasters._read_data("taxonomy.yaml")


def test_the_package_file_is_what_the_module_serves():
    specs, codes = load_taxonomy(TEXT)
    assert [s.key for s in specs] == list(DISASTERS)
    assert tuple(codes) == EVENT_CODES
    assert {"thunderstorm", "flood", "dry_weather"} <= set(DISASTERS)
    assert DISASTERS["flood"].names["ko"] == "홍수" and "hochwasser" in DISASTERS["flood"].words["de"]
    hra = next(c for c in EVENT_CODES if c.scheme == "tta" and c.code == "HRA")
    assert (hra.disaster, hra.level, hra.confirmed) == ("heavy_rain", "advisory", True)
    assert any(c.non_visual for c in EVENT_CODES) and any(not c.confirmed for c in EVENT_CODES)
    assert "no" in DISASTERS["flood"].words                # Norwegian, not YAML's boolean false


def _first_type(text: str) -> tuple[int, int]:
    start = text.index("  - key: flood")
    return start, text.index("  - key: ", start + 5)


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.replace("scene: flood", "scene: lava", 1), ["types.0 (flood).scene"]),
    (lambda t: t.replace("regions: [water, cloud]", "regions: [water, magma]", 1), ["types.0 (flood).regions"]),
    (lambda t: t.replace('"ko": "홍수", ', "", 1), ["types.0 (flood).names", "needs a name in ko"]),
    (lambda t: t.replace("    motion: ", "    moton: ", 1), ["types.0 (flood).motion: Field required"]),
    (lambda t: t.replace('["HRA", "heavy_rain", advisory', '["HRA", "heavy_rian", advisory', 1),
     ["event code tta HRA", "heavy_rian"]),
    (lambda t: t.replace('["HRA", "heavy_rain", advisory', '["HRA", "heavy_rain", severe', 1),
     ["event_codes.tta.confirmed"]),
    (lambda t: t.replace("types:\n", "types:\n" + t[slice(*_first_type(t))], 1), ["'flood' is listed twice"]),
    (lambda t: t.replace("types:", "types: [", 1), ["not valid YAML"]),
])
def test_a_malformed_entry_is_named(edit, words):
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(edit(TEXT), "taxonomy.yaml")
    message = str(err.value)
    assert message.startswith("taxonomy.yaml") and "\n" not in message, message
    for w in words:
        assert w in message, message


def test_adding_a_type_is_an_edit_to_data():
    start, end = _first_type(TEXT)
    entry = TEXT[start:end].replace("key: flood", "key: glacier_flood", 1)
    specs, _ = load_taxonomy(TEXT.replace("types:\n", "types:\n" + entry, 1))
    assert specs[0].key == "glacier_flood" and specs[0].scene == "flood"
    assert re.search(r"(?m)^  - key: \w+$", TEXT)
