"""Validation of CAP messages against the bundled OASIS schemas (CAP 1.1 and 1.2).

Validation is a quality report, not a gate: real feeds often break the schema in harmless ways (an empty
``<urgency/>``, a signature with an odd ``Id``) and still carry a usable alert. The schemas are read from
the package, never from the network; ``xsi:schemaLocation`` hints in a message are ignored.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from xml.etree.ElementTree import Element

#: CAP namespace → version of the bundled schema that checks it.
SCHEMA_VERSIONS = {
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
    "urn:oasis:names:tc:emergency:cap:1.2": "1.2",
}

#: At most this many problems are listed per message.
MAX_REPORTED = 10


@lru_cache(maxsize=None)
def _schema(version: str):
    import xmlschema

    path = resources.files("cinealert.alerts").joinpath(f"schemas/CAP-v{version}.xsd")
    with resources.as_file(path) as file:
        return xmlschema.XMLSchema(str(file))


def schema_version_for(alert: Element) -> str | None:
    """The bundled schema version for ``alert``'s namespace, or None when no schema applies."""
    tag = alert.tag if isinstance(alert.tag, str) else ""
    ns = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    return SCHEMA_VERSIONS.get(ns)


def validate(alert: Element, version: str | None = None) -> list[str]:
    """Schema problems of the ``<alert>`` element, one line each (empty when valid).

    Args:
        alert: the ``<alert>`` element, already parsed safely.
        version: ``"1.1"`` or ``"1.2"``; by default the one its namespace names. Raises ``ValueError``
            when neither is known (CAP 1.0 and misspelt namespaces have no bundled schema).
    """
    version = version or schema_version_for(alert)
    if version not in ("1.1", "1.2"):
        raise ValueError(f"no bundled CAP schema for this message (namespace of <{alert.tag}>)")
    problems: list[str] = []
    for error in _schema(version).iter_errors(alert):
        problems.append(_describe(error))
        if len(problems) >= MAX_REPORTED:
            problems.append("(more problems not listed)")
            break
    return problems


def _describe(error) -> str:
    path = getattr(error, "path", None) or ""
    where = "/".join(part.rsplit("}", 1)[-1] for part in path.split("/") if part)
    reason = " ".join(str(getattr(error, "reason", None) or error).split())
    return f"{where or 'alert'}: {reason}"[:300]
