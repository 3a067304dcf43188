"""jikimi.takedown: the platform directory, notices, their lifecycle, e-mail and verification.

The pure parts (directory, legal data, notices, lifecycle, mail composition, re-check
classification) are wired up by ``service`` (requests, proposals, sending, lifecycle),
``outbox`` (the e-mail dispatcher), ``checks`` (verification), ``stats`` and ``watch`` (the
review and scan hooks, connected when this package is imported). Platform contacts,
statutes, regulator names, hotlines and deleted-content markers are data files under
``data/``; notice wording is template files under ``templates/`` (one set per language).
"""

from jikimi.takedown import service, watch
from jikimi.takedown.directory import (
    Channel,
    ChannelKind,
    DomainRule,
    Platform,
    PlatformDirectory,
    RuleKind,
    host_of_url,
    load_directory,
    normalise_host,
)
from jikimi.takedown.legal import (
    Article,
    ArticleStatus,
    Hotline,
    LegalData,
    Regulator,
    RegulatorName,
    Statute,
    load_legal,
)
from jikimi.takedown.lifecycle import (
    DEFAULT_RETRY_POLICY,
    OPEN_TAKEDOWN_STATUSES,
    OUTBOX_TRANSITIONS,
    TAKEDOWN_TRANSITIONS,
    OutboxStatus,
    RetryDecision,
    RetryPolicy,
    TakedownStatus,
    after_failure,
    backoff,
    is_overdue,
    removal_status,
)
from jikimi.takedown.mail import MailDeliveryError, compose_email, make_message_id, send_email
from jikimi.takedown.notices import (
    KST,
    Centre,
    ConsentedDetail,
    EscalationInput,
    EscalationReason,
    Fingerprint,
    Notice,
    NoticeInput,
    NoticeItem,
    available_languages,
    deadline_for,
    render_escalation,
    render_notice,
)
from jikimi.takedown.outbox import dispatch
from jikimi.takedown.verification import (
    DeletedMarkers,
    RemovalOutcome,
    RemovalVerdict,
    classify_recheck,
    load_markers,
)

watch.register()

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "KST",
    "OPEN_TAKEDOWN_STATUSES",
    "OUTBOX_TRANSITIONS",
    "TAKEDOWN_TRANSITIONS",
    "Article",
    "ArticleStatus",
    "Centre",
    "Channel",
    "ChannelKind",
    "ConsentedDetail",
    "DeletedMarkers",
    "DomainRule",
    "EscalationInput",
    "EscalationReason",
    "Fingerprint",
    "Hotline",
    "LegalData",
    "MailDeliveryError",
    "Notice",
    "NoticeInput",
    "NoticeItem",
    "OutboxStatus",
    "Platform",
    "PlatformDirectory",
    "Regulator",
    "RegulatorName",
    "RemovalOutcome",
    "RemovalVerdict",
    "RetryDecision",
    "RetryPolicy",
    "RuleKind",
    "Statute",
    "TakedownStatus",
    "after_failure",
    "available_languages",
    "backoff",
    "classify_recheck",
    "compose_email",
    "deadline_for",
    "dispatch",
    "host_of_url",
    "is_overdue",
    "load_directory",
    "load_legal",
    "load_markers",
    "make_message_id",
    "normalise_host",
    "removal_status",
    "render_escalation",
    "render_notice",
    "send_email",
    "service",
]
