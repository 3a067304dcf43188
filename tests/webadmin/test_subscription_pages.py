"""Exchange subscriptions in the browser's HTTP: the form asks for what each exchange takes
(from python-threatexchange's own classes), a refused form keeps its values, a subscription
to a hash-list file is fetched from the page and fills its bank."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import World, auth
from tests.webadmin.web_helpers import web_login


def random_pdq(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(64))


@pytest.mark.parametrize(("exchange", "field"), [
    ("local_file", 'name="set_filename"'), ("stopncii", 'name="cred_subscription_key"'),
    ("ncmec", 'name="set_environment"'), ("fb_threatexchange", 'name="set_privacy_group"')])
def test_each_exchange_asks_for_its_fields(client: TestClient, world: World, exchange: str,
                                           field: str) -> None:
    analyst = world.staff["analyst_a"]
    assert client.post("/api/v1/banks", json={"name": "hotlines"},
                       headers=auth(analyst)).status_code == 201
    web_login(client, analyst)
    page = client.get(f"/subscriptions?exchange={exchange}&lang=ko")
    assert page.status_code == 200 and field in page.text


def test_subscribe_to_a_file_and_fetch(client: TestClient, world: World,
                                       tmp_path: Path) -> None:
    rng = random.Random(5)
    signals = tmp_path / "hotline.txt"
    signals.write_text("".join(f"pdq {random_pdq(rng)}\n" for _ in range(3)))
    admin = world.staff["admin_a"]
    assert client.post("/api/v1/banks", json={"name": "hotlines"},
                       headers=auth(admin)).status_code == 201
    csrf = web_login(client, admin)
    refused = client.post("/subscriptions?lang=ko", data={
        "csrf_token": csrf, "exchange": "local_file", "name": "bad/name!", "bank": "hotlines",
        "set_filename": str(signals)})
    assert refused.status_code == 422 and str(signals) in refused.text
    assert 'id="name-error"' in refused.text
    done = client.post("/subscriptions", data={
        "csrf_token": csrf, "exchange": "local_file", "name": "hotline file",
        "bank": "hotlines", "set_filename": str(signals)}, follow_redirects=False)
    assert done.status_code == 303
    fetched = client.post("/subscriptions/hotline%20file/fetch", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert fetched.status_code == 303
    page = client.get("/subscriptions?lang=en").text
    row = page[page.index("hotline file"):]
    assert "<td>3</td>" in row[:400]


def test_counsellors_have_no_subscriptions(client: TestClient, world: World) -> None:
    csrf = web_login(client, world.staff["counsellor_a"])
    assert client.get("/subscriptions").status_code == 403
    assert client.post("/subscriptions", data={"csrf_token": csrf, "exchange": "local_file",
                                               "name": "x", "bank": "y"}).status_code == 403
