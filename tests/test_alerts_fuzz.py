"""Fuzzing the alert readers with mutated real CAP samples.

The property: reading any bytes either succeeds or raises :class:`InputError` with a one-line message.
Nothing else may escape (TypeError, ValueError, RecursionError, UnicodeError, KeyError, IndexError ...),
since the command line shows an InputError as one line and anything else as a crash.

Each example is a real sample from ``tests/data/cap`` with one to five mutations applied: byte flips,
deletions, truncation, hostile fragments (DTDs, entity references, CDATA markers, invalid UTF-8, NULs),
deep runs of open tags, duplicated elements, swapped tag names, odd field values, fragments grafted
between tags, another encoding named in the declaration, or the whole document re-encoded.
The mutations are those of :mod:`cinealert.alerts.fuzz` (``bench/fuzz_alerts.py`` uses the same engine);
``-m slow`` runs many more examples.
"""
from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cinealert.alerts.fuzz import CODECS, ENCODING_NAMES, FRAGMENTS, KINDS, VALUES, RandomMutator, mutate
from cinealert.alerts.xmlsafe import parse_xml
from cinealert.errors import InputError

CAP_DIR = Path(__file__).parent / "data" / "cap"
SAMPLES = {p.name: p.read_bytes() for p in sorted(CAP_DIR.glob("*.xml"))}

positions = st.integers(min_value=0, max_value=1 << 20)
OPS = st.one_of(
    st.tuples(st.just("flip"), positions, st.integers(1, 255)),
    st.tuples(st.just("delete"), positions, st.integers(1, 64)),
    st.tuples(st.just("insert"), positions, st.sampled_from(FRAGMENTS)),
    st.tuples(st.just("insert"), positions, st.binary(min_size=1, max_size=12)),
    st.tuples(st.just("truncate"), positions),
    st.tuples(st.just("deep"), positions, st.integers(1, 3000), st.booleans()),
    st.tuples(st.just("duplicate"), st.integers(0, 500), st.integers(1, 50)),
    st.tuples(st.just("swap"), st.integers(0, 500), st.integers(0, 500)),
    st.tuples(st.just("retext"), st.integers(0, 500), st.sampled_from(VALUES) | st.text(max_size=40)),
    st.tuples(st.just("graft"), st.integers(0, 500), st.sampled_from(FRAGMENTS)),
    st.tuples(st.just("declare"), st.sampled_from(ENCODING_NAMES)),
    st.tuples(st.just("transcode"), st.sampled_from(CODECS), st.booleans(), st.booleans()),
)


@st.composite
def mutated_samples(draw) -> bytes:
    data = SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))]
    for op in draw(st.lists(OPS, min_size=1, max_size=5)):
        data = mutate(data, op)
    return data


def check_message(error: InputError) -> None:
    message = str(error)
    assert message.strip(), "an InputError with an empty message"
    assert "\n" not in message and "\r" not in message, f"not one line: {message!r}"


# --------------------------------------------------------------------------------------------------
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
              HealthCheck.filter_too_much]
DEFAULT = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                   suppress_health_check=SUPPRESSED)
SLOW = settings(max_examples=20_000, deadline=None, derandomize=False, database=None,
                suppress_health_check=SUPPRESSED)


def _parse_xml_property(data: bytes) -> None:
    try:
        root = parse_xml(data)
    except InputError as e:
        check_message(e)
        assert len(str(e)) < 400, str(e)
    else:
        assert isinstance(root, Element)


def _read_bytes_property(data: bytes) -> None:
    from cinealert.alerts import Alert, read_bytes
    try:
        alert = read_bytes(data)
    except InputError as e:
        check_message(e)
    else:
        assert isinstance(alert, Alert)


@DEFAULT
@given(mutated_samples())
def test_parse_xml_survives_mutated_samples(data):
    _parse_xml_property(data)


@DEFAULT
@given(mutated_samples())
def test_read_bytes_survives_mutated_samples(data):
    _read_bytes_property(data)


@pytest.mark.slow
@SLOW
@given(mutated_samples())
def test_parse_xml_survives_many_mutated_samples(data):
    _parse_xml_property(data)


@pytest.mark.slow
@SLOW
@given(mutated_samples())
def test_read_bytes_survives_many_mutated_samples(data):
    _read_bytes_property(data)


# --------------------------------------------------------------------------------------------------
def test_mutations_do_what_they_say():
    sample = b"<?xml version='1.0' encoding='UTF-8'?><alert><a>1</a><b>2</b></alert>"
    assert mutate(sample, ("flip", 1, 0x20)).startswith(b"<\x1fxml")
    assert mutate(sample, ("truncate", 10)) == sample[:10]
    assert mutate(sample, ("delete", 0, 5)) == sample[5:]
    assert mutate(sample, ("insert", 0, b"X")) == b"X" + sample
    assert b"<a>1</a><a>1</a><a>1</a>" in mutate(sample, ("duplicate", 0, 2))
    assert mutate(sample, ("swap", 2, 2)) == sample
    swapped = mutate(sample, ("swap", 1, 2))
    assert b"<b>1</a><a>2</b>" in swapped
    assert b"encoding='base64'" in mutate(sample, ("declare", "base64"))
    assert mutate(b"<a/>", ("declare", "GBK")) == b"<?xml version='1.0' encoding='GBK'?><a/>"
    assert mutate(b"<?xml version='1.0'?><a/>", ("declare", "GBK")) == b"<?xml version='1.0' encoding='GBK'?><a/>"
    assert mutate(sample, ("transcode", "utf-16-le", True, True)).startswith(b"\xff\xfe<\x00?\x00")
    assert mutate(b"<r/>", ("deep", 2, 2, True)) == b"<r<a><a></a></a>/>"
    assert b"<b>&lt;x &amp; y</b>" in mutate(sample, ("retext", 1, "<x & y"))
    assert mutate(b"<r><a/></r>", ("graft", 1, b"<b/>")) == b"<r><a/><b/></r>"


def test_every_kind_is_drawn_and_the_same_seed_gives_the_same_inputs():
    sample = SAMPLES[sorted(SAMPLES)[0]]
    first, second = RandomMutator(3), RandomMutator(3)
    runs = [[m(sample) for _ in range(200)] for m in (first, second)]
    assert runs[0] == runs[1]
    assert {op[0] for _, ops in runs[0] for op in ops} == set(KINDS)
    assert any(data != sample for data, _ in runs[0])
    with pytest.raises(ValueError, match="unknown mutation"):
        mutate(sample, ("melt", 1))


def test_every_sample_is_read_by_parse_xml():
    for name, data in SAMPLES.items():
        assert isinstance(parse_xml(data), Element), name
