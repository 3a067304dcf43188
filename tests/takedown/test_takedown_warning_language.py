"""The warnings on a prepared notice are messages, not English strings: the Korean page shows
them in Korean, the English page in English, the API keeps its English ``notice_warnings``
and adds each warning's msgid and values; warnings stored as English strings by older
versions are shown as they are."""

from __future__ import annotations

import json

from tests.conftest import World
from tests.review.test_pages import session_for
from tests.takedown.test_takedown_drafts import _confirmed_drafts

from jikimi.core.i18n import translate
from jikimi.core.runtime import Runtime
from jikimi.takedown.models import TakedownRequest
from jikimi.takedown.notices import NoticeWarning, warning_text


def test_notice_warnings_follow_the_page_language(
        app, client, runtime: Runtime, world: World) -> None:  # type: ignore[no-untyped-def]
    ids, analyst = _confirmed_drafts(client, runtime, world, ["https://www.tumblr.com/p/7"])
    request_id = ids["tumblr"]
    r = client.post(f"/api/v1/takedowns/{request_id}/preview", json={}, headers=analyst)
    assert r.status_code == 200, r.text
    draft = r.json()
    details = draft["notice_warning_details"]
    assert details, "the seeded legal basis carries at least one warning"
    # the API: English text as before, plus the msgid and its values
    assert draft["notice_warnings"] == [d["text"] for d in details]
    for d in details:
        assert d["msgid"] and d["text"] == d["msgid"].format(**d["values"])
    law = [d for d in details if d["msgid"] == "{ref} has not been checked against law.go.kr"]
    assert law and "law.go.kr" in law[0]["text"]
    korean = [translate(d["msgid"], "ko", **d["values"]) for d in details]
    assert all(k != d["text"] for k, d in zip(korean, details, strict=True))  # all translated

    web, _csrf = session_for(app, world.staff["analyst_a"])
    page = web.get(f"/takedowns/{request_id}", headers={"Accept-Language": "ko"})
    assert page.status_code == 200
    for text in korean:
        assert text.replace("'", "&#39;") in page.text, text
    assert "has not been checked against law.go.kr" not in page.text
    assert "국가법령정보센터" in page.text
    english = web.get(f"/takedowns/{request_id}?lang=en")
    assert all(d["text"].replace("'", "&#39;") in english.text for d in details)

    # a request prepared by an older version stored English strings: shown as they are
    with runtime.sessions() as session:
        row = session.get(TakedownRequest, request_id)
        assert row is not None
        stored = json.loads(row.notice_warnings)
        assert stored[0]["msgid"] == details[0]["msgid"]  # what is stored now
        row.notice_warnings = json.dumps(["an old warning, in English"])
        session.commit()
    page = web.get(f"/takedowns/{request_id}", headers={"Accept-Language": "ko"})
    assert page.status_code == 200 and "an old warning, in English" in page.text
    r = client.get(f"/api/v1/takedowns/{request_id}", headers=analyst)
    assert r.json()["notice_warnings"] == ["an old warning, in English"]
    assert r.json()["notice_warning_details"] == [
        {"msgid": None, "values": {}, "text": "an old warning, in English"}]


def test_warning_messages_translate_with_their_values() -> None:
    warning = NoticeWarning.of("the legal entity of {platform} is unverified",
                               platform="X\n(Twitter)")
    assert warning.text == "the legal entity of X (Twitter) is unverified"  # one line
    assert warning_text(warning.msgid, dict(warning.values), warning.text, "ko") \
        == "X (Twitter)의 법인(운영 주체)이 확인되지 않았습니다."
    # values missing a placeholder: the stored English text, never an error
    assert warning_text(warning.msgid, {}, "stored text", "ko") == "stored text"
    assert warning_text(None, {}, "old text", "ko") == "old text"
    # every msgid the notices build has a Korean text
    for msgid in ("{ref} is unverified", "{ref} is superseded",
                  "the e-mail address {address} is unverified",
                  "the language '{language}' for {platform} is not documented by the platform",
                  "the regulator's current name '{name}' is unverified (sources: {sources})",
                  "legal.json records no e-mail address for the content regulator; "
                  "send through its documented channel"):
        assert translate(msgid, "ko") != msgid, msgid
