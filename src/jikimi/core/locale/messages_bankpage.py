"""Messages of the bank page's registered pictures (one row per file)."""

KO: dict[str, str] = {
    "bank.pictures_hint":
        "등록한 파일마다 한 줄입니다. 사진은 이미지로 보관하지 않고 여러 지문(사진과 회전·잘라낸 "
        "형태의 PDQ, 부분별 영역 해시, SHA-256과 MD5)으로만 보관합니다.",
    "Added": "등록일",
    "{n} removed": "{n}개 삭제됨",
    "No pictures registered in this bank yet.": "이 뱅크에 등록된 사진이 아직 없습니다.",
}

EN: dict[str, str] = {
    "bank.pictures_hint":
        "One row per registered file. Each picture is kept as several fingerprints (PDQ of the "
        "picture and its turned and cropped versions, region hashes of its parts, SHA-256 and "
        "MD5), never as the image.",
    "Added": "Added",
    "{n} removed": "{n} removed",
    "No pictures registered in this bank yet.": "No pictures registered in this bank yet.",
}
