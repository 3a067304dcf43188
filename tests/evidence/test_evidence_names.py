"""Evidence shows who captured and handled it by display name, not e-mail address: the item
page, the case's list and the package's PDF report (pdftotext). What is recorded for the
chain of custody (reference and the e-mail it was captured under) stays as it was."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.conftest import World
from tests.evidence.conftest import EvidenceCase, Site
from tests.evidence.test_capture import staff
from tests.investigation.test_documents import pdf_text
from tests.review.test_pages import session_for

from jikimi import accounts, evidence
from jikimi.core.actors import cli_actor
from jikimi.core.runtime import Runtime
from jikimi.evidence.package import export_package


def test_pages_and_report_name_the_capturer(app, runtime: Runtime, world: World,  # type: ignore[no-untyped-def]
                                            ecase: EvidenceCase, site: Site,
                                            tmp_path: Path) -> None:
    email = world.staff["investigator_a"].email
    with runtime.context(cli_actor()) as ctx:
        accounts.get_user(ctx, world.staff["investigator_a"].id).display_name = "박수사"
    with runtime.context(staff(world, "investigator_a")) as ctx:  # recorded under her e-mail
        item = evidence.capture_url(ctx, ecase.code, f"{site.base}/go", reason="게시물 신고",
                                    via="test")
    assert item.captured_by_name == email  # the chain of custody keeps what was recorded

    web, _csrf = session_for(app, world.staff["investigator_a"])
    for path in (f"/evidence/{item.id}", f"/cases/{ecase.code}/evidence"):
        page = web.get(path, headers={"Accept-Language": "ko"})
        assert page.status_code == 200, path
        assert "박수사" in page.text and email not in page.text, path
        assert "staff:" not in page.text, path

    package = tmp_path / "package.zip"
    with runtime.context(staff(world, "investigator_a")) as ctx:
        export_package(ctx, ecase.code, package, reason="경찰 제출", via="test")
    with zipfile.ZipFile(package) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        custody = json.loads(zf.read("custody.json"))
        text = pdf_text(zf.read("report.pdf"), tmp_path)
    assert manifest["items"][0]["captured_by_name"] == email  # recorded, unchanged
    assert manifest["created_by_name"] == email and custody[0]["actor_name"] == email
    assert "박수사" in text  # capturer, author and who acted in the timeline
    assert email not in text and "investigator_a@" not in text and "staff:" not in text
