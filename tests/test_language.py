"""Language detection: English only when clearly English; explicit requests always win."""

from __future__ import annotations

import pytest

from bot import language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how do i get out of the gang", "en"),
        ("is this chat anonymous, will the police read it?", "en"),
        ("hur gör jag för att hoppa av", "sv"),
        ("ja e skyldig dom para", "sv"),
        ("english please", "en"),
        ("kan vi prata engelska", "en"),
        ("på svenska tack", "sv"),
        ("pa svenska", "sv"),
        ("i dont speak swedish", "en"),
        ("ja förstår inte engelska", "sv"),
        ("ok", None),
        ("👍", None),
        ("", None),
    ],
)
def test_detect(text: str, expected: str | None) -> None:
    assert language.detect(text) == expected


def test_short_english_words_do_not_flip_a_swedish_conversation() -> None:
    assert language.detect("ok thanks") is None
    assert language.detect("yes") is None
