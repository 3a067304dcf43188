"""Korean (and English where the English differs from the msgid) messages of the case desk in
the staff web (lists, intake queue, assignment, hand-over, closing, erasure, pictures), its
error pages and forms, and the victim's own consent choices on the portal."""

KO: dict[str, str] = {
    # --- error pages ---
    "error.400.title": "요청을 처리할 수 없습니다",
    "error.400.next": "이전 페이지로 돌아가 다시 시도하세요.",
    "error.401.title": "로그인이 필요합니다",
    "error.401.next": "다시 로그인한 뒤 하던 일을 이어 가세요.",
    "error.403.title": "권한이 없습니다",
    "error.403.next": "이 페이지나 작업은 내 역할에 포함되지 않거나, 다른 센터 또는 다른 담당자의 "
                      "기록입니다. 업무에 필요하면 센터 관리자에게 요청하세요.",
    "error.404.title": "찾을 수 없습니다",
    "error.404.next": "주소가 틀렸거나 기록이 삭제되었습니다. 목록으로 돌아가 검색해 보세요.",
    "error.405.title": "이 방법으로는 열 수 없는 주소입니다",
    "error.405.next": "링크나 버튼을 통해 다시 시도하세요.",
    "error.409.title": "지금은 할 수 없는 작업입니다",
    "error.409.next": "기록이 이미 바뀌었거나 이 작업을 허용하지 않는 상태입니다(예: 종결되었거나 "
                      "삭제된 사건). 기록을 새로 열어 상태를 확인하세요.",
    "error.413.title": "파일이 너무 큽니다",
    "error.413.next": "더 작은 파일을 고르거나 파일 수를 줄여 다시 시도하세요.",
    "error.415.title": "읽을 수 없는 파일 형식입니다",
    "error.415.next": "JPEG, PNG, WebP 같은 일반 이미지나 MP4 같은 일반 영상 파일을 사용하세요.",
    "error.422.title": "입력값을 받아들일 수 없습니다",
    "error.422.next": "이전 페이지로 돌아가 표시된 항목을 고친 뒤 다시 보내세요.",
    "error.429.title": "시도가 너무 많습니다",
    "error.429.next": "1분쯤 기다린 뒤 다시 시도하세요.",
    "error.500.title": "서버에 문제가 생겼습니다",
    "error.500.next": "아무것도 저장되지 않았습니다. 다시 시도하고, 또 같은 화면이 나오면 이 "
                      "시각과 "
                      "함께 관리자에게 알려 주세요.",
    "error.503.title": "서버가 바쁩니다",
    "error.503.next": "잠시 뒤 다시 시도하세요.",
    "Back to the previous page": "이전 페이지로",
    "Go to the start page": "시작 페이지로",
    "Error code": "오류 코드",
    "error.form_incomplete": "양식의 항목이 빠졌거나 올바르지 않습니다.",
    "error.close_reason_required": "사건을 종결하는 사유를 적어 주세요. 감사 기록에 남습니다.",
    "error.hand_over_reason_required": "다른 센터로 이관하는 사유를 적어 주세요.",
    "error.bad_centre": "사건을 넘겨받을 센터를 고르세요.",
    "error.same_centre": "사건이 이미 그 센터에 있습니다.",
    "error.bad_case_assignee": "목록에서 담당자를 고르세요.",
    "error.erase_reason_required": "피해자가 어떻게 삭제를 요청했는지 적어 주세요.",
    "error.not_in_queue": "이 사건은 접수 대기열에 없습니다.",
    "error.already_picked_up": "다른 상담원이 이미 이 사건을 맡았습니다.",
    "error.may_not_register": "사건을 맡은 상담원만 피해자의 사진을 등록할 수 있습니다.",
    "error.reject_reason_required": "기각하는 이유를 적어 주세요.",
    "error.bad_channel": "피해자가 센터에 연락한 경로를 고르세요.",
    "error.bad_purpose": "목록에 있는 동의 항목을 고르세요.",
    "error.bad_review_action": "확인, 기각, 되돌리기 중 하나를 고르세요.",
    # --- forms and lists ---
    "Some values were not accepted. Correct the fields marked below; everything else you typed "
    "is kept.": "받아들일 수 없는 값이 있습니다. 아래 표시된 항목을 고쳐 주세요. 입력한 다른 "
                "내용은 "
                "그대로 있습니다.",
    "Pages": "페이지",
    "{first}–{last} of {total}": "전체 {total}건 중 {first}–{last}",
    "Previous": "이전",
    "Next": "다음",
    "Page {n} of {pages}": "{pages}쪽 중 {n}쪽",
    # --- case list and intake queue ---
    "The case {code} was handed over. The receiving centre finds it in its intake queue.":
        "사건 {code} 이관을 마쳤습니다. 받는 센터의 접수 대기열에 표시됩니다.",
    "Intake queue": "접수 대기열",
    "Cases nobody has yet: opened by victims on the portal or handed over by another centre. "
    "Pick one up to take it on.": "아직 담당자가 없는 사건입니다. 피해자가 포털에서 직접 "
                                  "접수했거나 "
                                  "다른 센터에서 이관된 사건입니다. 맡을 사건을 선택해 가져가세요.",
    "Cases nobody has yet: opened by victims on the portal or handed over by another centre. "
    "Open one to assign a counsellor.": "아직 담당자가 없는 사건입니다. 피해자가 포털에서 직접 "
                                        "접수했거나 다른 센터에서 이관된 사건입니다. 사건을 열어 "
                                        "상담원을 배정하세요.",
    "Pick up {code}": "{code} 맡기",
    "Pick up": "맡기",
    "All {n} cases in the queue": "대기열의 사건 {n}건 모두 보기",
    "Find cases": "사건 찾기",
    "Nobody (intake queue)": "없음 (접수 대기)",
    "Opened from": "접수일 부터",
    "to": "까지",
    "Search": "찾기",
    "Clear": "조건 지우기",
    "Find banks": "해시 DB 찾기",
    "Name or case code": "이름 또는 사건 번호",
    "No banks match.": "조건에 맞는 해시 DB가 없습니다.",
    "Find sources": "모니터링 대상 찾기",
    "Name or kind": "이름 또는 종류",
    "No sources match.": "조건에 맞는 모니터링 대상이 없습니다.",
    # --- case page ---
    "In the intake queue": "접수 대기 중",
    "Nobody has this case yet. Pick it up to become its counsellor: you then see its contact "
    "details and notes, and record the victim's consents.": "아직 이 사건을 맡은 사람이 없습니다. "
        "사건을 맡으면 담당 상담원이 되어 연락처와 상담 기록을 보고 피해자의 동의를 기록할 수 "
        "있습니다.",
    "Pick up this case": "이 사건 맡기",
    "Closed": "종결일",
    "Choose the new status": "새 상태를 고르세요",
    "Reason (optional)": "사유 (선택)",
    "Copies found": "발견된 복제물",
    "Copies of this case's pictures were found in {n} places: {confirmed} confirmed, {waiting} "
    "waiting for review, {rejected} not hers.": "이 사건의 사진 복제물이 {n}곳에서 발견되었습니다. "
        "확인됨 {confirmed}곳, 검토 대기 {waiting}곳, 피해자 사진이 아님 {rejected}곳.",
    "No copies found so far. Scans compare every monitored place with the pictures registered "
    "for this case.": "아직 발견된 복제물이 없습니다. 모니터링하는 모든 곳을 이 사건에 등록된 "
                      "사진과 "
                      "비교합니다.",
    "Found": "발견",
    "All copies in the review queue": "검토 대기열에서 모두 보기",
    "Request": "요청",
    "All takedowns of this case": "이 사건의 삭제 요청 모두 보기",
    "No takedown requests yet. A request is proposed when a copy is confirmed in review.":
        "아직 삭제 요청이 없습니다. 검토에서 복제물이 확인되면 요청이 제안됩니다.",
    "Register the victim's pictures": "피해자의 사진 등록",
    "The pictures are fingerprinted here, in this browser; only the fingerprints are sent, to "
    "this case's own hash bank. The pictures themselves never reach the server.":
        "사진의 지문(해시)은 이 브라우저 안에서 계산되고, 지문만 이 사건의 해시 DB로 보내집니다. "
        "사진 자체는 서버에 전송되지 않습니다.",
    "Pictures or videos": "사진 또는 영상",
    "Fingerprint and register": "지문 계산 후 등록",
    "Managing the case": "사건 관리",
    "Assignment": "담당자 배정",
    "End the assignment of {name}": "{name} 담당 해제",
    "Remove": "해제",
    "Nobody is assigned: the case is in the intake queue.": "담당자가 없습니다. 사건이 접수 "
                                                            "대기열에 있습니다.",
    "Assign a colleague": "담당자 배정",
    "Choose a colleague": "담당자를 고르세요",
    "Close the case": "사건 종결",
    "Close the case when the support has ended. It can be reopened later.":
        "지원이 끝났을 때 사건을 종결합니다. 나중에 다시 열 수 있습니다.",
    "Why is the case closed?": "종결 사유",
    "I confirm that this case is closed.": "이 사건을 종결함을 확인합니다.",
    "Hand over to another centre": "다른 센터로 이관",
    "The case, its hash bank, copies found, takedowns and evidence move to the other centre; "
    "its assignments here end and it lands in that centre's intake queue.":
        "사건과 해시 DB, 발견된 복제물, 삭제 요청, 증거가 다른 센터로 옮겨집니다. 이 센터의 담당 "
        "배정은 끝나고, 사건은 그 센터의 접수 대기열에 들어갑니다.",
    "Choose the centre": "센터를 고르세요",
    "Why does the case go there?": "이관 사유",
    "I confirm the hand-over. This centre will no longer see the case.":
        "이관을 확인합니다. 이 센터에서는 더 이상 사건을 볼 수 없습니다.",
    "Hand over": "이관",
    "Erase at the victim's request": "피해자 요청에 따른 삭제",
    "Contact details, counselling notes, consents, registered fingerprints and face templates "
    "are deleted at once. Only the case code, its dates and the fact of erasure remain. This "
    "cannot be undone.": "연락처, 상담 기록, 동의, 등록된 지문과 얼굴 특징값이 즉시 삭제됩니다. "
                         "사건 번호와 날짜, 삭제되었다는 사실만 남습니다. 되돌릴 수 없습니다.",
    "How did the victim ask for it?": "피해자가 삭제를 요청한 방법",
    "e.g. by phone on 5 March": "예: 3월 5일 전화로 요청",
    "I confirm: erase this victim's data now.": "확인합니다: 이 피해자의 데이터를 지금 삭제합니다.",
    "Erase the data": "데이터 삭제",
    "event.picked_up": "사건 맡음",
    "event.handed_over": "다른 센터로 이관",
    # --- pictures (case_pictures.js) ---
    "This browser cannot compute fingerprints. Use a recent Chrome, Edge or Firefox.":
        "이 브라우저에서는 지문을 계산할 수 없습니다. 최신 Chrome, Edge, Firefox를 사용하세요.",
    "Fingerprinting {n} of {total}…": "지문 계산 중 ({total}개 중 {n}번째)…",
    "Could not read {name}. Nothing was sent.": "{name} 파일을 읽을 수 없습니다. 아무것도 보내지 "
                                                 "않았습니다.",
    "Could not reach the server. Check the connection and try again.":
        "서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요.",
    "Nothing was registered. Try again.": "아무것도 등록되지 않았습니다. 다시 시도하세요.",
    "Registered: {items} pictures, {added} new fingerprints. {fingerprints} fingerprints are "
    "registered for this case in all.": "등록했습니다: 사진 {items}개, 새 지문 {added}개. 이 "
                                        "사건에 "
                                        "등록된 지문은 모두 {fingerprints}개입니다.",
    # --- portal: her own consents ---
    "Your consents": "나의 동의",
    "You decide what the centre may do. You can give or withdraw each consent here at any "
    "time; it takes effect at once.": "센터가 무엇을 할 수 있는지는 내가 정합니다. 각 항목에 "
                                      "언제든 "
                                      "여기서 동의하거나 동의를 철회할 수 있고, 바로 적용됩니다.",
    "portal.consent.partner_sharing.help": "사진의 지문(해시)만 협력 플랫폼에 보내 다시 올라오는 "
        "것을 차단합니다. 사진은 보내지 않습니다. 동의하지 않으면 직접 등록한 사진은 협력 "
        "플랫폼에서 차단되지 않습니다.",
    "portal.consent.face_search.help": "딥페이크를 찾기 위해 내 얼굴 특징값을 등록하고 검색합니다. "
        "철회하면 얼굴 특징값이 바로 삭제됩니다.",
    "portal.consent.evidence_capture.help": "유포 게시물을 암호화된 증거로 수집·보관합니다.",
    "portal.consent.police_referral.help": "수사기관에 사건을 연계하고 자료를 제공합니다.",
    "Give consent": "동의하기",
    "Withdraw consent": "동의 철회",
    "Consent given: {purpose}.": "동의했습니다: {purpose}.",
    "Consent withdrawn: {purpose}.": "동의를 철회했습니다: {purpose}.",
    "Your choice": "나의 선택",
    "Enter your secret again to change a consent.": "동의를 바꾸려면 비밀번호를 다시 입력하세요.",
    "Save my choice": "선택 저장",
    "Choose a consent and whether you give or withdraw it.":
        "동의 항목과, 동의할지 철회할지를 고르세요.",
}

EN: dict[str, str] = {
    "error.400.title": "The request could not be handled",
    "error.400.next": "Go back to the previous page and try again.",
    "error.401.title": "Please log in",
    "error.401.next": "Log in again, then carry on where you were.",
    "error.403.title": "Not allowed",
    "error.403.next": "This page or action is not part of your role, or the record belongs to "
                      "another centre or colleague. If you need it for your work, ask your "
                      "centre's administrator.",
    "error.404.title": "Not found",
    "error.404.next": "The address is wrong or the record was removed. Go back to the list and "
                      "search for it.",
    "error.405.title": "This address cannot be opened this way",
    "error.405.next": "Use the links and buttons of the pages instead.",
    "error.409.title": "Not possible now",
    "error.409.next": "The record has changed, or its state does not allow this (for example a "
                      "closed or erased case). Open the record again and check its state.",
    "error.413.title": "The file is too large",
    "error.413.next": "Choose a smaller file, or fewer files, and try again.",
    "error.415.title": "This kind of file cannot be read",
    "error.415.next": "Use a common image (JPEG, PNG, WebP) or video (MP4) file.",
    "error.422.title": "Some values were not accepted",
    "error.422.next": "Go back, correct the fields marked and send again.",
    "error.429.title": "Too many attempts",
    "error.429.next": "Wait a minute, then try again.",
    "error.500.title": "Something went wrong on the server",
    "error.500.next": "Nothing was saved. Try again; if this page comes back, tell your "
                      "administrator the time it happened.",
    "error.503.title": "The server is busy",
    "error.503.next": "Try again in a moment.",
    "error.form_incomplete": "A field of the form is missing or not valid.",
    "error.close_reason_required": "Say why the case is closed; it is kept in the audit log.",
    "error.hand_over_reason_required": "Say why the case goes to another centre.",
    "error.bad_centre": "Choose the centre that takes the case.",
    "error.same_centre": "The case is already at that centre.",
    "error.bad_case_assignee": "Choose a colleague from the list.",
    "error.erase_reason_required": "Say how the victim asked for erasure.",
    "error.not_in_queue": "This case is not in your intake queue.",
    "error.already_picked_up": "Another counsellor has already picked this case up.",
    "error.may_not_register": "Only the counsellor assigned to the case registers the victim's "
                              "pictures.",
    "error.reject_reason_required": "Say why the match is rejected.",
    "error.bad_channel": "Choose how the victim reached the centre.",
    "error.bad_purpose": "Choose one of the purposes listed.",
    "error.bad_review_action": "Choose confirm, reject or release.",
    "event.picked_up": "Picked up",
    "event.handed_over": "Handed over to another centre",
    "portal.consent.partner_sharing.help": "Only fingerprints (hashes) of your pictures go to "
        "partner platforms, so they can block uploads. Never the pictures. Without it, the "
        "pictures you registered yourself are not blocked on partner platforms.",
    "portal.consent.face_search.help": "Register your face features to search for deepfakes. "
        "Withdrawing deletes them at once.",
    "portal.consent.evidence_capture.help": "Capture posts that spread the material as "
                                            "encrypted evidence.",
    "portal.consent.police_referral.help": "Refer the case to the police and share material "
                                           "with them.",
}
