"""Build matches for takedown tests without a scan: a case, a bank entry, a source, an item at a
URL (any host, e.g. a real platform's domain that must never be fetched) and a match."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from jikimi import accounts, cases
from jikimi.cases import IntakeChannel
from jikimi.core.actors import cli_actor
from jikimi.core.database import utcnow
from jikimi.core.runtime import Runtime
from jikimi.matching.models import Bank, BankEntry
from jikimi.scans import Item, ItemMatch, ItemVersion, SourceRecord

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
VICTIM_NAME = "김지은"
VICTIM_PHONE = "010-2345-6789"
VICTIM_EMAIL = "jieun.victim@example.com"


@dataclass
class Seeded:
    case_code: str
    centre_id: int
    bank_id: int
    source_id: int


def seed_case(runtime: Runtime, centre_id: int, *, minor: bool = False) -> Seeded:
    """A case with the victim's contact data (which must never reach a notice), a bank, and a
    URL-list source of the centre."""
    with runtime.context(cli_actor("test")) as ctx:
        centre = next(c for c in accounts.list_centres(ctx) if c.id == centre_id)
        opened = cases.open_case(ctx, centre, IntakeChannel.HOTLINE, name=VICTIM_NAME,
                                 phone=VICTIM_PHONE, email=VICTIM_EMAIL, minor=minor)
        code = opened.case.code
        bank = Bank(name=f"case-{code}", owner_kind="case", case_code=code,
                    centre_id=centre_id, created_by="test")
        ctx.session.add(bank)
        source = SourceRecord(centre_id=centre_id, type="urls", name="seeded",
                              config=json.dumps({"urls": []}), created_by="test")
        ctx.session.add(source)
        ctx.session.flush()
        return Seeded(code, centre_id, bank.id, source.id)


def seed_match(runtime: Runtime, seeded: Seeded, url: str, *, content: str = "c1",
               pdq: str = PDQ, sha256: str | None = None) -> int:
    """An item at ``url`` matching a bank entry of the case's registered ``content``."""
    sha = sha256 or hashlib.sha256(url.encode()).hexdigest()
    with runtime.sessions() as session, session.begin():
        entry = session.query(BankEntry).filter_by(bank_id=seeded.bank_id,
                                                   content_id=content).first()
        if entry is None:
            entry = BankEntry(bank_id=seeded.bank_id, signal_type="pdq", value=pdq,
                              value_key=pdq, quality=100, content_id=content,
                              created_by="test")
            session.add(entry)
            session.flush()
        item = Item(source_id=seeded.source_id, item_key=url, locator=url,
                    context=json.dumps({"page_url": url}))
        session.add(item)
        session.flush()
        version = ItemVersion(item_id=item.id, sha256=sha, kind="image", fingerprints=json.dumps(
            {"kind": "image", "pdq": pdq, "quality": 100, "sha256": sha,
             "md5": hashlib.md5(url.encode()).hexdigest()}))
        session.add(version)
        session.flush()
        match = ItemMatch(item_version_id=version.id, entry_id=entry.id, bank_id=seeded.bank_id,
                          case_code=seeded.case_code, signal_type="pdq", distance=4,
                          variant="original", entry_variant="original", reliable=True,
                          centre_id=seeded.centre_id, created_at=utcnow())
        session.add(match)
        session.flush()
        return match.id
