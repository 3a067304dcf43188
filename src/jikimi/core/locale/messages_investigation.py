"""Korean (and English where the English differs from the msgid) messages of investigation."""

KO: dict[str, str] = {
}

EN: dict[str, str] = {
}
