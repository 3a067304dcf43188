"""Every capability's tables on one metadata, for migrations (a composition root)."""

from jikimi.accounts import models as _accounts  # noqa: F401
from jikimi.cases import models as _cases  # noqa: F401
from jikimi.core import audit as _audit  # noqa: F401
from jikimi.core.database import Base
from jikimi.evidence import models as _evidence  # noqa: F401
from jikimi.matching import models as _matching  # noqa: F401
from jikimi.ops import models as _ops  # noqa: F401
from jikimi.partners import models as _partners  # noqa: F401
from jikimi.portal import models as _portal  # noqa: F401
from jikimi.review import models as _review  # noqa: F401
from jikimi.scans import models as _scans  # noqa: F401
from jikimi.takedown import models as _takedown  # noqa: F401

metadata = Base.metadata
