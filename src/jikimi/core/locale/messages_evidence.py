"""Korean (and English where the English differs from the msgid) messages of evidence."""

KO: dict[str, str] = {
}

EN: dict[str, str] = {
}
