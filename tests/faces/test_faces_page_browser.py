"""The faces page in Chromium, with a video and a configured but unevaluated model: the faces
found in the sampled frames with their times, the match labelled for review, and the model's
score shown as coming from an unevaluated model."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from faces_media import FACES, face_clip, mean_pixel_model
from tests.browser_fixtures import click_and_wait, screenshot
from tests.e2e.test_staff_web import log_in

from jikimi import accounts, cases, faces
from jikimi.core.actors import cli_actor


@pytest.fixture
def unevaluated_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The server (started after this fixture) runs with a model that has no evaluation."""
    model = mean_pixel_model(tmp_path / "mean-pixel.onnx")
    monkeypatch.setenv("JIKIMI_SYNTHETIC_MEDIA_MODEL", str(model))
    yield model


@pytest.mark.browser
def test_video_search_on_the_faces_page(unevaluated_model: Path, page, live_server,  # type: ignore[no-untyped-def]
                                        live_world, tmp_path: Path) -> None:
    runtime, world = live_world
    with runtime.context(cli_actor("test")) as ctx:
        home = accounts.resolve_centre(ctx.session, world.centre_a)
        code = cases.open_case(ctx, home, cases.IntakeChannel.WEB,
                               assign_to=[world.staff["counsellor_a"].id]).case.code
        cases.record_consent(ctx, code, cases.ConsentPurpose.FACE_SEARCH)
        faces.enroll(ctx, code, [("ref.jpg", (FACES / "obama" / "01.jpg").read_bytes())])
    clip = face_clip(tmp_path / "clip.mp4", FACES / "obama" / "04.jpg")
    analyst = world.staff["analyst_a"]
    log_in(page, live_server, analyst, totp=analyst.totp_secret is not None)
    page.wait_for_url(re.compile(r".*/(cases)?$"))
    page.goto(live_server.url + "/faces")
    note = page.locator("#detector").inner_text()
    assert "평가 기록이 없습니다" in note and "mean-pixel.onnx" in note
    page.set_input_files("#file", str(clip))
    # the server samples the video and searches its faces before it answers
    click_and_wait(page, "main button[type=submit]", timeout=120_000)
    result = page.locator("section[aria-live]").inner_text()
    assert "영상 프레임 3개를 검색했습니다" in result
    assert "1.0 s" in result and "2.0 s" in result and code in result
    assert "딥페이크 또는 새 촬영물 가능성" in result
    assert "평가되지 않은 모델: 근거 아님" in page.locator("#synthetic").inner_text()
    screenshot(page, "faces-video-unevaluated-model-ko")
