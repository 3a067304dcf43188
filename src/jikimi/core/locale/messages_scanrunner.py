"""Korean (and English where the English differs from the msgid) messages of scans run in a
process of their own (issue 16): why a scan stopped, a scan another runner holds."""

KO: dict[str, str] = {
    "scan.stopped_because": "스캔이 중단된 이유:",
    "error.scan_busy": "이 스캔은 다른 프로세스가 실행하고 있습니다. 끝날 때까지 기다리세요.",
    "error.scan_claim_lost": "이 스캔은 이제 다른 프로세스가 이어서 실행합니다.",
}

EN: dict[str, str] = {
    "scan.stopped_because": "The scan stopped:",
    "error.scan_busy": "Another process is running this scan; wait for it to end.",
    "error.scan_claim_lost": "Another process has taken this scan over.",
}
