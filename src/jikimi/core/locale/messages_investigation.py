"""Korean (and English where the English differs from the msgid) messages of investigation."""

KO: dict[str, str] = {
    "Investigation": "수사 지원",
    "Investigation: linkage across channels": "수사 지원: 채널 간 연계 분석",
    "Linkage of case {code}": "사건 {code}의 연계 분석",
    "Open a case": "사건 열기",
    "Case code": "사건 번호",
    "Open the case's linkage": "사건 연계 분석 보기",
    "Linkage across the whole centre is for investigators and administrators. Counsellors "
    "can open the linkage of a case assigned to them.":
        "센터 전체의 연계 분석은 수사 지원 담당자와 관리자만 볼 수 있습니다. 상담원은 배정된 "
        "사건의 연계 분석을 열 수 있습니다.",
    "{contents} contents in {places} places; {clusters} clusters; {posters} posters":
        "콘텐츠 {contents}건 · 장소 {places}곳 · 군집 {clusters}개 · 게시자 {posters}명",
    "Join two places when they share at least": "두 장소가 공유한 콘텐츠가 최소",
    "contents in common": "건 이상이면 연결",
    "contents": "콘텐츠",
    "Recompute": "다시 계산",
    "Same content: equal SHA-256, the same registered content, or PDQ within {threshold} bits "
    "(any rotation or mirror image; quality 50 or more), applied transitively. Two places are "
    "joined by an edge weighted by the contents both hold; a cluster is a group of places "
    "joined by edges of weight {min_shared} or more.":
        "같은 콘텐츠: SHA-256이 같거나, 같은 등록 피해물과 일치하거나, PDQ 차이가 {threshold}비트 "
        "이하(회전·좌우 반전 포함, 품질 50 이상)인 경우이며 연쇄적으로 적용합니다. 두 장소는 함께 "
        "가진 콘텐츠 수를 가중치로 연결되고, 가중치 {min_shared} 이상인 연결로 이어진 장소들이 "
        "하나의 군집입니다.",
    "Exports": "내보내기",
    "table.sightings": "발견 목록",
    "table.places": "장소",
    "table.edges": "장소 간 연결",
    "table.clusters": "군집",
    "table.posters": "게시자",
    "table.timeline": "확산 경위",
    "Litigation documents": "소송 지원 문서",
    "document.complaint-evidence-list": "고소장 첨부 증거목록",
    "document.damages-summary": "손해배상 청구용 피해 요약서",
    "Documents are in Korean, name statutes only from the legal data (unverified articles are "
    "flagged) and never contain the victim's contact data.":
        "문서는 한국어로 작성되며, 법령은 법령 데이터에 있는 조문만 적고(미확인 조문은 표시), "
        "피해자 연락처는 절대 포함하지 않습니다.",
    "Places that share content": "같은 콘텐츠를 공유하는 장소",
    "Circle size: contents held; line width: contents shared; colour: cluster (grey: none). "
    "Dashed lines are lighter than the cluster rule.":
        "원 크기: 가진 콘텐츠 수, 선 굵기: 공유한 콘텐츠 수, 색: 군집(회색: 없음). 점선은 군집 "
        "기준보다 약한 연결입니다.",
    "How each content spread": "콘텐츠별 확산 경위",
    "One row per content; a mark where and when it first reached each place (KST). A dark "
    "ring marks its first appearance anywhere.":
        "콘텐츠마다 한 줄이며, 각 장소에 처음 나타난 시각(KST)에 점을 찍습니다. 검은 테두리는 "
        "최초 게시입니다.",
    "No content found yet.": "아직 발견된 콘텐츠가 없습니다.",
    "cluster": "군집",
    "{n} more places not drawn": "그리지 않은 장소 {n}곳 더 있음",
    "{n} more contents not drawn": "그리지 않은 콘텐츠 {n}건 더 있음",
    "posted": "게시 시각",
    "found": "발견 시각",
    "Clusters": "군집",
    "Cluster": "군집",
    "Places": "장소",
    "Place": "장소",
    "Shared contents": "공유 콘텐츠",
    "No places share content under this rule.": "이 기준으로 콘텐츠를 공유하는 장소가 없습니다.",
    "Kind": "유형",
    "Contents": "콘텐츠",
    "Sightings": "발견 수",
    "First to post": "최초 게시",
    "First seen": "처음 발견",
    "Last seen": "마지막 발견",
    "Posters": "게시자",
    "Poster": "게시자",
    "The sources name no posters.": "모니터링 대상에 게시자 정보가 없습니다.",
    "Forwarded messages": "전달된 메시지",
    "Forwarded from": "원래 게시한 곳",
    "Messages": "메시지 수",
    "Spread timeline": "확산 타임라인",
    "When (KST)": "일시 (KST)",
    "Content": "콘텐츠",
    "Where": "위치",
    "first": "최초",
    "time.posted": "게시",
    "time.found": "발견",
    "Showing the first {n} rows; the CSV export has all of them.":
        "처음 {n}줄만 보입니다. CSV 내보내기에 전부 있습니다.",
    "place.telegram": "텔레그램 대화방",
    "place.site": "웹사이트",
    "place.archive": "압수 자료·보관 파일",
    "place.urls": "URL 목록",
    "place.crawl": "웹 수집",
    "place.feed": "피드",
    "place.source": "모니터링 대상",
    "error.bad_min_shared": "군집 기준(공유 콘텐츠 수)은 1 이상이어야 합니다.",
    "error.bad_threshold": "PDQ 임계값은 0~31비트입니다.",
    "error.bad_table": "알 수 없는 표입니다. sightings, places, edges, clusters, posters, "
                       "timeline 중에서 고르세요.",
    "error.bad_format": "알 수 없는 형식입니다.",
    "error.bad_document_kind":
        "알 수 없는 문서입니다. complaint-evidence-list 또는 damages-summary를 고르세요.",
    "error.bad_basis": "조문은 30개까지 지정할 수 있습니다.",
}

EN: dict[str, str] = {
    "table.sightings": "sightings",
    "table.places": "places",
    "table.edges": "edges",
    "table.clusters": "clusters",
    "table.posters": "posters",
    "table.timeline": "timeline",
    "document.complaint-evidence-list": "Evidence list for a criminal complaint (증거목록)",
    "document.damages-summary": "Summary for a damages claim",
    "time.posted": "posted",
    "time.found": "found",
    "place.telegram": "Telegram chat",
    "place.site": "Web site",
    "place.archive": "Seized media / archive",
    "place.urls": "URL list",
    "place.crawl": "Crawl",
    "place.feed": "Feed",
    "place.source": "Source",
    "error.bad_min_shared": "The cluster rule (shared contents) is 1 or more.",
    "error.bad_threshold": "The PDQ threshold is 0 to 31 bits.",
    "error.bad_table": "Unknown table: use sightings, places, edges, clusters, posters or "
                       "timeline.",
    "error.bad_format": "Unknown format.",
    "error.bad_document_kind": "Unknown document: use complaint-evidence-list or "
                               "damages-summary.",
    "error.bad_basis": "Name at most 30 articles.",
}
