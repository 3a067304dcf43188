"""Korean (and English where the English differs from the msgid) messages of takedown."""

KO: dict[str, str] = {
}

EN: dict[str, str] = {
}
