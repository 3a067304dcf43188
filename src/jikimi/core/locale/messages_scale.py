"""Korean (and English where the English differs from the msgid) messages of serving at
scale (issue 16)."""

KO: dict[str, str] = {
    "error.audit_unavailable": "감사 기록을 저장하지 못해 요청에 답하지 않았습니다. 잠시 후 "
                               "다시 시도하세요.",
}

EN: dict[str, str] = {
    "error.audit_unavailable": "The audit entry could not be stored, so the request was not "
                               "answered. Retry shortly.",
}
