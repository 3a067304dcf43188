"""Korean (and English where the English differs from the msgid) messages of hardening
(issue 13): account rules, slowed-down victim logins, the portal without JavaScript, the
decode budget and the CLI's first use."""

KO: dict[str, str] = {
    # errors, by code
    "error.central_admin_only": "중앙센터 관리자 계정은 중앙센터 관리자만 바꿀 수 있습니다.",
    "error.own_account": "자기 계정에는 이 작업을 할 수 없습니다.",
    "error.victim_slow_down":
        "틀린 시도가 많았어요. 잠시 기다린 뒤 다시 해 주세요. 계속 안 되면 1366에 전화하세요.",
    "error.decode_busy":
        "지금 처리 중인 파일이 많아 잠시 받을 수 없습니다. 잠시 후 다시 시도하세요.",
    "error.database_out_of_date":
        "데이터베이스가 이 버전에 맞지 않습니다. 백업한 뒤 `jikimi db upgrade`를 실행하세요.",
    "error.media_too_large_for_memory":
        "이미지를 여는 데 필요한 메모리가 허용된 크기를 넘습니다. 크기를 줄여 다시 보내세요.",
    # the portal without JavaScript
    "Enter your secret again to erase your data.":
        "데이터를 삭제하려면 비밀번호를 다시 입력하세요.",
    "I understand that this cannot be undone.": "되돌릴 수 없다는 것을 이해했어요.",
    "Tick the box to confirm.": "확인란을 선택해 주세요.",
    "This page needs JavaScript: your pictures are fingerprinted on this device, so nothing was "
    "sent. Turn JavaScript on, or ask the centre.":
        "이 페이지는 자바스크립트가 필요해요. 사진의 지문을 이 기기에서 만들기 때문에 아무것도 "
        "보내지 않았어요. 자바스크립트를 켜거나 센터에 문의하세요.",
}

EN: dict[str, str] = {
    "error.central_admin_only":
        "Only a central-centre administrator may change a central admin's account.",
    "error.own_account": "You cannot do this to your own account.",
    "error.victim_slow_down":
        "There were many wrong attempts. Wait a little and try again; if it still does not "
        "work, call 1366.",
    "error.decode_busy":
        "Too many files are being processed right now. Try again in a moment.",
    "error.database_out_of_date":
        "The database does not match this version: back it up, then run `jikimi db upgrade`.",
    "error.media_too_large_for_memory":
        "Opening this image would need more memory than allowed. Make it smaller and send it "
        "again.",
    "Enter your secret again to erase your data.": "Enter your secret again to erase your data.",
    "I understand that this cannot be undone.": "I understand that this cannot be undone.",
    "Tick the box to confirm.": "Tick the box to confirm.",
    "This page needs JavaScript: your pictures are fingerprinted on this device, so nothing was "
    "sent. Turn JavaScript on, or ask the centre.":
        "This page needs JavaScript: your pictures are fingerprinted on this device, so nothing "
        "was sent. Turn JavaScript on, or ask the centre.",
}
