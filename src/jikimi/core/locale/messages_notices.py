"""Messages of the warnings on a prepared takedown notice or escalation (issue 15): what an
analyst must check before sending, built in ``jikimi.takedown.notices`` as a msgid with named
placeholders and translated where it is shown.

Korean follows ``docs/glossary.md``. Keys are the English sentences themselves.
"""

KO: dict[str, str] = {
    "the language '{language}' for {platform} is not documented by the platform":
        "플랫폼({platform})이 문서로 밝히지 않은 언어입니다: '{language}'. 보내기 전에 확인하세요.",
    "the legal entity of {platform} is unverified":
        "{platform}의 법인(운영 주체)이 확인되지 않았습니다.",
    "{ref} is unverified":
        "{ref}: 확인되지 않은 조문입니다.",
    "{ref} is superseded":
        "{ref}: 개정·폐지되어 더 이상 현행이 아닌 조문입니다.",
    "{ref} has not been checked against law.go.kr":
        "{ref}: 아직 law.go.kr(국가법령정보센터)에서 확인하지 않은 조문입니다.",
    "the e-mail address {address} is unverified":
        "확인되지 않은 이메일 주소입니다: {address}",
    "the regulator's current name '{name}' is unverified (sources: {sources})":
        "심의기관의 현재 명칭이 확인되지 않았습니다: '{name}' (근거 자료: {sources}).",
    "legal.json records no e-mail address for the content regulator; "
    "send through its documented channel":
        "legal.json에 심의기관의 이메일 주소가 없습니다. 심의기관이 안내한 접수 경로로 "
        "보내세요.",
}

EN: dict[str, str] = {key: key for key in KO}
