"""Partner hash sharing: partner platforms and their keys, the signed hash feed (jikimi's own
and the StopNCII partner API's shape), lookups, feedback, inbound exchanges and hash-list
files in python-threatexchange's formats."""

from jikimi.partners.accounts import (
    SCOPES,
    KeyOut,
    NewKey,
    PartnerOut,
    PartnerPrincipal,
    add_partner,
    authenticate,
    list_partners,
    revoke_key,
    revoke_partner,
    rotate_key,
)
from jikimi.partners.exchange import (
    EXCHANGES,
    SubscriptionOut,
    exchange_class,
    fetch,
    list_subscriptions,
    subscribe,
)
from jikimi.partners.feed import (
    feed_counts,
    feed_is_current,
    feed_page,
    public_key_text,
    refresh_feed,
    stopncii_fetch,
    verify_signature,
)
from jikimi.partners.feedback import (
    ACTIONS,
    CaseFeedback,
    FeedbackIn,
    PartnerStatistics,
    feedback_for_case,
    record_feedback,
    statistics,
)
from jikimi.partners.files import export_bank, import_signals, read_signals
from jikimi.partners.lookup import LookupResult, lookup

__all__ = [
    "ACTIONS", "EXCHANGES", "SCOPES", "CaseFeedback", "FeedbackIn", "KeyOut", "LookupResult",
    "NewKey",
    "PartnerOut", "PartnerPrincipal", "PartnerStatistics", "SubscriptionOut", "add_partner",
    "authenticate", "exchange_class", "export_bank", "feed_counts", "feed_is_current", "feed_page",
    "feedback_for_case", "fetch",
    "import_signals", "list_partners", "list_subscriptions", "lookup", "public_key_text",
    "read_signals", "record_feedback", "refresh_feed", "revoke_key", "revoke_partner",
    "rotate_key", "statistics", "stopncii_fetch", "subscribe", "verify_signature",
]
