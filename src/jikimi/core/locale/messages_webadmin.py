"""Korean (and English where the English differs from the msgid) messages of the
administration pages (staff accounts, centres, my account), the source forms and the
exchange subscription page."""

KO: dict[str, str] = {
    # navigation
    "Staff": "직원",
    "Centres": "센터",
    "My account": "내 계정",
    # staff accounts
    "Staff accounts": "직원 계정",
    "You manage the accounts of every centre.": "모든 센터의 직원 계정을 관리합니다.",
    "You manage the accounts of your centre. Central-centre administrators' accounts are "
    "managed by the central centre.":
        "우리 센터의 직원 계정을 관리합니다. 중앙센터 관리자 계정은 중앙센터가 관리합니다.",
    "Show": "보기",
    "Role": "역할",
    "Two-factor login": "2단계 인증",
    "On": "사용",
    "Locked": "잠김",
    "Deactivated": "비활성화됨",
    "Last login": "마지막 로그인",
    "No accounts.": "계정이 없습니다.",
    "New staff account": "새 직원 계정",
    "A password is generated and shown once. Administrators get a two-factor secret at once, "
    "shown as a QR code for their authenticator app.":
        "비밀번호는 자동으로 만들어져 한 번만 표시됩니다. 관리자 계정은 2단계 인증 키도 바로 "
        "만들어지며, 인증 앱에 등록할 QR 코드로 표시됩니다.",
    "Display name": "표시 이름",
    "Create account": "계정 만들기",
    "Account created": "계정을 만들었습니다",
    "Password reset": "비밀번호를 재설정했습니다",
    "Two-factor login reset": "2단계 인증을 재설정했습니다",
    "Shown once: hand it over in person or by phone, never by e-mail. It cannot be shown "
    "again.":
        "한 번만 표시됩니다. 직접 만나거나 전화로 전달하고, 이메일로는 보내지 마세요. 다시 볼 "
        "수 없습니다.",
    "Scan this QR code with the authenticator app on her phone, or type the key.":
        "본인 휴대전화의 인증 앱으로 이 QR 코드를 스캔하거나 키를 직접 입력하게 하세요.",
    "QR code for the authenticator app": "인증 앱에 등록할 QR 코드",
    "Key": "키",
    "Two-factor login is off for this account; she can turn it on again on her account page.":
        "이 계정의 2단계 인증이 꺼졌습니다. 본인이 내 계정 화면에서 다시 켤 수 있습니다.",
    "Go to the account": "계정으로 이동",
    "Back to staff accounts": "직원 계정 목록으로",
    "Saved.": "저장했습니다.",
    "Locked until {time}": "{time}까지 잠김",
    "This is your own account: change your password and two-factor login on your account "
    "page.": "본인 계정입니다. 비밀번호와 2단계 인증은 내 계정 화면에서 바꾸세요.",
    "Role and name": "역할과 이름",
    "Change role": "역할 변경",
    "Administrator roles need two-factor login: the member turns it on on her account page "
    "first.": "관리자 역할에는 2단계 인증이 필요합니다. 본인이 먼저 내 계정 화면에서 켜야 합니다.",
    "Save name": "이름 저장",
    "Access": "접근",
    "A new password is generated and shown to you once; her sessions end.":
        "새 비밀번호가 만들어져 한 번만 표시되고, 그 직원의 로그인 세션은 모두 끝납니다.",
    "Reset password": "비밀번호 재설정",
    "For a lost phone. Administrators get a new secret at once (shown as a QR code); others "
    "turn two-factor login on again themselves.":
        "휴대전화를 잃어버렸을 때 씁니다. 관리자는 새 키를 바로 받고(QR 코드로 표시), 다른 "
        "직원은 본인이 2단계 인증을 다시 켭니다.",
    "Reset two-factor login": "2단계 인증 재설정",
    "Unlock": "잠금 해제",
    "A deactivated account cannot log in; its sessions and API tokens stop working. Its "
    "history stays.":
        "비활성화된 계정은 로그인할 수 없고 세션과 API 토큰도 멈춥니다. 기록은 그대로 남습니다.",
    "Deactivate": "비활성화",
    "Reactivate": "다시 활성화",
    # centres
    "Every account and every case belongs to one centre. The central centre receives the "
    "cases victims open in the portal; its administrators see national statistics.":
        "모든 계정과 사건은 한 센터에 속합니다. 피해자가 포털에서 연 사건은 중앙센터로 "
        "들어오고, 중앙센터 관리자는 전국 통계를 봅니다.",
    "Active staff": "활성 직원",
    "Rename": "이름 바꾸기",
    "Central centre": "중앙센터",
    "New name of {name}": "{name}의 새 이름",
    "Move the central centre here (its administrators move with it)":
        "중앙센터를 이 센터로 옮깁니다 (중앙센터 관리자 계정도 함께 옮겨집니다)",
    "Make central": "중앙센터로 지정",
    "New centre": "새 센터",
    "Create centre": "센터 만들기",
    # my account
    "Your password is changed.": "비밀번호를 바꿨습니다.",
    "Two-factor login is on: from now on, log in with the code from your app.":
        "2단계 인증을 켰습니다. 이제부터 로그인할 때 인증 앱의 코드를 함께 입력하세요.",
    "On. If you lose your phone, ask an administrator to reset it.":
        "사용 중입니다. 휴대전화를 잃어버리면 관리자에게 재설정을 요청하세요.",
    "Scan this QR code with your authenticator app (or type the key), then enter the 6-digit "
    "code it shows.":
        "인증 앱으로 이 QR 코드를 스캔하거나 키를 직접 입력한 뒤, 앱에 표시된 6자리 코드를 "
        "입력하세요.",
    "6-digit code": "6자리 코드",
    "Turn on": "켜기",
    "Off. With it on, a stolen password alone cannot open your account.":
        "사용하지 않습니다. 켜 두면 비밀번호가 유출되어도 계정이 열리지 않습니다.",
    "Set up two-factor login": "2단계 인증 설정",
    "Change password": "비밀번호 변경",
    "Current password": "현재 비밀번호",
    "New password (at least 12 characters)": "새 비밀번호 (12자 이상)",
    "New password again": "새 비밀번호 확인",
    # sources
    "New source": "새 모니터링 대상",
    "Back to monitoring": "모니터링으로",
    "Kind of source": "모니터링 대상 종류",
    "Choose what kind of place to watch:": "지켜볼 곳의 종류를 고르세요:",
    "Pages or files at known addresses, checked one by one.":
        "주소를 아는 페이지나 파일을 하나씩 확인합니다.",
    "A web site followed from its first page, link by link, within a depth and page limit.":
        "첫 페이지부터 링크를 따라가며 웹사이트를 확인합니다 (깊이와 페이지 수 제한 안에서).",
    "A site's RSS or Atom feed: new posts are checked at every scan.":
        "사이트의 RSS 또는 Atom 피드입니다. 스캔할 때마다 새 글을 확인합니다.",
    "A chat exported with Telegram Desktop (the folder with result.json), in the import area.":
        "텔레그램 데스크톱으로 내보낸 대화(result.json이 있는 폴더)로, 가져오기 영역에 있어야 "
        "합니다.",
    "A seized folder or ZIP archive in the import area.":
        "가져오기 영역에 있는 압수 폴더나 ZIP 압축 파일입니다.",
    "First pages (one address a line)": "첫 페이지 주소 (한 줄에 하나)",
    "Feed addresses (one a line)": "피드 주소 (한 줄에 하나)",
    "Addresses (one a line)": "주소 (한 줄에 하나)",
    "Links to follow from the first page (depth)": "첫 페이지에서 따라갈 링크 단계 (깊이)",
    "At most this many pages": "최대 페이지 수",
    "Other hosts the site's images come from (optional, one a line)":
        "이 사이트의 이미지가 오는 다른 호스트 (선택, 한 줄에 하나)",
    "Folder of the export in the import area": "가져오기 영역의 내보내기 폴더",
    "Folder or ZIP file in the import area": "가져오기 영역의 폴더 또는 ZIP 파일",
    "Import area: {roots}": "가져오기 영역: {roots}",
    "A path on the server, readable by jikimi.": "jikimi가 읽을 수 있는 서버의 경로입니다.",
    "Upload the export as a ZIP (Telegram Desktop's folder, zipped)":
        "내보내기를 ZIP으로 올리기 (텔레그램 데스크톱의 내보내기 폴더를 압축한 것)",
    "Upload a ZIP of the seized pictures and videos": "압수한 사진·동영상의 ZIP 파일 올리기",
    "It is checked (no zip bombs, links or paths outside its folder) and kept in your "
    "centre's import folder. Or give a folder that is already there:":
        "파일을 검사한 뒤(압축 폭탄, 링크, 폴더 밖 경로 차단) 우리 센터의 가져오기 폴더에 "
        "보관합니다. 또는 이미 가져오기 영역에 있는 폴더를 입력하세요:",
    "Time zone of the export": "내보내기의 시간대",
    "Also check thumbnails": "미리보기 이미지도 확인",
    "Skip files that are not pictures or videos": "사진이나 동영상이 아닌 파일은 건너뛰기",
    "Scan again every … minutes (optional)": "다시 스캔할 간격, 분 (선택)",
    "Add and scan now": "추가하고 바로 스캔",
    "The source is added. Scan it now from its row below.":
        "모니터링 대상을 추가했습니다. 아래 목록에서 바로 스캔할 수 있습니다.",
    "the re-scan interval is 5 minutes to a year": "다시 스캔할 간격은 5분에서 1년 사이입니다.",
    "choose a kind of source": "모니터링 대상 종류를 고르세요.",
    "error.not_a_number": "정수를 입력하세요.",
    # exchange subscriptions
    "Exchange subscriptions": "교환망 구독",
    "Banks filled from other hotlines' exchanges (StopNCII, NCMEC, ThreatExchange, a "
    "hash-list file), so that scans also find what they already know. A fetch adds what "
    "changed since the last one.":
        "다른 신고센터의 교환망(StopNCII, NCMEC, ThreatExchange, 해시 목록 파일)에서 채워지는 "
        "해시 DB입니다. 모니터링이 그들이 이미 아는 콘텐츠도 찾게 됩니다. 가져오기는 지난번 "
        "이후 바뀐 것을 더합니다.",
    "Subscribed. Fetch it now to fill its bank.":
        "구독했습니다. 지금 가져오기로 해시 DB를 채우세요.",
    "Fetched. The numbers below are up to date.": "가져왔습니다. 아래 숫자는 최신입니다.",
    "Never": "아직 없음",
    "The exchange failed:": "교환망 오류:",
    "New subscription": "새 구독",
    "Choose the exchange to subscribe to.": "구독할 교환망을 고르세요.",
    "First create a hash bank (not a case's bank) for this exchange to fill.":
        "먼저 이 교환망이 채울 해시 DB(사건의 해시 DB가 아닌 것)를 만드세요.",
    "Bank to fill": "채울 해시 DB",
    "Credentials (stored encrypted, never shown again)":
        "인증 정보 (암호화해 저장하며 다시 표시하지 않음)",
    "Subscribe": "구독",
    "Hash-list file on the server": "서버의 해시 목록 파일",
    "Kind of fingerprint in the file (empty: every kind)": "파일의 지문 종류 (비우면 모든 종류)",
    "NCMEC environment": "NCMEC 환경",
    "Only these ESP ids (comma-separated, optional)": "이 ESP ID만 (쉼표로 구분, 선택)",
    "Privacy group id": "프라이버시 그룹 ID",
    "Fetch function key": "가져오기 함수 키",
    "Subscription key": "구독 키",
    "Other base address (optional)": "다른 기본 주소 (선택)",
    "User name": "사용자 이름",
    "API token": "API 토큰",
    "A hash-list file": "해시 목록 파일",
    "StopNCII": "StopNCII",
    "NCMEC": "NCMEC",
    "Meta ThreatExchange": "Meta ThreatExchange",
    "choose an exchange": "교환망을 고르세요.",
    "subscription names use letters, digits, spaces, '_', '.', '-'":
        "구독 이름에는 글자, 숫자, 공백, '_', '.', '-'만 쓸 수 있습니다.",
    # errors of these pages (by code) and the services' sentences they show
    "error.own_account": "본인 계정에는 이 작업을 할 수 없습니다. 내 계정 화면을 쓰세요.",
    "error.centre_exists": "같은 이름의 센터가 이미 있습니다.",
    "error.choose_role": "역할을 고르세요.",
    "error.passwords_differ": "새 비밀번호 두 칸이 서로 다릅니다.",
    "error.confirm_required": "확인란에 표시해야 진행합니다.",
    "passwords need at least 12 characters": "비밀번호는 12자 이상이어야 합니다.",
    "this role requires two-factor login: the user must enable TOTP first":
        "이 역할에는 2단계 인증이 필요합니다. 본인이 먼저 2단계 인증을 켜야 합니다.",
    "create central admins with a new account in the central centre":
        "중앙센터 관리자는 중앙센터에 새 계정으로 만드세요.",
    "a central admin must belong to the central centre":
        "중앙센터 관리자는 중앙센터 소속이어야 합니다.",
    "you cannot deactivate your own account": "본인 계정은 비활성화할 수 없습니다.",
    "only a central-centre administrator may create central admins":
        "중앙센터 관리자만 중앙센터 관리자 계정을 만들 수 있습니다.",
    "only a central-centre administrator may change a central admin's account":
        "중앙센터 관리자 계정은 중앙센터 관리자만 바꿀 수 있습니다.",
    "only an administrator of this centre may manage its staff":
        "이 센터의 관리자만 직원 계정을 관리할 수 있습니다.",
    "only administrators manage staff accounts": "직원 계정은 관리자만 관리합니다.",
    "only a central-centre administrator may manage centres":
        "센터는 중앙센터 관리자만 관리할 수 있습니다.",
    "two-factor login is already enabled": "2단계 인증이 이미 켜져 있습니다.",
    "start two-factor set-up first": "먼저 2단계 인증 설정을 시작하세요.",
    "another administrator must reset your two-factor login":
        "본인의 2단계 인증은 다른 관리자가 재설정해야 합니다.",
    "change your own password on your account page": "본인 비밀번호는 내 계정 화면에서 바꾸세요.",
    "the two new passwords differ": "새 비밀번호 두 칸이 서로 다릅니다.",
    "choose a role": "역할을 고르세요.",
    "tick the box to confirm": "확인란에 표시해야 진행합니다.",
}

EN: dict[str, str] = {
    "error.not_a_number": "Enter a whole number.",
    "error.own_account": "You cannot do this to your own account; use your account page.",
    "error.centre_exists": "A centre of that name already exists.",
    "error.choose_role": "Choose a role.",
    "error.passwords_differ": "The two new passwords differ.",
    "error.confirm_required": "Tick the box to confirm.",
}
