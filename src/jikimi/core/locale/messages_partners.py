"""Korean (and English where the English differs from the msgid) messages of partners."""

KO: dict[str, str] = {
}

EN: dict[str, str] = {
}
