"""Alerts from a bare disaster keyword (``flood``, ``대설``) or a line of free text (``호우경보 발령``)."""
from __future__ import annotations

import re

from cinealert.alerts.model import Alert, Info
from cinealert.disasters import DISASTERS, DisasterType, detect_disaster, detect_level, get_disaster
from cinealert.errors import InputError

#: Longest headline kept from free text.
MAX_HEADLINE = 200

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def has_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text or ""))


def available_types() -> str:
    return ", ".join(DISASTERS)


def trim_text(text: str, limit: int = MAX_HEADLINE) -> str:
    """``text`` on one line, at most ``limit`` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,.;:") + "…"


class KeywordParser:
    """Reads a disaster keyword (key, alias, English or Korean name) or a sentence of free text."""

    name = "keyword"
    summary = "a disaster keyword (flood, 대설) or a line of free text in Korean or English"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return True, "built in"

    def parse(self, text: str, *, lang: str | None = None) -> Alert:
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}.")
        text = text.replace("\ufeff", "").strip()
        if not text:
            raise InputError(
                "empty alert text: give a CAP file, a disaster type or a sentence. "
                f"Available types: {available_types()}."
            )
        korean = has_hangul(text)
        language = "ko" if korean else (lang or "en")

        keyword = self._keyword(text)
        if keyword is not None:
            return Alert(source="keyword", disaster=keyword.key,
                         infos=[Info(language=language, event=self._event(keyword, language))])

        disaster = detect_disaster(text)
        if disaster is None:
            shown = trim_text(text, 60)
            raise InputError(
                f"cannot tell which disaster {shown!r} is about. Available types: {available_types()}."
            )
        headline = trim_text(text)
        info = Info(language=language, event=self._event(disaster, language), headline=headline,
                    description=text if headline != " ".join(text.split()) else "")
        return Alert(source="text", disaster=disaster.key, level=detect_level(text), infos=[info])

    @staticmethod
    def _keyword(text: str) -> DisasterType | None:
        if len(text) > 40 or "\n" in text:
            return None
        try:
            return get_disaster(text)
        except InputError:
            pass
        # "heavy-snow", "Heavy_Snow", "HEAVY SNOW": normalise separators and try again
        norm = re.sub(r"[\s_\-]+", " ", text).strip()
        if norm != text:
            try:
                return get_disaster(norm)
            except InputError:
                return None
        return None

    @staticmethod
    def _event(disaster: DisasterType, language: str) -> str:
        return disaster.name_ko if language.lower().startswith("ko") else disaster.name_en
