"""Korean (and English) messages of centre ownership and the authorisation module
(``jikimi.core.authorization``): the errors its codes name."""

KO: dict[str, str] = {
    "error.unknown_centre": "그런 센터가 없습니다. 센터 이름이나 번호를 확인하세요 "
                            "(`jikimi centres list`).",
    "error.no_centre": "아직 센터가 없습니다. 먼저 `jikimi centres add`로 센터를 추가하세요.",
    "error.case_bank_national": "사건의 해시 DB는 전국 해시 DB가 될 수 없습니다.",
}

EN: dict[str, str] = {
    "error.unknown_centre": "There is no such centre: check its name or number "
                            "(`jikimi centres list`).",
    "error.no_centre": "No centre exists yet: add one first with `jikimi centres add`.",
    "error.case_bank_national": "A case's bank cannot be a national bank.",
}
