"""Finding cases in a large centre: the case list's SQL pages (``cases.search_cases``) against
the list it replaced on the staff page (``cases.list_cases``, which checks every case in Python
and cannot count or sort).

    .venv/bin/python benchmarks/bench_case_search.py --cases 5000

A fresh SQLite installation (or ``--database-url``) with one centre, a counsellor and an
admin; ``--cases`` cases opened through ``cases.open_case`` (a third assigned to the counsellor,
one in seven a minor). Each query runs ``--repeat`` times as the admin and as the counsellor;
the table shows the median milliseconds. Nothing is compared across machines: both columns
come from the same run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from jikimi import accounts, cases
from jikimi.cases import CaseQuery, CaseStatus, IntakeChannel
from jikimi.core.actors import Role, cli_actor
from jikimi.core.config import Settings
from jikimi.core.database import upgrade_database
from jikimi.core.paging import PageRequest
from jikimi.core.runtime import Runtime


def _median_ms(runtime: Runtime, actor: object, run: Callable[..., object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        with runtime.context(actor) as ctx:  # type: ignore[arg-type]
            start = time.perf_counter()
            run(ctx)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = Settings(data_dir=Path(tmp) / "var", database_url=url)
        upgrade_database(url)
        runtime = Runtime.open(settings)
        with runtime.context(cli_actor("bench")) as ctx:
            centre = accounts.add_centre(ctx, "벤치센터")
            counsellor = accounts.add_user(ctx, "c@bench.invalid", Role.COUNSELLOR, centre).user
            admin = accounts.add_user(ctx, "a@bench.invalid", Role.ADMIN, centre).user
            counsellor_id, admin_id = counsellor.id, admin.id
        start = time.perf_counter()
        for n in range(args.cases):
            with runtime.context(cli_actor("bench")) as ctx:
                centre = accounts.resolve_centre(ctx.session, "벤치센터")
                code = cases.open_case(ctx, centre, IntakeChannel.HOTLINE, minor=n % 7 == 0,
                                       assign_to=[counsellor_id] if n % 3 == 0 else []).case.code
                if n % 5 == 0:
                    cases.change_status(ctx, code, CaseStatus.ACTIVE, "bench")
        opened = time.perf_counter() - start
        with runtime.context(cli_actor("bench")) as ctx:
            actors = {"admin": accounts.actor_for(accounts.get_user(ctx, admin_id)),
                      "counsellor": accounts.actor_for(accounts.get_user(ctx, counsellor_id))}
        first = PageRequest(per_page=50, sort="opened", descending=True)
        queries: list[tuple[str, Callable[..., object], Callable[..., object]]] = [
            ("newest 50",
             lambda ctx: cases.search_cases(ctx, CaseQuery(), first),
             lambda ctx: cases.list_cases(ctx, limit=50)),
            ("page 40 of 50",
             lambda ctx: cases.search_cases(ctx, CaseQuery(), PageRequest(page=40, per_page=50)),
             lambda ctx: cases.list_cases(ctx, limit=50, offset=39 * 50)),
            ("active minors",
             lambda ctx: cases.search_cases(ctx, CaseQuery(status=CaseStatus.ACTIVE, minor=True),
                                            first),
             lambda ctx: cases.list_cases(ctx, status=CaseStatus.ACTIVE, minor=True, limit=50)),
            ("code contains 0012",
             lambda ctx: cases.search_cases(ctx, CaseQuery(code="0012"), first),
             lambda ctx: None),
            ("intake queue",
             lambda ctx: cases.intake_queue(ctx),
             lambda ctx: None),
        ]
        print(f"{args.cases} cases opened through cases.open_case in {opened:.1f} s "
              f"({'PostgreSQL' if 'postgresql' in url else 'SQLite'})")
        print(f"{'query':<22}{'role':<12}{'search_cases ms':>17}{'list_cases ms':>15}")
        for name, new, old in queries:
            for role, actor in actors.items():
                new_ms = _median_ms(runtime, actor, new, args.repeat)
                old_ms = (_median_ms(runtime, actor, old, args.repeat)
                          if name not in ("code contains 0012", "intake queue") else None)
                print(f"{name:<22}{role:<12}{new_ms:>17.1f}"
                      f"{'—' if old_ms is None else f'{old_ms:.1f}':>15}")
        runtime.close()


if __name__ == "__main__":
    main()
