"""Source of the Korean catalog: edit here, then run ``python -m jikimi.core.locale.build``.

Kept as data (msgid → Korean) so that translators can review one file; the .po files are
generated from it and are what the application reads.
"""

KO: dict[str, str] = {
    # layout
    "jikimi": "지킴이",
    "Digital sex crime victim support": "디지털성범죄 피해자 지원",
    "Skip to content": "본문으로 건너뛰기",
    "Main": "주 메뉴",
    "Cases": "사건",
    "Review": "검토",
    "Takedowns": "삭제 요청",
    "Investigation": "수사 지원",
    "Partners": "협력 플랫폼",
    "Case work": "사건 업무",
    "Capture as evidence": "증거로 수집",
    "Log out": "로그아웃",
    "Log in": "로그인",
    "Staff log in": "직원 로그인",
    "E-mail": "이메일",
    "Password": "비밀번호",
    "6-digit code (if two-factor login is on)": "6자리 인증 코드 (2단계 인증을 쓰는 경우)",
    "Something went wrong": "문제가 생겼습니다",
    "Back to cases": "사건 목록으로",
    # case list
    "New intake": "신규 접수",
    "Filter cases": "사건 걸러 보기",
    "Status": "상태",
    "All": "전체",
    "Intake channel": "접수 경로",
    "Minors only": "미성년자만",
    "Case code": "사건 번호",
    "Filter": "적용",
    "Opened": "접수일",
    "Minor": "미성년자",
    "Minors": "미성년자",
    "Consents": "동의",
    "Erased": "삭제됨",
    "Yes": "예",
    "No cases match.": "조건에 맞는 사건이 없습니다.",
    # intake
    "Contact details are encrypted at rest and shown only to the assigned counsellor.":
        "연락처는 암호화되어 저장되며 담당 상담원에게만 보입니다.",
    "Name (optional)": "이름 (선택)",
    "Phone (optional)": "전화번호 (선택)",
    "E-mail (optional)": "이메일 (선택)",
    "The victim is a minor": "피해자가 미성년자입니다",
    "Open case": "사건 열기",
    "Case opened": "사건이 열렸습니다",
    "Victim's secret": "피해자 비밀번호",
    "Give the code and the secret to the victim now. The secret is shown only once and cannot "
    "be recovered; with both she can check her case and erase her data.":
        "지금 피해자에게 사건 번호와 비밀번호를 알려 주세요. 비밀번호는 한 번만 보이며 다시 "
        "찾을 수 없습니다. 피해자는 이 두 가지로 사건 진행 상황을 확인하고 자신의 정보를 삭제할 "
        "수 있습니다.",
    "Go to the case": "사건으로 이동",
    # case detail
    "Case": "사건",
    "Centre": "센터",
    "None": "없음",
    "Name": "이름",
    "Phone": "전화번호",
    "Change status": "상태 변경",
    "Reason": "사유",
    "Save": "저장",
    "Timeline": "경과",
    "Counselling notes": "상담 기록",
    "No notes yet.": "아직 상담 기록이 없습니다.",
    "New note": "새 상담 기록",
    "Add note": "기록 추가",
    # consent
    "Consent": "동의",
    "Record each purpose only after the victim has agreed to it. She can withdraw at any time.":
        "피해자가 동의한 목적만 기록하세요. 피해자는 언제든 동의를 철회할 수 있습니다.",
    "Purpose": "목적",
    "State": "상태",
    "Action": "조치",
    "Given": "동의함",
    "Not given": "동의 안 함",
    "Withdraw": "철회",
    "Record consent": "동의 기록",
    "History": "이력",
    "given": "동의",
    "withdrawn": "철회",
    "No consent recorded yet.": "기록된 동의가 없습니다.",
    # banks and matching
    "Hash banks": "해시 DB",
    "Match a file": "파일로 일치 항목 찾기",
    "Banks hold fingerprints only, never images. Banks are shared by all centres.":
        "해시 DB에는 이미지가 아니라 지문(해시)만 저장됩니다. 해시 DB는 모든 센터가 함께 씁니다.",
    "Fingerprints": "지문 수",
    "Kind": "종류",
    "PDQ threshold": "PDQ 임계값",
    "Negative (benign)": "제외 DB (무해)",
    "Positive": "일반",
    "No banks yet.": "아직 해시 DB가 없습니다.",
    "New bank": "새 해시 DB",
    "Negative bank: known benign content whose matches suppress others":
        "제외 DB: 무해한 것으로 알려진 콘텐츠로, 여기에 일치하면 다른 일치를 보류합니다",
    "Create": "만들기",
    "Add a file": "파일 추가",
    "The file is fingerprinted and discarded; only its fingerprints are kept.":
        "파일은 지문만 계산한 뒤 버려지고, 지문만 저장됩니다.",
    "Image or video": "이미지 또는 동영상",
    "Add": "추가",
    "Signal": "신호",
    "Fingerprint": "지문",
    "Quality": "품질",
    "Variant": "변형",
    "Label": "이름표",
    "removed": "삭제됨",
    "The file is fingerprinted on the server and discarded; nothing of it is stored.":
        "파일은 서버에서 지문만 계산한 뒤 버려지며, 아무것도 저장되지 않습니다.",
    "Also match mirrored and rotated copies": "좌우 반전·회전된 사본도 찾기",
    "Match": "일치 항목",
    "Result": "결과",
    "Match found": "일치 있음",
    "No match": "일치 없음",
    "Suppressed by a negative bank": "제외 DB에 의해 보류됨",
    "Bank": "해시 DB",
    "Distance": "거리",
    "Reliable": "신뢰",
    "Low quality": "낮은 품질",
    # monitoring
    "Monitoring": "모니터링",
    "Sources are places content appears. A scan fingerprints every item and keeps only "
    "fingerprints and context, never the media.":
        "모니터링 대상은 콘텐츠가 올라오는 곳입니다. 스캔은 모든 항목의 지문을 계산하고, 미디어는 "
        "저장하지 않으며 지문과 맥락 정보만 남깁니다.",
    "Re-scan": "재스캔",
    "every {n} min": "{n}분마다",
    "Scan now": "지금 스캔",
    "No sources yet.": "아직 모니터링 대상이 없습니다.",
    "Recent scans": "최근 스캔",
    "Scan": "스캔",
    "Source": "모니터링 대상",
    "Items": "항목",
    "Matched": "일치",
    "Errors": "오류",
    "No scans yet.": "아직 스캔이 없습니다.",
    "Item": "항목",
    "Context": "맥락",
    "Matches": "일치",
    "Pending": "대기",
    "source.urls": "URL 목록",
    "source.crawl": "웹 크롤링",
    "source.feed": "RSS/Atom 피드",
    "source.telegram": "텔레그램 내보내기",
    "source.archive": "폴더·압축 파일",
    "scan.running": "진행 중",
    "scan.done": "완료",
    "scan.failed": "실패",
    "item.pending": "대기",
    "item.done": "처리됨",
    "item.error": "오류",
    # faces
    "Face search": "얼굴 검색",
    "No synthetic-media detector is configured: matches are by face similarity only. A face "
    "match is never acted on automatically; a person reviews every one.":
        "합성 미디어 탐지기가 설정되어 있지 않습니다. 얼굴 유사도로만 찾습니다. 얼굴 일치는 "
        "자동으로 처리되지 않으며, 모든 결과를 사람이 검토합니다.",
    "The image is analysed on the server and discarded; nothing of it is stored.":
        "이미지는 서버에서 분석한 뒤 버려지며, 아무것도 저장되지 않습니다.",
    "Image": "이미지",
    "Search faces": "얼굴 찾기",
    "No face found in this image.": "이 이미지에서 얼굴을 찾지 못했습니다.",
    "Face": "얼굴",
    "possible deepfake or new material": "딥페이크 또는 새 촬영물 가능성",
    "strong": "강한 일치",
    "No enrolled face is similar.": "등록된 얼굴과 비슷하지 않습니다.",
    "Face search enrolment": "얼굴 검색 등록",
    "The photos are analysed and discarded; only face features are kept, encrypted, and "
    "erased when consent is withdrawn.":
        "사진은 분석한 뒤 버려지고, 얼굴 특징값만 암호화해 보관하며 동의를 철회하면 즉시 "
        "삭제됩니다.",
    "Reference photos (one face each)": "기준 사진 (사진마다 얼굴 하나)",
    "Enrol": "등록",
    # central admin
    "All centres": "전체 센터",
    "Statistics across centres. Case details and counselling notes stay with each centre.":
        "센터별 통계입니다. 사건 내용과 상담 기록은 각 센터에만 남습니다.",
    # enumerations
    "role.counsellor": "상담원",
    "role.analyst": "삭제지원 분석관",
    "role.investigator": "수사·법률 지원",
    "role.admin": "센터 관리자",
    "role.central_admin": "중앙센터 관리자",
    "status.open": "접수",
    "status.active": "지원 중",
    "status.monitoring": "모니터링",
    "status.closed": "종결",
    "status.reopened": "재개",
    "channel.hotline": "전화 상담",
    "channel.web": "온라인",
    "channel.walk_in": "방문",
    "channel.referral": "기관 연계",
    "consent.partner_sharing": "협력 플랫폼과 해시 공유",
    "consent.face_search": "얼굴 검색",
    "consent.evidence_capture": "증거 수집",
    "consent.police_referral": "수사기관 연계",
    "consent.partner_sharing.help":
        "이미지의 지문(해시)만 협력 플랫폼에 보내 업로드를 차단합니다. 이미지는 보내지 않습니다.",
    "consent.face_search.help": "딥페이크를 찾기 위해 얼굴 특징값을 등록하고 검색합니다.",
    "consent.evidence_capture.help": "유포 게시물을 암호화된 증거로 수집·보관합니다.",
    "consent.police_referral.help": "수사기관에 사건을 연계하고 자료를 제공합니다.",
    "event.intake": "접수",
    "event.status": "상태 변경",
    "event.note": "상담 기록 추가",
    "event.assigned": "담당자 배정",
    "event.unassigned": "담당자 해제",
    "event.consent_granted": "동의 기록",
    "event.consent_withdrawn": "동의 철회",
    "event.erased": "요청에 따라 삭제",
    # errors, by code
    "error.not_found": "찾을 수 없습니다.",
    "error.forbidden": "이 작업을 할 권한이 없습니다.",
    "error.not_authenticated": "먼저 로그인하세요.",
    "error.login_failed": "이메일, 비밀번호 또는 인증 코드가 맞지 않습니다.",
    "error.account_locked":
        "로그인 실패가 반복되어 계정이 잠겼습니다. 잠시 후 다시 시도하거나 관리자에게 잠금 해제를 "
        "요청하세요.",
    "error.totp_required": "인증 앱의 6자리 코드를 입력하세요.",
    "error.bad_totp": "인증 코드가 맞지 않습니다. 휴대전화의 시간을 확인하고 다시 시도하세요.",
    "error.bad_token": "API 토큰이 없거나 만료되었거나 폐기되었습니다.",
    "error.csrf_failed": "양식이 만료되었습니다. 페이지를 새로 고친 뒤 다시 시도하세요.",
    "error.conflict": "현재 상태에서는 할 수 없는 요청입니다.",
    "error.invalid_transition": "현재 상태에서 그 상태로 바꿀 수 없습니다.",
    "error.invalid_input": "입력값이 올바르지 않습니다.",
    "error.invalid_request": "요청이 올바르지 않습니다. 'fields'에 표시된 항목을 확인하세요.",
    "error.bad_case_code": "사건 번호 형식이 아닙니다 (예: DSC-2026-000123).",
    "error.bad_phone": "전화번호에는 숫자, 공백, +, -, 괄호만 쓸 수 있습니다.",
    "error.bad_email": "이메일 주소 형식이 아닙니다.",
    "error.case_erased": "피해자의 요청으로 삭제된 사건이어서 변경할 수 없습니다.",
    "error.rate_limited": "시도가 너무 많습니다. 잠시 후 다시 시도하세요.",
    "error.body_too_large": "요청 본문이 너무 큽니다.",
    "error.method_not_allowed": "이 주소에서는 허용되지 않는 요청 방식입니다.",
    "error.http_error": "요청을 처리할 수 없습니다.",
    "error.internal_error":
        "서버에 문제가 생겼습니다. 아무것도 변경되지 않았습니다. 다시 시도하세요.",
    "error.control_characters": "입력에 제어 문자가 들어 있습니다. 지우고 다시 시도하세요.",
    "error.victim_login_failed": "사건 번호 또는 비밀번호가 맞지 않습니다.",
    "error.wrong_password": "현재 비밀번호가 맞지 않습니다.",
    "error.decrypt_failed": "암호화된 데이터를 열 수 없습니다. 키 파일을 확인하세요.",
    "error.unsupported_media": "지원하지 않는 파일 형식입니다.",
    "error.media_too_large": "파일이 허용된 크기를 넘습니다.",
    "error.corrupt_media": "파일이 손상되었거나 읽을 수 없습니다.",
    "error.media_error": "파일을 처리할 수 없습니다.",
    "error.configuration_error": "설치 설정에 문제가 있습니다.",
    "error.integrity_error": "저장된 데이터의 무결성 검사에 실패했습니다.",
    "error.bad_hash": "지문(해시) 값의 형식이 올바르지 않습니다.",
    "error.consent_required": "이 작업에 필요한 피해자의 동의가 기록되어 있지 않습니다.",
    "error.no_face": "얼굴이 정확히 하나 있는 사진이 없습니다.",
    "error.invalid_source_config": "모니터링 대상의 설정이 올바르지 않습니다.",
    "error.bad_source_type": "알 수 없는 모니터링 대상 종류입니다.",
    "error.bad_signal_type": "알 수 없는 신호 종류입니다 (pdq, vpdq, sha256, md5).",
    "error.bad_bank_name": "해시 DB 이름에는 글자, 숫자, 공백, '_', '.', '-'만 쓸 수 있습니다.",
    "error.bad_hash_list": "해시 목록을 읽을 수 없습니다.",
    # victim portal (jikimi.portal)
    "Support for victims of digital sex crimes": "디지털성범죄 피해자 지원",
    "Quick exit": "빠른 나가기",
    "Leaves this site at once and opens a weather page.":
        "누르면 바로 이 사이트를 떠나 날씨 페이지로 이동해요.",
    "About": "소개",
    "Register pictures": "사진 등록",
    "My case": "내 사건",
    "If you are in danger now, call 112. For counselling at any time, call 1366.":
        "지금 위험하다면 112에 전화하세요. 상담은 언제든 1366에서 받을 수 있어요.",
    "You are not alone. We can help stop the spread.":
        "혼자가 아니에요. 유포를 막도록 함께 도울게요.",
    "What happened is not your fault. The centre helps people whose intimate pictures or "
    "videos were taken, shared or faked without their consent: we look for copies, ask sites "
    "to delete them and support you through counselling and legal steps.":
        "일어난 일은 당신의 잘못이 아니에요. 센터는 동의 없이 촬영·유포되거나 합성된 사진과 "
        "영상으로 피해를 입은 분을 도와요. 유포된 사본을 찾고, 사이트에 삭제를 요청하고, 상담과 "
        "법률 지원을 함께해요.",
    "How registering pictures works": "사진 등록은 이렇게 이루어져요",
    "You choose the pictures on your own phone or computer.":
        "내 휴대전화나 컴퓨터에서 사진을 고릅니다.",
    "Your browser turns each picture into a fingerprint: a short string of numbers and "
    "letters. The picture cannot be rebuilt from it.":
        "브라우저가 사진마다 ‘지문’(숫자와 글자로 된 짧은 값)을 만들어요. 지문으로는 사진을 "
        "되살릴 수 없어요.",
    "Only the fingerprints are sent to the centre. Your pictures never leave your device, "
    "and no one at the centre sees them.":
        "센터에는 지문만 전송돼요. 사진은 기기 밖으로 나가지 않습니다. 센터의 누구도 사진을 "
        "보지 않아요.",
    "We compare the fingerprints with what we find online and, if you agree, with partner "
    "platforms, so copies can be found and blocked.":
        "센터는 온라인에서 찾은 게시물과 지문을 비교하고, 동의하시면 협력 플랫폼과도 공유해 "
        "사본을 찾아 차단해요.",
    "You stay in control": "결정은 언제나 당신이 해요",
    "You need the case code and secret that your counsellor gave you.":
        "상담원에게 받은 사건 번호와 비밀번호가 필요해요.",
    "You can check your case at any time, stop sharing with partner platforms, or erase your "
    "data.":
        "언제든 사건 진행 상황을 확인하고, 협력 플랫폼과의 공유를 멈추거나, 내 정보를 삭제할 수 "
        "있어요.",
    "Take breaks whenever you need. The quick-exit button at the top leaves this site at once.":
        "필요하면 언제든 쉬어 가세요. 위쪽의 ‘빠른 나가기’ 버튼을 누르면 바로 이 사이트를 떠나요.",
    "No case code yet? Call 1366 or the centre: a counsellor will open a case with you and "
    "give you a code and a secret.":
        "아직 사건 번호가 없나요? 1366이나 센터에 전화하세요. 상담원이 사건을 열고 사건 번호와 "
        "비밀번호를 알려 드려요.",
    "Your pictures stay on this device. This page computes their fingerprints here, in your "
    "browser, and sends only the fingerprints.":
        "사진은 이 기기에 그대로 있어요. 이 페이지는 브라우저 안에서 지문을 만들고, 지문만 "
        "전송해요.",
    "Your case": "내 사건",
    "As your counsellor gave it to you, like DSC-2026-000123.":
        "상담원에게 받은 그대로 입력하세요 (예: DSC-2026-000123).",
    "Secret": "비밀번호",
    "Pictures": "사진",
    "Choose pictures on this device": "이 기기에서 사진 고르기",
    "Up to {n} pictures at a time. Previews are blurred and shown only on this device.":
        "한 번에 {n}장까지 고를 수 있어요. 미리보기는 흐리게 표시되며 이 기기에서만 보여요.",
    "Show previews": "미리보기 선명하게 보기",
    "Hide previews": "미리보기 흐리게",
    "Chosen pictures": "고른 사진",
    "You may give each picture a short label of your own (for example “photo 1”) to recognise "
    "it later. Labels are sent to the centre: do not write names or other personal details.":
        "나중에 알아볼 수 있도록 사진마다 짧은 이름(예: ‘사진 1’)을 붙일 수 있어요. 이름은 "
        "센터로 전송되니 실명이나 다른 개인정보는 쓰지 마세요.",
    "Compute fingerprints and register": "지문 만들고 등록하기",
    "Enter your case code and secret to see where things stand.":
        "사건 번호와 비밀번호를 입력하면 진행 상황을 볼 수 있어요.",
    "Show my case": "내 사건 보기",
    "Registered fingerprints": "등록된 지문",
    "Registered pictures": "등록한 사진",
    "Your choices": "내 선택",
    "Stop sharing your fingerprints with partner platforms. The centre keeps using them to "
    "look for copies.":
        "협력 플랫폼과 지문 공유를 멈춥니다. 센터는 계속 지문으로 사본을 찾아요.",
    "Stop sharing with partner platforms": "협력 플랫폼과 공유 멈추기",
    "Erase your data: your contact details, counselling notes, consents and every registered "
    "fingerprint are deleted at once. This cannot be undone, and the centre can no longer "
    "search for copies for you.":
        "내 정보 삭제: 연락처, 상담 기록, 동의 내역과 등록한 모든 지문이 즉시 삭제돼요. 되돌릴 수 "
        "없고, 센터가 더 이상 사본을 찾아 드릴 수 없어요.",
    "Erase my data": "내 정보 삭제",
    "Erase everything now? This cannot be undone.": "지금 모두 삭제할까요? 되돌릴 수 없어요.",
    "Yes, erase my data": "네, 삭제할게요",
    "Cancel": "취소",
    "Fingerprinting {name}…": "{name}의 지문을 만드는 중…",
    "Ready": "완료",
    "Could not read this picture.": "이 사진을 읽을 수 없어요.",
    "Choose at least one picture.": "사진을 한 장 이상 골라 주세요.",
    "Enter your case code and secret.": "사건 번호와 비밀번호를 입력해 주세요.",
    "Sending fingerprints…": "지문을 보내는 중…",
    "Registered: {items} pictures, {added} new fingerprints. {fingerprints} fingerprints are "
    "registered for your case in all.":
        "등록했어요: 사진 {items}장, 새 지문 {added}개. 내 사건에 등록된 지문은 모두 "
        "{fingerprints}개예요.",
    "Something went wrong. Nothing was sent. Try again.":
        "문제가 생겼어요. 아무것도 전송되지 않았어요. 다시 시도해 주세요.",
    "Could not reach the centre. Check the connection and try again.":
        "센터에 연결할 수 없어요. 인터넷 연결을 확인하고 다시 시도해 주세요.",
    "Picture {n}": "사진 {n}",
    "Preview of picture {n}": "사진 {n} 미리보기",
    "Label for picture {n} (optional)": "사진 {n}의 이름 (선택)",
    "Up to {n} pictures at a time. Only the first {n} will be registered.":
        "한 번에 {n}장까지예요. 처음 {n}장만 등록돼요.",
    "Sharing with partner platforms is now off.": "이제 협력 플랫폼과 공유하지 않아요.",
    "Your data has been erased.": "내 정보가 삭제되었어요.",
    "Registered on {date}": "{date} 등록",
    "No pictures are registered yet.": "아직 등록한 사진이 없어요.",
    "This browser cannot compute fingerprints. Try a recent Chrome, Edge, Firefox or Safari, "
    "or ask the centre.":
        "이 브라우저에서는 지문을 만들 수 없어요. 최신 Chrome, Edge, Firefox, Safari를 쓰거나 "
        "센터에 문의해 주세요.",
    "Working…": "처리 중…",
    "Some pictures are too plain to fingerprint reliably; they are registered anyway.":
        "일부 사진은 단순해서 지문의 신뢰도가 낮지만, 그래도 등록했어요.",
}

# English texts for the identifiers that are not English sentences themselves.
EN: dict[str, str] = {
    "jikimi": "jikimi",
    "role.counsellor": "Counsellor",
    "role.analyst": "Deletion analyst",
    "role.investigator": "Investigator / legal liaison",
    "role.admin": "Centre administrator",
    "role.central_admin": "Central-centre administrator",
    "status.open": "Open",
    "status.active": "Active",
    "status.monitoring": "Monitoring",
    "status.closed": "Closed",
    "status.reopened": "Reopened",
    "channel.hotline": "Hotline call",
    "channel.web": "Web",
    "channel.walk_in": "Walk-in",
    "channel.referral": "Referral",
    "consent.partner_sharing": "Hash sharing with partner platforms",
    "consent.face_search": "Face search",
    "consent.evidence_capture": "Evidence capture",
    "consent.police_referral": "Police referral",
    "consent.partner_sharing.help":
        "Only fingerprints (hashes) of her images go to partner platforms, to block uploads. "
        "Never the images.",
    "consent.face_search.help": "Register her face features to search for deepfakes.",
    "consent.evidence_capture.help": "Capture posts that spread the material as encrypted "
                                     "evidence.",
    "consent.police_referral.help": "Refer the case to the police and share material with them.",
    "event.intake": "Intake",
    "event.status": "Status changed",
    "event.note": "Counselling note added",
    "event.assigned": "Staff assigned",
    "event.unassigned": "Staff unassigned",
    "event.consent_granted": "Consent recorded",
    "event.consent_withdrawn": "Consent withdrawn",
    "event.erased": "Erased on request",
    "source.urls": "URL list",
    "source.crawl": "Web crawl",
    "source.feed": "RSS/Atom feed",
    "source.telegram": "Telegram export",
    "source.archive": "Folder or archive",
    "scan.running": "Running",
    "scan.done": "Done",
    "scan.failed": "Failed",
    "item.pending": "Pending",
    "item.done": "Processed",
    "item.error": "Error",
}
