"""Korean (and English where the English differs from the msgid) messages of partners."""

KO: dict[str, str] = {
    "Abuse contact": "신고 담당 연락처",
    "Active": "사용 중",
    "Active partners": "활성 협력사",
    "Add and show the key": "등록하고 키 보기",
    "Back to partners": "협력사 목록으로",
    "Banks filled from other hotlines' exchanges (StopNCII, NCMEC, ThreatExchange, a file) so "
    "that scans match what they already know. Add one with `jikimi partners subscribe`.":
        "다른 신고센터의 교환망(StopNCII, NCMEC, ThreatExchange, 파일)에서 채워지는 해시 "
        "DB입니다. 모니터링이 그들이 이미 아는 콘텐츠도 찾게 됩니다. "
        "`jikimi partners subscribe`로 추가합니다.",
    "Calls a minute": "분당 호출 수",
    "Cases sharing": "공유 중인 사건",
    "Disable partner": "협력사 중지",
    "Exchange": "교환망",
    "Expired": "만료됨",
    "Feed signing key": "피드 서명 키",
    "Fetch now": "지금 가져오기",
    "Fingerprints in the feed": "피드의 해시 수",
    "Give this key to each platform through a separate channel: the reference client checks "
    "every page against it.":
        "이 키는 별도의 경로로 각 플랫폼에 전달하세요. 참조 클라이언트가 모든 페이지를 이 키로 "
        "검증합니다.",
    "Key id": "키 ID",
    "Last fetch": "마지막 가져오기",
    "Last used": "마지막 사용",
    "Month": "월",
    "New key": "새 키 발급",
    "New key for {name}": "{name}의 새 키",
    "New partner": "새 협력사",
    "New partner key": "새 협력사 키",
    "No partner has reported a match yet.": "아직 협력사가 보고한 일치가 없습니다.",
    "No partners yet.": "등록된 협력사가 없습니다.",
    "No subscriptions.": "구독이 없습니다.",
    "Old key works for (minutes)": "기존 키 유지 시간(분)",
    "Partner": "협력사",
    "Partner platforms": "협력 플랫폼",
    "Partner platforms' reports": "협력 플랫폼의 보고",
    "Partner reports": "협력사 보고",
    "Partner reports by month": "월별 협력사 보고",
    "Partners and keys": "협력사와 API 키",
    "Platform name": "플랫폼 이름",
    "Platforms receive the fingerprints of cases that consented to sharing, never images or "
    "case codes, and report matches back. Withdrawn consent and erasure remove the "
    "fingerprints from the feed at once.":
        "플랫폼은 공유에 동의한 사건의 해시만 받으며, 이미지나 사건 번호는 받지 않습니다. "
        "일치를 찾으면 센터에 보고합니다. 동의 철회와 삭제 요청 시 해시는 즉시 피드에서 "
        "제거됩니다.",
    "Received": "수신",
    "Revoke": "폐기",
    "Revoked": "폐기됨",
    "Scopes": "권한 범위",
    "Seen": "발견 시각",
    "Shared now": "현재 공유 중",
    "Subscriptions to other exchanges": "다른 교환망 구독",
    "Their content id": "플랫폼 측 콘텐츠 ID",
    "This key is shown once. Copy it now and give it to the platform through a secure channel; "
    "jikimi keeps only a keyed digest of it.":
        "이 키는 지금 한 번만 표시됩니다. 지금 복사해 안전한 경로로 플랫폼에 전달하세요. "
        "지킴이는 키의 다이제스트만 보관합니다.",
    "What platforms that receive the shared fingerprints reported: matches found at upload, "
    "blocked uploads and removals.":
        "공유된 해시를 받는 플랫폼이 보고한 내용입니다. 업로드 시 발견한 일치, 차단한 업로드, "
        "삭제한 콘텐츠.",
    "until": "까지",
    "feedback.matched": "일치 발견(검토 중)",
    "feedback.blocked": "업로드 차단",
    "feedback.removed": "삭제됨",
    "feedback.not_blocked": "차단 안 함",
    "feedback.other": "기타",
    "scope.feed": "해시 피드",
    "scope.lookup": "조회",
    "scope.feedback": "결과 보고",
    # errors of the partner API (by code)
    "error.partner_key_invalid": "협력사 API 키가 올바르지 않습니다.",
    "error.partner_key_missing": "협력사 API 키를 'Authorization: Bearer <키>'로 보내세요.",
    "error.partner_key_revoked": "협력사 API 키가 폐기되었거나 만료되었습니다. 센터에 새 키를 "
                                 "요청하세요.",
    "error.partner_rate_limited": "이 키의 분당 호출 한도를 넘었습니다. 잠시 후 다시 "
                                  "시도하세요.",
    "error.partner_scope": "이 키로는 이 기능을 사용할 수 없습니다.",
    "error.bad_cursor": "커서는 이전 페이지의 next_cursor 값이어야 합니다.",
    "error.bad_nonce": "nonce는 8~64자의 영문, 숫자, '-', '_'입니다.",
    "error.bad_page_token": "nextPageToken이 지킴이가 발급한 값이 아닙니다.",
    "error.submit_hashes_not_offered": "지킴이는 플랫폼으로부터 해시를 받지 않습니다. 콘텐츠는 "
                                       "센터에 신고해 주세요.",
    "error.bad_action": "보고 결과는 matched, blocked, removed, not_blocked, other 중 "
                        "하나입니다.",
    "error.bad_exchange": "알 수 없는 교환망입니다.",
    "error.bad_exchange_config": "교환망 설정이 올바르지 않습니다.",
    "error.case_bank": "사건의 해시 DB는 외부 교환망을 구독할 수 없습니다.",
    "error.feed_signature_invalid": "피드 페이지의 서명이 올바르지 않습니다.",
    "error.feed_verification_failed": "피드 페이지 검증에 실패했습니다. 적용하지 않았습니다.",
}

EN: dict[str, str] = {
    "feedback.matched": "Match found (under review)",
    "feedback.blocked": "Upload blocked",
    "feedback.removed": "Removed",
    "feedback.not_blocked": "Not blocked",
    "feedback.other": "Other",
    "scope.feed": "Hash feed",
    "scope.lookup": "Lookup",
    "scope.feedback": "Feedback",
}
