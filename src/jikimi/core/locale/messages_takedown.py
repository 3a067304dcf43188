"""Korean (and English where the English differs from the msgid) messages of takedown.

The request pages' labels live with the pages (``messages_review.py``); these are the
takedown service's error codes, as the API and the pages show them.
"""

KO: dict[str, str] = {
    "error.smtp_from_invalid":
        "JIKIMI_SMTP_FROM에 센터의 실제 이메일 주소를 설정하세요. 요청서에 회신 주소로 적힙니다.",
    "error.smtp_not_configured":
        "메일 서버가 설정되지 않았습니다. JIKIMI_SMTP_URL을 설정하세요. 요청서는 발송 대기함에 "
        "남아 있습니다.",
    "error.mail_delivery_failed": "메일 서버가 요청서를 받지 않았습니다. 자동으로 다시 시도합니다.",
    "error.unverified_legal_basis":
        "확인되지 않은 조문입니다. law.go.kr에서 확인해 legal.json을 고치거나 "
        "다른 근거를 고르세요.",
    "error.unknown_legal_reference": "legal.json에 없는 조문입니다.",
    "error.missing_template": "이 언어의 요청서 서식이 없습니다.",
    "error.invalid_case_code": "요청서에는 가명 사건 번호만 적을 수 있습니다.",
    "error.invalid_email": "ASCII 이메일 주소가 아닙니다.",
    "error.invalid_message_id": "메시지 ID 형식이 올바르지 않습니다.",
    "error.invalid_data_file": "데이터 파일(플랫폼 목록, 법령 자료)이 올바르지 않습니다.",
}

EN: dict[str, str] = {
    "error.smtp_from_invalid":
        "Set JIKIMI_SMTP_FROM to the centre's real e-mail address: notices give it as the "
        "address to answer.",
    "error.smtp_not_configured":
        "No mail server is configured: set JIKIMI_SMTP_URL. The notice waits in the outbox.",
    "error.mail_delivery_failed": "The mail server did not accept the notice; it will be "
                                  "retried.",
    "error.unverified_legal_basis":
        "This article is unverified: check it on law.go.kr and update legal.json, or choose "
        "another basis.",
    "error.unknown_legal_reference": "legal.json has no such article.",
    "error.missing_template": "There is no notice template for this language.",
    "error.invalid_case_code": "A notice names the case only by its pseudonymous code.",
    "error.invalid_email": "Not an ASCII e-mail address.",
    "error.invalid_message_id": "The Message-ID is malformed.",
    "error.invalid_data_file": "A data file (platform directory, legal data) is invalid.",
}
