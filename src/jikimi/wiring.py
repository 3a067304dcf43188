"""The composition root for cross-capability hooks.

Capabilities react to each other's events through hooks (a case erased, consent withdrawn, a
match confirmed, new scan matches). A hook exists only once its module is imported, so every
process (server, CLI, worker, tests) imports this module when it opens a runtime: an erasure
run from the command line then removes face templates, shared hashes, portal notes and
evidence exactly as one made on the web does.
"""

from jikimi import handover as _handover
from jikimi.evidence import service as _evidence  # noqa: F401
from jikimi.faces import service as _faces  # noqa: F401
from jikimi.partners import feed as _partners_feed  # noqa: F401
from jikimi.portal import service as _portal  # noqa: F401
from jikimi.takedown import watch as _takedown_watch

_takedown_watch.register()
_handover.register()
