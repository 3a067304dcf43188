"""Messages of the centre's day in the browser (issue 15, part A): notice drafts an officer
previews, edits and approves; the administrator's status page; the start page per role with
its charts; names of who acted instead of ids.

Korean follows ``docs/glossary.md``. Keys are English sentences (or ``area.key`` codes).
"""

KO: dict[str, str] = {
    # --- notice drafts -------------------------------------------------------------------------
    "error.sender_address_missing":
        "센터의 회신 이메일 주소가 아직 설정되지 않아 요청서를 만들 수 없습니다. 관리자에게 "
        "알려 주세요(관리자 상태 화면에 무엇이 빠졌는지 나옵니다).",
    "error.mail_server_missing":
        "메일 서버가 아직 설정되지 않아 이 요청서를 이메일로 보낼 수 없습니다. 관리자에게 "
        "알리거나, '직접 제출용으로 승인'을 눌러 플랫폼 양식으로 제출하세요.",
    "error.setting_missing": "필요한 설정이 빠져 있습니다. 관리자에게 알려 주세요.",
    "error.notice_outdated":
        "요청서를 만든 뒤 URL이 바뀌었습니다(일치 항목이 확인되거나 기각됨). 미리보기를 다시 "
        "만드세요.",
    "error.notice_url_missing": "요청서 본문에 이 요청의 URL이 모두 있어야 합니다.",
    "error.bad_notice_subject": "제목은 한 줄, 300자 이내로 적어 주세요.",
    "error.bad_notice_body": "본문은 20,000자 이내로, 제어 문자 없이 적어 주세요.",
    "error.already_approved": "이 요청서는 이미 승인되었습니다.",
    "error.not_prepared": "아직 승인된 요청서가 없습니다. 미리보기를 만들고 승인하세요.",
    "error.bad_language": "이 언어로 된 요청서 서식이 없습니다.",
    "Preview the notice": "요청서 미리보기",
    "Preview the notice again": "미리보기 다시 만들기",
    "Read the notice below, correct it if needed, then approve it. Nothing is sent before "
    "you approve.":
        "아래 요청서를 읽고 필요하면 고친 뒤 승인하세요. 승인하기 전에는 아무것도 보내지 "
        "않습니다.",
    "draft for approval": "승인 대기 초안",
    "Prepared": "작성",
    "edited by {name}": "{name} 수정",
    "approved by {name}": "{name} 승인",
    "Subject": "제목",
    "Text of the notice": "요청서 본문",
    "Save the text": "본문 저장",
    "Approve and e-mail to {address}": "승인하고 {address} 주소로 이메일 발송",
    "Approve for submission by hand": "직접 제출용으로 승인",
    "Approve for the platform's web form": "승인(플랫폼 신고 양식으로 제출)",
    "td_event.edited": "요청서 수정",
    "td_event.approved": "요청서 승인",
    "td_event.url_dropped": "URL 제외(일치 항목 기각)",
    # --- names of who acted --------------------------------------------------------------------
    "System (command line)": "시스템(명령줄)",
    "System (background worker)": "시스템(자동 작업)",
    "System (mail dispatcher)": "시스템(메일 발송)",
    "System (demo data)": "시스템(데모 자료)",
    "System": "시스템",
    "System (victim portal)": "시스템(피해자 포털)",
    "System (re-upload watch)": "시스템(재유포 감시)",
    "System (test)": "시스템(시험)",
    "System ({what})": "시스템({what})",
    "The victim herself": "피해자 본인",
    "Partner {name}": "협력 플랫폼 {name}",
    "A partner platform": "협력 플랫폼",
    "A staff member (account removed)": "직원(삭제된 계정)",
    "Someone unknown": "알 수 없음",
}

EN: dict[str, str] = {
    "error.sender_address_missing":
        "Notices cannot be prepared yet because the centre's reply e-mail address is not set "
        "up: tell an administrator (the status page shows what is missing).",
    "error.mail_server_missing":
        "This notice cannot be e-mailed yet because no mail server is set up: tell an "
        "administrator, or choose 'Approve for submission by hand' and use the platform's form.",
    "error.setting_missing": "A setting this needs is missing: tell an administrator.",
    "error.notice_outdated":
        "The request's URLs changed since the notice was prepared (a match was confirmed or "
        "rejected): preview it again.",
    "error.notice_url_missing": "The text must still list every URL of the request.",
    "error.bad_notice_subject": "The subject must be one line of at most 300 characters.",
    "error.bad_notice_body":
        "The text must be at most 20,000 characters, without control characters.",
    "error.already_approved": "This notice is already approved.",
    "error.not_prepared": "No approved notice yet: preview it, then approve it.",
    "error.bad_language": "There are no notice templates in this language.",
    "td_event.edited": "Notice edited",
    "td_event.approved": "Notice approved",
    "td_event.url_dropped": "URL dropped (match rejected)",
}
