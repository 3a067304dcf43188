"""Korean (and English where the English differs from the msgid) messages of faces2."""

KO: dict[str, str] = {
}

EN: dict[str, str] = {
}
