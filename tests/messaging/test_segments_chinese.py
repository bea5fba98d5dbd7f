"""Chinese texts are UCS-2: 70 characters in one segment, 67 per part when split, and a split never
cuts a character (an emoji is a surrogate pair: two units that must travel together)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from messaging.segments import count_segments, split_segments
from messaging.templates import catalogue
from tests.conftest import World
from tests.web.signin import login

HAN = "动"  # one BMP character: one UTF-16 unit
EMOJI = "💪"  # outside the BMP: a surrogate pair, two units


def _units(part: str) -> int:
    return len(part.encode("utf-16-le")) // 2


def test_seventy_chinese_characters_are_one_segment_and_seventy_one_are_two() -> None:
    assert count_segments(HAN * 70).to_json() == {
        "encoding": "UCS-2",
        "units": 70,
        "segments": 1,
        "per_segment": 70,
    }
    assert count_segments(HAN * 71).to_json() == {
        "encoding": "UCS-2",
        "units": 71,
        "segments": 2,
        "per_segment": 67,
    }
    assert [len(p) for p in split_segments(HAN * 71)] == [67, 4]
    assert count_segments(HAN * 134).segments == 2
    assert count_segments(HAN * 135).segments == 3


def test_an_emoji_counts_two_units_and_is_never_cut_in_two() -> None:
    assert count_segments(HAN * 68 + EMOJI).segments == 1  # 70 units
    assert count_segments(HAN * 69 + EMOJI).segments == 2  # 71 units
    # The emoji would straddle units 67 and 68: it moves whole to the second part, so the first
    # carries 66 units, and 134 units need three parts, not the two that 134 / 67 suggests.
    text = HAN * 66 + EMOJI + HAN * 66
    assert _units(text) == 134
    parts = split_segments(text)
    assert [_units(p) for p in parts] == [66, 67, 1]
    assert parts[1].startswith(EMOJI)
    assert count_segments(text).segments == 3
    assert "".join(parts) == text


def test_one_latin_letter_among_chinese_is_still_ucs2() -> None:
    assert count_segments("好 OK").encoding == "UCS-2"
    assert count_segments("a" * 160).to_json()["segments"] == 1
    assert count_segments("a" * 159 + "€").segments == 2  # the euro sign takes two septets
    # 152 plain septets and then an escaped one: the escape pair moves whole to the next part.
    assert [len(p) for p in split_segments("a" * 152 + "€" + "a" * 10)] == [152, 11]


@given(st.text(alphabet=st.sampled_from(["动", "好", "a", "1", " ", "💪", "€", "é"]), max_size=400))
def test_every_part_fits_its_segment_and_the_parts_make_the_text(text: str) -> None:
    parts = split_segments(text)
    assert "".join(parts) == text
    count = count_segments(text)
    assert count.segments == len(parts)
    for part in parts:
        part.encode("utf-16-le")  # no lone surrogate: a pair was never cut
        size = _units(part) if count.encoding == "UCS-2" else count_segments(part).units
        assert 0 < size <= count.per_segment


def test_every_chinese_template_is_counted_as_ucs2() -> None:
    for name, text in catalogue()["zh-Hans"].items():
        assert count_segments(text).encoding == "UCS-2" or not any(
            "\u4e00" <= ch <= "\u9fff" for ch in text
        ), name


def test_the_compose_box_counts_chinese_segments(sms: TestClient, world: World) -> None:
    headers = {"X-CSRF-Token": login(sms, "coach.a@example.org")}
    url = "/api/v1/sms/segments"
    assert sms.post(url, json={"text": HAN * 70}, headers=headers).json()["segments"] == 1
    assert sms.post(url, json={"text": HAN * 71}, headers=headers).json() == {
        "encoding": "UCS-2",
        "units": 71,
        "segments": 2,
        "per_segment": 67,
    }
