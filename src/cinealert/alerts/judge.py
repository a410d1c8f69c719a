"""How cinealert decides what an alert means: its disaster type, its level (and the sender's own colour),
whether an Update ends the warning, which ``<info>`` block leads and which alert of a file is drawn.

Every decision is kept as a *why* record (``Alert.why``, in ``report.json`` and ``cinealert inspect --json``)::

    {"decision": "type", "value": "thunderstorm", "because": "eventCode SAME = SVR",
     "evidence": [{"source": "eventCode", "name": "SAME", "value": "SVR"}]}

Evidence is weighed in this order, and a weaker kind is used only when no stronger one names a type:
event codes (the sender's own scheme: TTA, SAME, NWS, CAP-CP, the WMO/OASIS event terms), the MeteoAlarm
``awareness_type`` parameter and the NWS VTEC phenomenon, the ``<event>`` text, the ``<headline>``, and
last the ``<description>``. A type guessed from the description must not come from the sender's own name
("… Fire Service") and must not be outweighed by an event or description that names a kind without a
picture (a motor-vehicle accident): then the alert is refused rather than drawn wrong.

The codes and words are data (``cinealert/data/event_terms.json``, read by :mod:`cinealert.disasters`).
"""
from __future__ import annotations

import re

from cinealert.alerts.model import Alert, Info
from cinealert.disasters import (DISASTERS, TERMS, DisasterType, detect_disaster, detect_level,
                                 detect_non_visual, disaster_for_code, level_for_code)

SEVERITY_RANK = {"Extreme": 4, "Severe": 3, "Moderate": 2, "Minor": 1, "Unknown": 0}
URGENCY_RANK = {"Immediate": 4, "Expected": 3, "Future": 2, "Past": 0, "Unknown": 1}

_VTEC = re.compile(r"/[OTEX]\.(\w{3})\.\w{4}\.(\w\w)\.(\w)\.")
_LEVEL_PARAMS = {p.casefold() for p in TERMS["level_parameters"]}
_COLOURS = {c.casefold(): lv for c, lv in TERMS["colour_levels"].items()}
_ENGLISH_COLOUR = {"verde": "green", "amarillo": "yellow", "naranja": "orange", "rojo": "red", "grün": "green",
                   "gelb": "yellow", "rot": "red", "vert": "green", "jaune": "yellow", "rouge": "red"}
_ENDING = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in sorted(TERMS["ending_words"], key=len,
                                                                             reverse=True)) + r")(?!\w)", re.I)
_AGENCY = re.compile(r"(?:\b[A-Z][\w.&'-]*\s+){1,5}(?:" + "|".join(TERMS["agency_nouns"]) + r")\b", re.I)


def record(decision: str, value, because: str, *evidence: dict) -> dict:
    return {"decision": decision, "value": value, "because": because, "evidence": list(evidence)}


def _ev(source: str, value: str, name: str | None = None) -> dict:
    out = {"source": source, "value": value[:120]}
    if name:
        out["name"] = name[:80]
    return out


# ------------------------------------------------------------------------------------------------ type
def _from_codes(info: Info) -> tuple[DisasterType | None, dict | None]:
    for name, value in info.event_codes:
        found = disaster_for_code(value, name)
        if found is not None:
            return found, record("type", found.key, f"eventCode {name} = {value}", _ev("eventCode", value, name))
    return None, None


def _from_parameters(info: Info) -> tuple[DisasterType | None, dict | None, str | None]:
    """MeteoAlarm ``awareness_type`` ("3; Thunderstorm") and NWS VTEC ("/O.NEW.KTOP.SV.W.0001...")."""
    for name, value in info.parameters:
        key = None
        if name.casefold() == "awareness_type":
            key = TERMS["meteoalarm_awareness_type"].get(value.split(";")[0].strip())
        elif name.casefold() == "vtec" and (m := _VTEC.search(value)):
            key = TERMS["vtec_phenomena"].get(m.group(2))
        if key is None:
            continue
        if key.startswith("-"):
            return None, record("type", None, f"parameter {name} = {value}: {key[1:]} has no picture",
                                _ev("parameter", value, name)), key[1:]
        return DISASTERS[key], record("type", key, f"parameter {name} = {value}", _ev("parameter", value, name)), None
    return None, None, None


def _strip_agencies(text: str, sender_name: str) -> str:
    """``text`` without the sender's name and agency names ("NSW Rural Fire Service"): a word there
    names who sends, not what happens."""
    if sender_name:
        text = text.replace(sender_name, " ")
    return _AGENCY.sub(" ", text)


def classify_info(info: Info) -> tuple[DisasterType | None, list[dict]]:
    """The disaster type of one ``<info>`` block and the why records of the decision."""
    found, why = _from_codes(info)
    if found is not None:
        return found, [why]
    found, why, nv = _from_parameters(info)
    if found is not None or nv:
        return found, [why]
    for source, text in (("event", info.event), ("headline", info.headline)):
        found = detect_disaster(text)
        if found is not None:
            return found, [record("type", found.key, f"<{source}> {text[:80]!r}", _ev(source, text))]
    for source, text in (("event", info.event), ("headline", info.headline)):
        nv = detect_non_visual(text)
        if nv:
            return None, [record("type", None, f"<{source}> names {nv}, which has no picture", _ev(source, text))]
    text = _strip_agencies(info.description, info.sender_name)
    nv = detect_non_visual(text)
    if nv:
        return None, [record("type", None, f"the description names {nv}, which has no picture; nothing "
                                           f"outweighs it", _ev("description", nv))]
    found = detect_disaster(text)
    if found is None:
        return None, []
    cats = [c for c in info.categories if c not in ("Other", "")]
    if cats and found.cap_category not in cats and not (found.cap_category == "Met" and "Env" in cats):
        return None, [record("type", None, f"the description suggests {found.key}, but the category "
                                           f"{'/'.join(cats)} does not fit it: refused rather than drawn wrong",
                             _ev("description", found.key), _ev("category", "/".join(cats)))]
    return found, [record("type", found.key, "guessed from the description (no code, event or headline "
                                             "names a type)", _ev("description", found.key))]


# ----------------------------------------------------------------------------------------------- level
def colour_of(info: Info) -> tuple[str | None, str | None, dict | None]:
    """``(level, colour, why)`` from a colour parameter (MeteoAlarm ``awareness_level`` "2; yellow;
    Moderate", GDACS ``alertlevel`` "Orange", ``Color`` "Yellow"), or Nones."""
    for name, value in info.parameters:
        if name.casefold() not in _LEVEL_PARAMS:
            continue
        for word in re.split(r"[\s;,]+", value.casefold()):
            if word in _COLOURS:
                colour = _ENGLISH_COLOUR.get(word, word)
                return _COLOURS[word], colour, record("level", _COLOURS[word], f"parameter {name} = {value} "
                                                      f"(the sender's colour: {colour})", _ev("parameter", value, name))
    return None, None, None


def level_of(info: Info) -> tuple[str | None, str | None, dict | None]:
    """``(level, sender colour, why)`` of one block."""
    level, colour, why = colour_of(info)
    if level:
        return level, colour, why
    for name, code in info.event_codes:
        level = level_for_code(code, name)
        if level:
            return level, None, record("level", level, f"eventCode {name} = {code}", _ev("eventCode", code, name))
    for name, value in info.parameters:
        if name.casefold() == "vtec" and (m := _VTEC.search(value)):
            level = TERMS["vtec_significance"].get(m.group(3))
            if level:
                return level, None, record("level", level, f"VTEC significance {m.group(3)}", _ev("parameter", value, name))
    for source, text in (("event", info.event), ("headline", info.headline)):
        level = detect_level(text)
        if level:
            return level, None, record("level", level, f"<{source}> {text[:80]!r}", _ev(source, text))
    return None, None, None


# ---------------------------------------------------------------------------------------------- ending
def ending_of(alert: Alert) -> dict | None:
    """A why record when an Update ends the warning (responseType AllClear, or its event or headline says
    cancelled, ended, lifted, lowered...): it is reported, not drawn as a new warning."""
    if alert.msg_type != "Update" or not alert.infos:
        return None
    info = alert.info
    if "AllClear" in info.response_types:
        return record("ending", True, "an Update with responseType AllClear: the warning has ended",
                      _ev("responseType", "AllClear"))
    for source, text in (("event", info.event), ("headline", info.headline)):
        m = _ENDING.search(text or "")
        if m:
            return record("ending", True, f"an Update whose {source} says {m.group(1)!r}", _ev(source, text))
    return None


# ------------------------------------------------------------------------------------------- choosing
def rank(alert: Alert) -> tuple:
    """Higher is drawn first: pictured and new, then severity, then urgency, then file order."""
    drawable = alert.disaster is not None and alert.makes_media
    return (drawable, SEVERITY_RANK.get(alert.severity, 0), URGENCY_RANK.get(alert.urgency, 1), -alert.position)


def choose_among(alerts: list[Alert]) -> tuple[Alert, dict | None]:
    """The alert to draw and, for a file of several, the why record of the choice."""
    pick = max(alerts, key=rank)
    if len(alerts) == 1:
        return pick, None
    drawable = [a for a in alerts if a.disaster is not None and a.makes_media]
    if not drawable:
        because = f"none of the {len(alerts)} alerts has a picture; #{pick.position + 1} is reported"
    else:
        because = (f"#{pick.position + 1} of {len(alerts)}: {len(drawable)} have a picture; this one has "
                   f"severity {pick.severity}, urgency {pick.urgency} (the highest, then the first)")
    skipped = [_ev(f"alert #{a.position + 1}", f"{a.event or '(no event)'}: "
                   f"{a.disaster or 'no picture'}, {a.severity}/{a.urgency}") for a in alerts if a is not pick][:8]
    return pick, record("alert", f"#{pick.position + 1}", because, *skipped)
