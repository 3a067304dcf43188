"""Korean (and English where the English differs from the msgid) messages of robustness
(issue 14): which alteration a match recognised, and how strong a region-hash match is."""

KO: dict[str, str] = {
    "signal.pdq_region": "영역 해시 (부분 일치)",
    "Recognised alteration": "인식된 변형",
    "Border removed (frame, letterbox or screenshot)": "테두리 제거 (액자, 레터박스, 화면 캡처)",
    "Partial match: a logo or caption area left out": "부분 일치: 로고·자막 영역 제외",
    "Cropped off-centre": "한쪽으로 잘림",
    "Tilted by about {degrees}°": "약 {degrees}° 기울어짐",
    "Partial match: the centre of the picture": "부분 일치: 사진의 가운데 부분",
    "Cropped (centred)": "가운데 잘림",
    "Rotated a quarter turn": "90° 회전",
    "Turned upside down": "180° 회전",
    "Mirrored left-right": "좌우 반전",
    "Flipped top-bottom": "상하 반전",
    "Mirrored and rotated": "반전 후 회전",
    "Unaltered or recompressed": "변형 없음 또는 재압축",
    "Region match: strong": "영역 일치: 강함",
    "Region match: moderate, compare by eye": "영역 일치: 보통, 눈으로 비교해 주세요",
    "Region match: weak, compare by eye": "영역 일치: 약함, 눈으로 비교해 주세요",
}

EN: dict[str, str] = {
    "signal.pdq_region": "Region hash (partial match)",
}
