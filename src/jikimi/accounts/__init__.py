"""Centres and staff accounts: login with TOTP, sessions, personal API tokens."""

from jikimi.accounts.models import ApiToken, Centre, LoginThrottle, StaffSession, StaffUser
from jikimi.accounts.service import (
    LoginResult,
    NewUser,
    actor_for,
    add_centre,
    add_user,
    begin_totp,
    change_password,
    check_can_manage,
    create_api_token,
    enable_totp,
    end_credentials,
    get_user,
    list_api_tokens,
    list_centres,
    list_users,
    login,
    logout,
    reset_password,
    resolve_centre,
    revoke_api_token,
    unlock_user,
    update_user,
    user_for_api_token,
    user_for_session,
)

__all__ = [
    "ApiToken", "Centre", "LoginResult", "LoginThrottle", "NewUser", "StaffSession",
    "StaffUser", "actor_for", "add_centre", "add_user", "begin_totp", "change_password",
    "check_can_manage", "create_api_token", "enable_totp", "end_credentials", "get_user",
    "list_api_tokens", "list_centres", "list_users", "login", "logout", "reset_password",
    "resolve_centre", "revoke_api_token", "unlock_user", "update_user", "user_for_api_token",
    "user_for_session",
]

from jikimi.accounts.http import (
    CSRF_HEADER,
    LANG_COOKIE,
    SESSION_COOKIE,
    Lang,
    Principal,
    PublicContext,
    StaffContext,
    csrf_token_for,
    current_user,
    get_runtime,
    read_upload,
    request_language,
)

__all__ += [
    "CSRF_HEADER", "LANG_COOKIE", "SESSION_COOKIE", "Lang", "Principal", "PublicContext",
    "StaffContext", "csrf_token_for", "current_user", "get_runtime", "read_upload",
    "request_language",
]
