"""Validation of CAP messages against the bundled OASIS schemas (CAP 1.1 and 1.2).

Validation is a quality report, not a gate: real feeds often break the schema in harmless ways (an empty
``<urgency/>``, a signature with an odd ``Id``) and still carry a usable alert. The schemas are read from
the package, never from the network; ``xsi:schemaLocation`` hints in a message are ignored.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path
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
    """The bundled schema, built once per process; between processes it is kept, pickled, in the cache folder
    (building XML Schema's own meta-schema is most of the cost), named for the schema's bytes and the
    xmlschema and Python versions, so that any change builds it again."""
    import xmlschema

    path = resources.files("cinealert.alerts").joinpath(f"schemas/CAP-v{version}.xsd")
    with resources.as_file(path) as file:
        key = hashlib.sha256(Path(file).read_bytes()).hexdigest()[:16]
        cached = cache_folder() / (f"CAP-v{version}-{key}-xmlschema{xmlschema.__version__}"
                                   f"-py{sys.version_info[0]}.{sys.version_info[1]}.pickle")
        try:
            schema = pickle.loads(cached.read_bytes())
            if isinstance(schema, xmlschema.XMLSchemaBase):
                return schema
        except Exception:              # missing, unreadable or from another build: build it again
            pass
        schema = xmlschema.XMLSchema(str(file))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        part = cached.with_name(f"{cached.name}.{os.getpid()}.part")
        part.write_bytes(pickle.dumps(schema, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(part, cached)
    except Exception:                  # a read-only home: build it in every process
        pass
    return schema


def cache_folder() -> Path:
    """Where cinealert keeps what it can build again: ``$CINEALERT_CACHE``, else ``$XDG_CACHE_HOME/cinealert``,
    else ``~/.cache/cinealert``."""
    if os.environ.get("CINEALERT_CACHE"):
        return Path(os.environ["CINEALERT_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "cinealert"


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
