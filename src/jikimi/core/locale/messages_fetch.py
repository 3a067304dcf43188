"""Korean and English messages of the perimeter (issue 13): refused server-side fetches,
local paths outside the import roots, and uploads into the import area."""

KO: dict[str, str] = {
    "error.blocked_address":
        "서버가 접속하지 않는 주소입니다. 루프백·사설망·링크 로컬·멀티캐스트·클라우드 "
        "메타데이터 주소(리디렉션으로 이어지는 경우 포함)는 가져오지 않습니다. 공개 인터넷의 "
        "URL을 입력하세요.",
    "error.path_outside_import_roots":
        "가져오기 폴더(JIKIMI_IMPORT_ROOTS) 밖에 있거나 다른 센터의 업로드 폴더에 있는 "
        "경로입니다. ZIP이나 텔레그램 내보내기를 업로드해 사용하거나, 운영자에게 폴더를 가져오기 "
        "폴더에 추가해 달라고 요청하세요.",
    "error.upload_too_large":
        "업로드한 파일이 허용 크기(JIKIMI_MAX_UPLOAD_BYTES)보다 큽니다. 나누어 올리세요.",
    "error.upload_refused": "업로드한 ZIP 파일을 받을 수 없습니다.",
    "error.not_a_zip":
        "ZIP 파일이 아닙니다. 폴더나 텔레그램 데스크톱 내보내기를 ZIP으로 압축해 올리세요.",
    "error.corrupt_archive": "ZIP 파일이 손상되었거나 일부만 올라왔습니다. 다시 올리세요.",
    "error.path_traversal":
        "ZIP 안에 폴더 밖으로 풀리는 항목(경로 조작)이 있어 거부했습니다.",
    "error.symlink": "ZIP 안에 심볼릭 링크가 있어 거부했습니다.",
    "error.encrypted": "암호화된 항목이 있습니다. 암호를 푼 뒤 다시 압축해 올리세요.",
    "error.zip_bomb":
        "압축을 풀면 크기가 지나치게 커지는 ZIP(압축 폭탄)이라 거부했습니다.",
    "error.too_many_entries": "ZIP 안의 파일이 너무 많습니다. 나누어 올리세요.",
    "error.empty_archive": "ZIP 안에 파일이 없습니다.",
    "error.empty_zip": "업로드한 파일이 비어 있습니다.",
    "error.duplicate_entry": "ZIP에 같은 이름의 항목이 두 번 들어 있습니다.",
    "error.not_a_telegram_export":
        "텔레그램 데스크톱 내보내기가 아닙니다(result.json이 없습니다). 대화를 JSON 형식으로 "
        "내보낸 뒤 그 폴더를 ZIP으로 압축해 올리세요.",
    "error.bad_upload_kind":
        "업로드 종류는 archive(미디어 ZIP) 또는 telegram(압축한 텔레그램 내보내기)입니다.",
    "error.upload_missing": "양식의 file 항목에 ZIP 파일을 넣어 보내세요.",
}

EN: dict[str, str] = {
    "error.blocked_address":
        "jikimi does not fetch from this address: loopback, private, link-local, multicast "
        "and cloud metadata addresses (redirects to them included) are refused. Give a URL "
        "on the public internet.",
    "error.path_outside_import_roots":
        "The path is outside the import roots (JIKIMI_IMPORT_ROOTS) or in another centre's "
        "upload folder. Upload the ZIP or Telegram export instead, or ask the operator to add "
        "its folder to the import roots.",
    "error.upload_too_large":
        "The upload is larger than the limit (JIKIMI_MAX_UPLOAD_BYTES). Split it.",
    "error.upload_refused": "The uploaded ZIP cannot be kept.",
    "error.not_a_zip":
        "This is not a ZIP file. Zip the folder or the Telegram Desktop export first.",
    "error.corrupt_archive": "The ZIP is damaged or was cut off. Upload it again.",
    "error.path_traversal":
        "The ZIP has an entry that would be written outside its folder (path traversal); "
        "refused.",
    "error.symlink": "The ZIP contains a symbolic link; refused.",
    "error.encrypted": "An entry is encrypted: decrypt it, zip it again and upload it.",
    "error.zip_bomb": "The ZIP expands to far more than it holds (a zip bomb); refused.",
    "error.too_many_entries": "The ZIP holds too many files. Split it.",
    "error.empty_archive": "The ZIP holds no files.",
    "error.empty_zip": "The upload is empty.",
    "error.duplicate_entry": "The ZIP lists the same entry twice.",
    "error.not_a_telegram_export":
        "This is not a Telegram Desktop export (no result.json). Export the chat as JSON, "
        "zip its folder and upload that.",
    "error.bad_upload_kind":
        "An upload is an 'archive' (a ZIP of media) or a 'telegram' export (zipped).",
    "error.upload_missing": "Send the ZIP as the form's 'file' field.",
}
