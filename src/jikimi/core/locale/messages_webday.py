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
    # --- start page ------------------------------------------------------------------------------
    "Today": "오늘",
    "What needs doing": "할 일",
    "todo.my_open_cases": "내가 맡은 진행 중 사건",
    "todo.my_new_cases": "최근 7일에 맡은 새 사건",
    "todo.investigator_cases": "볼 수 있는 사건",
    "todo.new_portal_cases": "포털·웹으로 들어온 새 사건(담당자 없음)",
    "todo.unassigned_cases": "담당자가 없는 사건",
    "todo.pending_review": "검토를 기다리는 일치 항목",
    "todo.drafts": "승인을 기다리는 삭제 요청 초안",
    "todo.overdue": "기한을 넘긴 삭제 요청",
    "National, by month": "전국, 월별",
    "This centre, by month": "우리 센터, 월별",
    "No removals yet": "아직 삭제된 것이 없습니다",
    "Cases opened and matches found by month": "월별 접수 사건과 발견된 일치 항목",
    "Requests sent and removals by month": "월별 보낸 삭제 요청과 삭제 확인",
    "Nothing to chart yet: charts fill as cases, matches and requests come in.":
        "아직 그래프로 보일 자료가 없습니다. 사건, 일치 항목, 삭제 요청이 생기면 채워집니다.",
    "Per centre": "센터별",
    "Counts of the last 12 months. Case details and counselling notes stay with each centre.":
        "최근 12개월 건수입니다. 사건 내용과 상담 기록은 각 센터에만 있습니다.",
    "chart.cases": "접수 사건",
    "chart.matches": "일치 항목",
    "chart.requests": "삭제 요청",
    "chart.removed": "삭제 확인",
    # --- status page -----------------------------------------------------------------------------
    "Status": "상태",
    "Installation status": "시스템 상태",
    "Checked {when}. What is marked needs an operator: the sentence says what to do.":
        "{when}에 확인했습니다. 표시된 항목은 운영자가 손봐야 하며, 문장에 할 일이 적혀 있습니다.",
    "Check": "항목",
    "State": "상태",
    "What it means": "뜻",
    "status_state.ok": "정상",
    "status_state.warn": "주의",
    "status_state.fail": "문제",
    "status.sender_address": "회신 이메일 주소",
    "status.mail_server": "메일 서버",
    "status.outbox": "메일 발송 대기함",
    "status.worker": "자동 작업(worker)",
    "status.key_file": "키 파일",
    "status.key_backup": "키 파일 백업",
    "status.disk": "디스크",
    "status.sender_address.set": "요청서의 회신 주소는 {address}입니다.",
    "status.sender_address.missing":
        "센터의 실제 이메일 주소가 설정되지 않았습니다(지금: {address}). JIKIMI_SMTP_FROM에 "
        "설정하기 전에는 요청서를 만들 수 없습니다.",
    "status.mail_server.missing":
        "메일 서버가 설정되지 않았습니다. JIKIMI_SMTP_URL을 설정하기 전에는 요청서를 이메일로 "
        "보낼 수 없고, 분석가는 직접 제출만 할 수 있습니다.",
    "status.mail_server.answers": "메일 서버({where})가 응답합니다.",
    "status.mail_server.unreachable":
        "메일 서버({where})에 연결할 수 없습니다: {problem}. 서버 주소와 방화벽을 확인하세요.",
    "status.outbox.empty": "보낼 메일이 밀려 있지 않습니다.",
    "status.outbox.waiting": "메일 {waiting}통이 발송을 기다리고 있습니다.",
    "status.outbox.dead":
        "메일 {dead}통은 발송을 포기했습니다. 해당 요청을 열어 원인을 확인하고 다시 보내세요.",
    "status.worker.alive": "자동 작업이 돌고 있습니다(마지막 신호 {at}, {host}).",
    "status.worker.silent":
        "자동 작업이 {minutes}분째 신호가 없습니다(마지막 {at}). 'jikimi worker'를 다시 "
        "시작하세요. 그동안 예약 검사, 메일 발송, 기한 확인이 멈춥니다.",
    "status.worker.never":
        "자동 작업이 한 번도 돌지 않았습니다. 'jikimi worker'를 시작하세요(scripts/serve는 "
        "함께 시작합니다).",
    "status.key_file.present": "키 파일이 있고 다른 사용자가 읽을 수 없습니다({path}).",
    "status.key_file.readable_by_others":
        "키 파일을 다른 사용자도 읽을 수 있습니다(권한 {mode}). 다음을 실행하세요: "
        "chmod 600 {path}",
    "status.key_file.missing":
        "키 파일이 없습니다({path}). 백업에서 되살리기 전에는 연락처와 증거를 읽을 수 없습니다.",
    "status.key_backup.never":
        "키 파일을 백업한 기록이 없습니다. 'jikimi keys backup 경로'로 데이터 디렉터리 밖에 "
        "복사해 두세요. 키를 잃으면 암호화된 자료를 되살릴 수 없습니다.",
    "status.key_backup.recent": "마지막 키 백업: {at}({by}), 모두 {count}번.",
    "status.key_backup.old":
        "마지막 키 백업이 {days}일 전({at})입니다. 새로 백업하세요.",
    "status.disk.enough": "데이터 디스크에 {free_gb} GB({percent}%)가 남아 있습니다.",
    "status.disk.low":
        "데이터 디스크에 {free_gb} GB({percent}%)만 남았습니다. 공간을 늘리세요.",
    # Particles follow the name (the pages pass "김상담이" / "analyst가"): these override the
    # review catalogue's "{who}이(가)" wording.
    "Decided by {who} at {when}": "{when}에 {who} 판단",
    "Edited by {who} at {when}": "{when}에 {who} 수정",
    # --- distances in words (jikimi.core.glossary) -----------------------------------------
    "The same picture (no difference)": "같은 사진(차이 없음)",
    "Nearly identical: the same picture, recompressed or resized":
        "거의 같음: 같은 사진을 다시 저장하거나 크기만 바꾼 것",
    "Very similar: almost certainly the same picture":
        "매우 비슷함: 같은 사진일 가능성이 매우 높음",
    "Similar: compare the pictures by eye": "비슷함: 두 사진을 눈으로 비교해 주세요",
    "Exactly the same file": "완전히 같은 파일",
    "A request is drafted when an analyst confirms a match found at a web address: confirm "
    "matches in Review. Copies found in a folder, a ZIP or a Telegram export have no address "
    "to ask a platform about.":
        "삭제 요청 초안은 분석가가 웹 주소에서 찾은 일치 항목을 확인하면 만들어집니다. 검토 "
        "화면에서 일치 항목을 확인하세요. 폴더, ZIP, 텔레그램 내보내기에서 찾은 사본에는 "
        "플랫폼에 요청할 주소가 없습니다.",
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
    "todo.my_open_cases": "My open cases",
    "todo.my_new_cases": "Cases given to me in the last 7 days",
    "todo.investigator_cases": "Cases I may see",
    "todo.new_portal_cases": "New cases from the portal and the web (nobody assigned)",
    "todo.unassigned_cases": "Cases assigned to nobody",
    "todo.pending_review": "Matches waiting for review",
    "todo.drafts": "Takedown drafts to approve",
    "todo.overdue": "Takedown requests past their deadline",
    "chart.cases": "Cases opened",
    "chart.matches": "Matches",
    "chart.requests": "Requests sent",
    "chart.removed": "Removals",
    "status_state.ok": "OK",
    "status_state.warn": "Check",
    "status_state.fail": "Problem",
    "status.sender_address": "Reply address",
    "status.mail_server": "Mail server",
    "status.outbox": "E-mail outbox",
    "status.worker": "Background worker",
    "status.key_file": "Key file",
    "status.key_backup": "Key file backup",
    "status.disk": "Disk",
    "status.sender_address.set": "Notices give {address} as the address to answer.",
    "status.sender_address.missing":
        "The centre's real e-mail address is not set (now: {address}). Set JIKIMI_SMTP_FROM; "
        "until then no notice can be prepared.",
    "status.mail_server.missing":
        "No mail server is set. Set JIKIMI_SMTP_URL; until then notices cannot be e-mailed and "
        "analysts can only submit them by hand.",
    "status.mail_server.answers": "The mail server {where} answers.",
    "status.mail_server.unreachable":
        "The mail server {where} cannot be reached ({problem}). Check its address and the "
        "firewall.",
    "status.outbox.empty": "No e-mail is waiting.",
    "status.outbox.waiting": "{waiting} e-mail message(s) are waiting to be sent.",
    "status.outbox.dead":
        "{dead} e-mail message(s) were given up. Open their requests, fix the cause and send "
        "them again.",
    "status.worker.alive": "The worker is running (last sign {at}, on {host}).",
    "status.worker.silent":
        "The worker has been silent for {minutes} minutes (last sign {at}). Restart "
        "'jikimi worker': scheduled scans, e-mail and deadlines wait until then.",
    "status.worker.never":
        "The worker has never run. Start 'jikimi worker' (scripts/serve starts it too).",
    "status.key_file.present": "The key file is there and only its owner can read it ({path}).",
    "status.key_file.readable_by_others":
        "Other users can read the key file (mode {mode}). Run chmod 600 {path}.",
    "status.key_file.missing":
        "The key file is missing ({path}). Contact data and evidence cannot be read until it "
        "is restored from a backup.",
    "status.key_backup.never":
        "The key file has never been backed up. Copy it outside the data directory with "
        "'jikimi keys backup PATH': without it, encrypted data cannot be recovered.",
    "status.key_backup.recent": "Last key backup: {at} ({by}); {count} in all.",
    "status.key_backup.old": "The last key backup is {days} days old ({at}). Make a new one.",
    "status.disk.enough": "{free_gb} GB ({percent} %) free on the data disk.",
    "status.disk.low": "Only {free_gb} GB ({percent} %) free on the data disk. Add space.",
}
