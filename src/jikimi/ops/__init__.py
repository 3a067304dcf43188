"""jikimi.ops: the installation's health for its administrators — is mail set up and
reachable, is the worker alive, is the key file there and backed up, is there disk left."""

from jikimi.ops.models import KeyBackup, ServiceHeartbeat
from jikimi.ops.service import (
    WORKER_SILENCE,
    Check,
    SystemStatus,
    backup_keys,
    beat,
    system_status,
)

__all__ = ["WORKER_SILENCE", "Check", "KeyBackup", "ServiceHeartbeat", "SystemStatus",
           "backup_keys", "beat", "system_status"]
