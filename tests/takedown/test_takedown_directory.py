"""The platform directory: data file validity and URL → platform mapping (property tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jikimi.errors import ConfigurationError
from jikimi.takedown import ChannelKind, load_directory
from jikimi.takedown.directory import DEFAULT_DIRECTORY_PATH, host_of_url, normalise_host

DIRECTORY = load_directory()
RULES = [(p.id, r.domain) for p in DIRECTORY.platforms for r in p.domains]
LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


def test_every_platform_of_legal_ko_is_in_the_directory() -> None:
    ids = {p.id for p in DIRECTORY.platforms}
    assert {"x", "telegram", "tumblr", "facebook", "instagram", "threads", "google_search",
            "youtube", "naver", "kakao", "tiktok", "reddit", "discord", "aylo",
            "xvideos"} <= ids


def test_unverified_contacts_are_marked() -> None:
    telegram = DIRECTORY.get("telegram")
    assert telegram is not None
    assert telegram.email_channel() is None  # abuse@telegram.org is UNVERIFIED
    unverified = telegram.email_channel(verified_only=False)
    assert unverified is not None and unverified.address == "abuse@telegram.org"
    assert not unverified.verified
    tumblr = DIRECTORY.get("tumblr")
    assert tumblr is not None and tumblr.email_channel() is not None
    naver = DIRECTORY.get("naver")
    assert naver is not None and not naver.phones[0].verified
    assert naver.has_unverified_contacts
    for platform in DIRECTORY.platforms:
        for channel in platform.channels:
            if channel.verified and channel.kind is ChannelKind.EMAIL:
                assert channel.sources, platform.id


def test_meta_is_the_only_documented_language() -> None:
    documented = {p.id for p in DIRECTORY.platforms if p.language_verified}
    assert documented == {"facebook", "instagram", "threads"}
    assert DIRECTORY.get("naver").language == "ko"  # type: ignore[union-attr]


def _write(tmp_path: Path, mutate: object) -> Path:
    data = json.loads(DEFAULT_DIRECTORY_PATH.read_text(encoding="utf-8"))
    mutate(data)  # type: ignore[operator]
    path = tmp_path / "platforms.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("mutate", [
    lambda d: d["platforms"].append(d["platforms"][0]),
    lambda d: d["platforms"][1]["domains"].append({"domain": "x.com"}),
    lambda d: d["platforms"][0]["domains"].append({"domain": "10.0.0.1"}),
    lambda d: d["platforms"][0]["domains"].append({"domain": "bad domain.com"}),
    lambda d: d["platforms"][0]["channels"].append({"kind": "email", "address": "nope",
                                                     "verified": True}),
    lambda d: d["platforms"][0]["channels"].append({"kind": "web_form",
                                                     "address": "http://x", "verified": True}),
    lambda d: d["platforms"][0].update(language="Korean"),
    lambda d: d["platforms"][0].update(response_hours=0),
    lambda d: d["platforms"][0].update(unknown_field=1),
])
def test_invalid_directory_is_refused_with_a_clear_error(tmp_path: Path, mutate: object) -> None:
    with pytest.raises(ConfigurationError, match=r"platforms\.json is invalid"):
        load_directory(_write(tmp_path, mutate))


def test_unreadable_directory(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text("[1", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_directory(tmp_path / "p.json")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://m.youtube.com/watch?v=abc", "youtube"),
    ("HTTPS://YOUTU.BE./abc", "youtube"),
    ("https://i.ytimg.com/vi/abc/hq.jpg", "youtube"),
    ("https://vm.tiktok.com/ZM123/", "tiktok"),
    ("https://www.tiktok.com/@u/video/1", "tiktok"),
    ("t.me/somechannel/12", "telegram"),
    ("//pbs.twimg.com/media/x.jpg", "x"),
    ("https://user:pw@www.reddit.com:443/r/x", "reddit"),
    ("https://blog.naver.com/x", "naver"),
    ("https://cdn.discordapp.net/a.png", "discord"),
    ("https://notyoutube.com/", None),
    ("https://youtube.com.evil.example/", None),
    ("https://youtube.com@evil.example/", None),
    ("https://evil.example\\@youtube.com/", None),
    ("https://evil.example#@youtube.com", None),
    ("https://127.0.0.1/", None),
    ("https://[::1]:8443/", None),
    ("http://2130706433/", None),
    ("mailto:abuse@youtube.com", None),
    ("javascript:alert(1)", None),
    ("", None),
    ("https:///path", None),
])
def test_known_urls(url: str, expected: str | None) -> None:
    platform = DIRECTORY.platform_for_url(url)
    assert (platform.id if platform else None) == expected


def test_longest_rule_wins() -> None:
    hit = DIRECTORY.rule_for_host("vm.tiktok.com")
    assert hit is not None and hit[1].kind.value == "short_link"
    hit = DIRECTORY.rule_for_host("a.vm.tiktok.com")
    assert hit is not None and hit[1].domain == "vm.tiktok.com"
    assert DIRECTORY.rule_for_host("tiktok.com")[1].domain == "tiktok.com"  # type: ignore[index]


def test_idna_hosts() -> None:
    assert normalise_host("Bücher.example") == "xn--bcher-kva.example"
    assert normalise_host("한국.example。") == normalise_host("xn--3e0b707e.example")
    assert host_of_url("https://WWW.YouTube.com:8080/x") == "www.youtube.com"
    assert host_of_url("https://exa mple.com/") is None


@settings(max_examples=300, deadline=None)
@given(
    rule=st.sampled_from(RULES),
    prefix=st.lists(LABEL, max_size=3),
    upper=st.booleans(),
    trailing_dot=st.booleans(),
    port=st.none() | st.integers(1, 65535),
    userinfo=st.none() | st.from_regex(r"[a-z0-9]{1,8}(:[a-z0-9]{0,8})?", fullmatch=True),
    scheme=st.sampled_from(["https://", "http://", "//", ""]),
    path=st.from_regex(r"(/[a-z0-9._~%-]{0,12}){0,3}(\?[a-z=&]{0,10})?", fullmatch=True),
)
def test_any_subdomain_of_a_rule_maps_to_its_platform(
        rule: tuple[str, str], prefix: list[str], upper: bool, trailing_dot: bool,
        port: int | None, userinfo: str | None, scheme: str, path: str) -> None:
    platform_id, domain = rule
    host = ".".join([*prefix, domain])
    if upper:
        host = host.upper()
    if trailing_dot:
        host += "."
    if not scheme:
        userinfo = None  # "user:pw@host" without a scheme reads as scheme "user:"
    authority = (f"{userinfo}@" if userinfo else "") + host + (f":{port}" if port else "")
    found = DIRECTORY.platform_for_url(scheme + authority + path)
    expected = DIRECTORY.rule_for_host(".".join([*prefix, domain]))
    assert found is not None and expected is not None
    assert found.id == expected[0].id
    # The match is the longest rule that is a label-suffix of the host: never shorter than
    # the rule we built the host from.
    assert len(expected[1].labels) >= len(domain.split("."))
    if not prefix:
        assert found.id == platform_id


@settings(max_examples=300, deadline=None)
@given(rule=st.sampled_from(RULES), glue=LABEL, after=st.lists(LABEL, min_size=1, max_size=2),
       userinfo_host=st.booleans())
def test_lookalike_hosts_never_match(rule: tuple[str, str], glue: str, after: list[str],
                                     userinfo_host: bool) -> None:
    _, domain = rule
    tld = "zz" + after[0].replace("-", "")[:5]  # no rule ends in an invented TLD
    lookalikes = [f"{domain}.{'.'.join(after[1:])+'.' if after[1:] else ''}{tld}",
                  f"{glue}{domain}.{tld}", f"{domain.replace('.', '-')}.{tld}"]
    for host in lookalikes:
        assert DIRECTORY.platform_for_url(f"https://{host}/x") is None, host
    if userinfo_host:  # the rule's domain in the userinfo must not count
        assert DIRECTORY.platform_for_url(f"https://{domain}@{glue}.{tld}/") is None


@settings(max_examples=200, deadline=None)
@given(ip=st.ip_addresses(), port=st.none() | st.integers(1, 65535))
def test_ip_literals_never_match(ip: object, port: int | None) -> None:
    text = f"[{ip}]" if ":" in str(ip) else str(ip)
    url = f"https://{text}{':' + str(port) if port else ''}/youtube.com"
    assert DIRECTORY.platform_for_url(url) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes(text: str) -> None:
    DIRECTORY.platform_for_url(text)
    host_of_url(text)


@settings(max_examples=100, deadline=None)
@given(label=st.text(alphabet=st.characters(whitelist_categories=("Lo", "Ll")), min_size=1,
                     max_size=10))
def test_unicode_and_punycode_forms_are_the_same_host(label: str) -> None:
    host = normalise_host(f"{label}.example")
    if host is None:
        return  # not a valid IDNA label
    assert host.isascii()
    assert normalise_host(host) == host
