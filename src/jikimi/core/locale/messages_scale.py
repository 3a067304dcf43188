"""Korean (and English where the English differs from the msgid) messages of serving at
scale (issue 16)."""

KO: dict[str, str] = {
    "error.audit_unavailable": "감사 기록을 저장하지 못해 요청에 답하지 않았습니다. 잠시 후 "
                               "다시 시도하세요.",
    "error.concurrent_change": "다른 사람이 같은 기록을 같은 순간에 바꾸어 이 요청은 저장되지 "
                               "않았습니다. 새로 고친 뒤 다시 시도하세요.",
    "error.fetch_running": "이 구독을 다른 가져오기가 처리하고 있어 이번 가져오기는 멈췄습니다. "
                           "잠시 후 다시 시도하세요.",
}

EN: dict[str, str] = {
    "error.audit_unavailable": "The audit entry could not be stored, so the request was not "
                               "answered. Retry shortly.",
    "error.concurrent_change": "Someone else changed this at the same moment, so nothing of "
                               "this request was kept. Reload and try again.",
    "error.fetch_running": "Another fetch of this subscription is running, so this one "
                           "stopped. Try again shortly.",
}
