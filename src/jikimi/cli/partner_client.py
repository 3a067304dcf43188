"""CLI: ``jikimi partner-client ...`` — the reference client a platform runs: it keeps a
verified local copy of a centre's hash feed and answers lookups from it (or asks the centre)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from jikimi.cli.common import console, err_console
from jikimi.errors import JikimiError

partner_client_app = typer.Typer(help="Reference client for partner platforms: sync the "
                                      "signed feed, look up uploads.", no_args_is_help=True)

UrlOption = Annotated[str, typer.Option("--url", envvar="JIKIMI_PARTNER_URL",
                                        help="the centre's base URL")]
KeyOption = Annotated[str, typer.Option("--key", envvar="JIKIMI_PARTNER_KEY",
                                        help="this platform's partner key")]
PublicKeyOption = Annotated[str, typer.Option(
    "--public-key", envvar="JIKIMI_PARTNER_PUBLIC_KEY",
    help="the centre's feed key (ed25519:...), obtained from the centre out of band")]
StateOption = Annotated[Path, typer.Option("--state", envvar="JIKIMI_PARTNER_STATE",
                                           help="the local copy of the feed")]
DEFAULT_STATE = Path("partner-feed.json")


def _fail(exc: JikimiError) -> typer.Exit:
    err_console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
    return typer.Exit(1)


@partner_client_app.command("sync")
def sync(url: UrlOption, key: KeyOption, public_key: PublicKeyOption,
         state: StateOption = DEFAULT_STATE) -> None:
    """Pull the feed's new pages, verify each, and apply them to the local copy."""
    try:
        from jikimi.partners.client import PartnerClient

        result = PartnerClient(url, key, public_key, state).sync()
    except JikimiError as exc:
        raise _fail(exc) from exc
    console.print(f"{result.pages} pages verified: +{result.added} −{result.removed}; "
                  f"{result.entries} fingerprints, cursor {result.cursor}")


@partner_client_app.command("lookup")
def lookup(files: Annotated[list[Path] | None, typer.Argument(
               help="images or videos to fingerprint here (they never leave this machine)")
           ] = None,
           pdq: Annotated[list[str] | None, typer.Option("--pdq", help="a PDQ hash")] = None,
           md5: Annotated[list[str] | None, typer.Option("--md5")] = None,
           sha256: Annotated[list[str] | None, typer.Option("--sha256")] = None,
           remote: Annotated[bool, typer.Option(
               "--remote", help="ask the centre instead of the local copy")] = False,
           threshold: Annotated[int, typer.Option(min=0, max=31)] = 31,
           url: Annotated[str, typer.Option("--url", envvar="JIKIMI_PARTNER_URL")] = "",
           key: Annotated[str, typer.Option("--key", envvar="JIKIMI_PARTNER_KEY")] = "",
           public_key: Annotated[str, typer.Option(
               "--public-key", envvar="JIKIMI_PARTNER_PUBLIC_KEY")] = "",
           state: StateOption = DEFAULT_STATE) -> None:
    """Does an upload match the feed? Prints the matching entries as JSON; exit status 0 on
    a match, 3 on none."""
    fingerprints: list[tuple[str, str]] = [("pdq", v) for v in pdq or []]
    fingerprints += [("md5", v) for v in md5 or []] + [("sha256", v) for v in sha256 or []]
    try:
        if files:
            from jikimi.hashing import ImageFingerprints, fingerprint_file
            from jikimi.matching.signal_types import vpdq_value

            for path in files:
                fp = fingerprint_file(path)
                if isinstance(fp, ImageFingerprints):
                    fingerprints.append(("pdq", fp.pdq))
                else:
                    fingerprints.append(("vpdq", vpdq_value(fp.frames)))
                fingerprints += [("sha256", fp.sha256), ("md5", fp.md5)]
        if not fingerprints:
            err_console.print("give files, --pdq, --md5 or --sha256")
            raise typer.Exit(2)
        from jikimi.partners.client import PartnerClient

        client = PartnerClient(url, key, public_key or None, state)
        if remote:
            matches = client.lookup_remote(fingerprints, threshold)["matches"]
        else:
            matches = client.lookup_local(fingerprints, threshold)
    except JikimiError as exc:
        raise _fail(exc) from exc
    sys.stdout.write(json.dumps({"matched": bool(matches), "matches": matches}) + "\n")
    if not matches:
        raise typer.Exit(3)


@partner_client_app.command("verify")
def verify(page: Path, public_key: PublicKeyOption,
           cursor: Annotated[str | None, typer.Option(help="the cursor it must start at")] = None,
           nonce: Annotated[str | None, typer.Option(help="the nonce it must echo")] = None
           ) -> None:
    """Verify a saved feed page offline (signature, and optionally cursor and nonce)."""
    from jikimi.partners.client import verify_page

    try:
        document = json.loads(page.read_text())
        checked = verify_page(document, public_key,
                              cursor=cursor if cursor is not None else
                              str(document.get("page", {}).get("cursor")), nonce=nonce)
    except (OSError, ValueError, AttributeError) as exc:
        err_console.print(f"[red]error[/red]: cannot read {page}: {exc}")
        raise typer.Exit(1) from exc
    except JikimiError as exc:
        raise _fail(exc) from exc
    console.print(f"verified: {len(checked['changes'])} changes, cursor {checked['cursor']} → "
                  f"{checked['next_cursor']}, issued {checked['issued_at']} to "
                  f"{checked['partner']}")


@partner_client_app.command("feedback")
def feedback(entry_id: str,
             action: Annotated[str, typer.Argument(
                 help="matched, blocked, removed, not_blocked or other")],
             url: UrlOption, key: KeyOption,
             content_id: Annotated[str, typer.Option(help="your id of the content")] = "",
             state: StateOption = DEFAULT_STATE) -> None:
    """Report a match on a feed entry and the action taken."""
    from jikimi.partners.client import PartnerClient

    try:
        result = PartnerClient(url, key, None, state).feedback(
            [{"entry_id": entry_id, "action": action, "content_id": content_id}])
    except JikimiError as exc:
        raise _fail(exc) from exc
    console.print(f"accepted {result['accepted']}" +
                  (f"; unknown: {', '.join(result['unknown'])}" if result["unknown"] else ""))
