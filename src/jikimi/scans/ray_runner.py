"""Running scan items on a Ray cluster.

The driver (``jikimi scan --ray``) keeps the database and enumerates; Ray workers fetch,
fingerprint and search the index. The matcher's indexes are put in Ray's object store once
(``ray.put``) and every task receives the same reference, so the index travels to each worker
once, not per item. Results come back to the driver, which writes them through the same
idempotent path as a local scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from jikimi.matching import Matcher
from jikimi.scans.analysis import ItemResult, PendingItem, analyse_batch


def _remote_analyse(source_type: str, source_config: dict[str, Any],
                    items: list[PendingItem], matcher: Matcher) -> list[ItemResult]:
    return analyse_batch(source_type, source_config, items, matcher)


class RayExecutor:
    """Runs batches as Ray tasks, a bounded number in flight at a time."""

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None,
                 max_in_flight: int | None = None) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.max_in_flight = max_in_flight

    def _init(self) -> Any:
        import ray

        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.num_cpus, include_dashboard=False, log_to_driver=False)
        return ray

    def run(self, source_type: str, source_config: dict[str, Any],
            batches: Iterable[list[PendingItem]], matcher: Matcher) -> Iterator[ItemResult]:
        ray = self._init()
        remote = ray.remote(_remote_analyse)
        matcher_ref = ray.put(matcher.portable())
        window = self.max_in_flight or max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        in_flight: list[Any] = []
        iterator = iter(batches)
        exhausted = False
        while in_flight or not exhausted:
            while not exhausted and len(in_flight) < window:
                batch = next(iterator, None)
                if batch is None:
                    exhausted = True
                    break
                in_flight.append(remote.remote(source_type, source_config, batch,
                                               matcher_ref))
            if not in_flight:
                break
            ready, in_flight = ray.wait(in_flight, num_returns=1)
            for ref in ready:
                yield from ray.get(ref)

    def shutdown(self) -> None:
        import ray

        if ray.is_initialized():
            ray.shutdown()
