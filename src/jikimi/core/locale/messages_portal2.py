"""Korean (and English where the English differs from the msgid) messages of portal2: the
victim portal's videos, submission files, new cases, face search and status additions."""

KO: dict[str, str] = {
    # register page: videos and submission files
    "Pictures and videos": "사진과 영상",
    "Choose pictures or videos on this device": "이 기기에 있는 사진이나 영상을 고르세요",
    "For a video, this page looks at one frame per second; a long video takes a few minutes.":
        "영상은 1초에 한 장면씩 살펴봐요. 긴 영상은 몇 분 걸릴 수 있어요.",
    "I made a submission file with the jikimi hash program":
        "jikimi hash 프로그램으로 제출 파일을 만들었어요",
    "Submission file (.json)": "제출 파일 (.json)",
    "The file holds fingerprints only. It is read on this device and its fingerprints are sent "
    "with your case code.":
        "이 파일에는 지문만 들어 있어요. 파일은 이 기기에서 읽고, 지문만 사건 번호와 함께 "
        "보내요.",
    "This is not a submission file from the jikimi hash program.":
        "jikimi hash 프로그램이 만든 제출 파일이 아니에요.",
    "Video": "영상",
    "Picture": "사진",
    "Video: frame {done} of {total}": "영상: {total}개 장면 중 {done}번째",
    "No case code yet?": "아직 사건 번호가 없나요?",
    "Open a case here": "여기에서 사건을 열 수 있어요",
    # home
    "No case code yet? You can open a case here without giving your name, or call 1366 and a "
    "counsellor will open one with you.":
        "아직 사건 번호가 없나요? 이름을 밝히지 않고 여기에서 사건을 열 수 있어요. 1366에 "
        "전화하시면 상담원이 함께 사건을 열어 드려요.",
    "Open a case": "사건 열기",
    "You need a case code and secret: from your counsellor, or by opening a case here yourself.":
        "사건 번호와 비밀번호가 필요해요. 상담원에게 받거나, 여기에서 직접 사건을 열어 받을 수 "
        "있어요.",
    # new case page
    "You do not need to give your name, phone number or anything else. You get a case code and "
    "a secret: with them you can register pictures, check your case and erase your data at any "
    "time.":
        "이름이나 전화번호 같은 정보는 필요 없어요. 사건 번호와 비밀번호를 받게 되고, "
        "이것으로 언제든 사진을 등록하고, 사건을 확인하고, 내 정보를 삭제할 수 있어요.",
    "The secret is shown only once. Write it down or keep it somewhere only you can see.":
        "비밀번호는 한 번만 보여 드려요. 적어 두거나 나만 볼 수 있는 곳에 보관하세요.",
    "If you want to talk to someone, call 1366 at any time, or the centre. A counsellor can take "
    "over your case.":
        "누군가와 이야기하고 싶다면 언제든 1366이나 센터에 전화하세요. 상담원이 사건을 이어서 "
        "도와드릴 수 있어요.",
    "Open my case": "내 사건 열기",
    "Your case is open": "사건이 열렸어요",
    "Keep both now. The centre cannot show the secret again.":
        "지금 두 가지를 모두 보관하세요. 센터도 비밀번호를 다시 보여 드릴 수 없어요.",
    "Copy code and secret": "사건 번호와 비밀번호 복사",
    "Copied.": "복사했어요.",
    "Could not copy. Please write them down.": "복사하지 못했어요. 직접 적어 두세요.",
    # face search page
    "Face search": "얼굴 검색",
    "Fake pictures can put your face on someone else's body. Fingerprints of your own pictures "
    "cannot find those. With your consent, the centre can look for pictures that show your face.":
        "합성 사진은 다른 사람의 몸에 내 얼굴을 붙일 수 있고, 내 사진의 지문으로는 이런 사진을 "
        "찾을 수 없어요. 동의해 주시면 센터가 내 얼굴이 나오는 사진을 찾아볼 수 있어요.",
    "Please read this first: these photos are uploaded":
        "먼저 읽어 주세요: 여기에서 고른 사진은 센터로 전송돼요",
    "Unlike registering pictures, the photos you choose on this page are sent to the centre.":
        "사진 등록과 달리, 이 페이지에서 고른 사진은 센터로 전송돼요.",
    "Your browser cannot compute a face template with the model the centre uses.":
        "센터가 쓰는 얼굴 인식 방식은 브라우저에서 계산할 수 없기 때문이에요.",
    "The centre uses each photo only to compute a face template (a list of numbers that "
    "describes your face) and deletes the photo at once. The photo is never stored and no one "
    "looks at it.":
        "센터는 사진을 얼굴 특징값(얼굴을 나타내는 숫자 목록)을 계산하는 데에만 쓰고 바로 "
        "삭제해요. 사진은 저장되지 않고 아무도 보지 않아요.",
    "Choose ordinary photos of your face, such as a selfie or a photo you have posted. Never "
    "choose intimate pictures here.":
        "셀카나 SNS에 올린 사진처럼 얼굴이 나온 평범한 사진을 고르세요. 이곳에는 사적인 "
        "사진을 절대 올리지 마세요.",
    "A person at the centre always checks a possible match before anything is done.":
        "찾은 결과는 항상 센터의 사람이 먼저 확인한 뒤에 조치해요.",
    "You can stop face search at any time on the My case page; your face templates are then "
    "deleted at once.":
        "'내 사건' 페이지에서 언제든 얼굴 검색을 멈출 수 있고, 그때 얼굴 특징값은 바로 "
        "삭제돼요.",
    "Your consent": "동의",
    "I agree that the centre makes face templates from the photos I send and uses them to look "
    "for pictures that show my face.":
        "내가 보내는 사진으로 센터가 얼굴 특징값을 만들고, 이를 이용해 내 얼굴이 나오는 사진을 "
        "찾는 데 동의해요.",
    "Photos of your face": "내 얼굴 사진",
    "Choose 1 to {n} photos that show only your face": "내 얼굴만 나온 사진을 1~{n}장 고르세요",
    "Each photo should show your face clearly and no one else's.":
        "사진마다 내 얼굴이 또렷하게 나오고 다른 사람의 얼굴은 없어야 해요.",
    "Send photos for face search": "얼굴 검색용 사진 보내기",
    "Face search needs your consent: tick the box if you agree.":
        "얼굴 검색에는 동의가 필요해요. 동의하시면 상자에 표시해 주세요.",
    "Choose at least one photo of your face.": "얼굴 사진을 한 장 이상 고르세요.",
    "Sending photo {n} of {total}…": "사진 {total}장 중 {n}번째를 보내는 중…",
    "Something went wrong. Try again.": "문제가 생겼어요. 다시 시도해 주세요.",
    "Face search is on: {faces} face templates were made. The photos were deleted.":
        "얼굴 검색을 시작했어요. 얼굴 특징값 {faces}개를 만들었고 사진은 삭제했어요.",
    "{n} photos did not show exactly one face and were not used.":
        "사진 {n}장은 얼굴이 하나만 나오지 않아 쓰지 않았어요.",
    # status page
    "Copies found online": "온라인에서 찾은 복제본",
    "Copies found: {n}. The centre is asking the sites to delete them.":
        "찾은 복제본 {n}건. 센터가 사이트에 삭제를 요청하고 있어요.",
    "No copies found so far.": "아직 찾은 복제본이 없어요.",
    "{n} places": "{n}곳",
    "None so far": "아직 없음",
    "On: {n} face templates": "사용 중: 얼굴 특징값 {n}개",
    "Off": "사용 안 함",
    "Stop face search. Your face templates are deleted at once.":
        "얼굴 검색을 멈춰요. 얼굴 특징값은 바로 삭제돼요.",
    "Stop face search": "얼굴 검색 멈추기",
    "Face search is now off. Your face templates have been deleted.":
        "얼굴 검색을 멈췄어요. 얼굴 특징값을 삭제했어요.",
    "Deletion requests": "삭제 요청",
    "Note for picture {n} (optional, stored encrypted)":
        "사진 {n}의 메모 (선택, 암호화해서 보관해요)",
    "Your note: {note}": "내 메모: {note}",
    "No deletion requests yet.": "아직 삭제 요청이 없어요.",
    "takedown.preparing": "센터가 삭제 요청을 준비하고 있어요.",
    "takedown.requested":
        "사이트에 삭제를 요청했고 답을 기다리고 있어요 (주소 {n}곳 중 {removed}곳 삭제됨).",
    "takedown.partly_removed":
        "일부가 삭제됐어요 (주소 {n}곳 중 {removed}곳). 나머지도 계속 요청하고 있어요.",
    "takedown.removed": "삭제됐어요 (주소 {n}곳 모두).",
    "takedown.refused":
        "사이트가 아직 삭제하지 않았어요. 센터가 다음 방법을 찾고 있고, "
        "상담원이 안내해 드릴 거예요.",
    # errors
    "error.new_case_limited":
        "방금 이곳에서 사건이 열렸어요. 한 시간 뒤에 다시 시도하거나 1366에 전화하세요.",
    "error.face_photos_limited": "지금은 사진을 더 보낼 수 없어요. 한 시간 뒤에 다시 시도하세요.",
    "error.empty_upload": "사진이 비어 있어요. 사진을 다시 골라 주세요.",
    "error.face_photo_too_large": "사진이 20MB보다 커요. 더 작은 사진을 골라 주세요.",
    "error.face_search_off": "이 사건에는 얼굴 검색이 켜져 있지 않아요.",
    "error.no_portal_centre": "아직 사건을 받을 센터가 설정되지 않았어요. 1366에 전화하세요.",
}

EN: dict[str, str] = {
    "takedown.preparing": "The centre is preparing a request to delete.",
    "takedown.requested": "The site was asked to delete; waiting for its answer ({removed} of "
                          "{n} addresses removed).",
    "takedown.partly_removed": "Partly removed ({removed} of {n} addresses). The centre keeps "
                               "asking for the rest.",
    "takedown.removed": "Removed (all {n} addresses).",
    "takedown.refused": "The site has not deleted it yet. The centre is looking at next steps "
                        "and your counsellor will tell you.",
    "error.new_case_limited": "A case was just opened from here. Wait an hour, or call 1366.",
    "error.face_photos_limited": "Too many photos for now. Wait an hour and try again.",
    "error.empty_upload": "The photo is empty. Choose it again.",
    "error.face_photo_too_large": "The photo is larger than 20 MB. Choose a smaller one.",
    "error.face_search_off": "Face search is not switched on for this case.",
    "error.no_portal_centre": "No centre is set up to take cases yet. Call 1366.",
}
