"""ICE servers and TURN credentials (coturn's shared-secret scheme), their settings, and the
shipped coturn configuration."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import time
from pathlib import Path

import pytest
import yaml

from rtc.ice import client_ice_servers, server_configuration, turn_credentials
from telecoach.settings import SETTINGS, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_turn_credentials_follow_coturns_rest_scheme() -> None:
    username, credential = turn_credentials("s3cret-shared-with-coturn", "p12", 3600, now=1_000)
    assert username == "4600:p12"
    expected = hmac.new(b"s3cret-shared-with-coturn", b"4600:p12", hashlib.sha1).digest()
    assert base64.b64decode(credential) == expected
    # coturn's documented example: secret "north", user "1433895918:ninefingers"
    assert turn_credentials("north", "ninefingers", 0, now=1433895918)[1] == (
        base64.b64encode(
            hmac.new(b"north", b"1433895918:ninefingers", hashlib.sha1).digest()
        ).decode()
    )


def test_client_ice_servers() -> None:
    assert client_ice_servers((), (), None, 60, "p1") == []
    servers = client_ice_servers(
        ("stun:stun.example:3478",),
        ("turn:turn.example:3478",),
        "a-secret-of-some-length",
        60,
        "p1",
    )
    assert servers[0] == {"urls": ["stun:stun.example:3478"]}
    assert servers[1]["urls"] == ["turn:turn.example:3478"]
    assert servers[1]["username"].endswith(":p1")
    # TURN without its secret is left out rather than offered with credentials that fail.
    assert client_ice_servers((), ("turn:turn.example",), None, 60, "p1") == []
    assert server_configuration(()).iceServers == []  # never aiortc's default public STUN


def test_ice_settings_parse_and_production_checks() -> None:
    settings = Settings.from_env(
        {
            "TELECOACH_VAR_DIR": "/tmp/telecoach-ice-test",
            "STUN_URLS": "stun:a.example:3478, stun:b.example",
            "TURN_URLS": "turns:t.example:5349",
            "TURN_SECRET": "x" * 20,
            "ROOM_CAPACITY": "8",
        }
    )
    assert settings.stun_urls == ("stun:a.example:3478", "stun:b.example")
    assert settings.turn_urls == ("turns:t.example:5349",) and settings.room_capacity == 8
    with pytest.raises(SettingsError, match="STUN_URLS"):
        Settings.from_env(
            {"TELECOACH_VAR_DIR": "/tmp/telecoach-ice-test", "STUN_URLS": "http://nope"}
        )
    with pytest.raises(SettingsError, match="ROOM_CAPACITY"):
        Settings.from_env({"TELECOACH_VAR_DIR": "/tmp/telecoach-ice-test", "ROOM_CAPACITY": "0"})
    from telecoach.settings import rtc_problems

    assert rtc_problems(Settings(turn_urls=("turn:t",))) == [
        "TURN_URLS is set but TURN_SECRET is not: TURN credentials need it"
    ]
    assert rtc_problems(Settings(turn_urls=("turn:t",), turn_secret="short")) == [
        "TURN_SECRET must be at least 16 characters"
    ]


def _coturn_conf() -> dict[str, list[str]]:
    """turnserver.conf as coturn reads it: `option` or `option=value` a line, # comments."""
    options: dict[str, list[str]] = {}
    for raw in (ROOT / "deploy" / "coturn" / "turnserver.conf").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, value = line.partition("=")
            options.setdefault(name.strip(), []).append(value.strip())
    return options


def _range(text: str) -> tuple[int, int, int]:
    first, last = (ipaddress.ip_address(part) for part in text.split("-"))
    assert first.version == last.version and int(first) <= int(last), text
    return first.version, int(first), int(last)


def test_coturn_config_uses_shared_secrets_and_denies_private_ranges() -> None:
    conf = _coturn_conf()
    # Time-limited credentials only: the shared secret, no static users or a CLI to log into.
    assert "use-auth-secret" in conf and len(conf["static-auth-secret"]) == 1
    for forbidden in ("lt-cred-mech", "user", "userdb", "cli-password", "allowed-peer-ip"):
        assert forbidden not in conf, f"{forbidden} in turnserver.conf"
    for flag in ("no-cli", "no-multicast-peers", "no-tcp-relay", "fingerprint"):
        assert flag in conf, f"turnserver.conf lacks {flag}"
    denied = [_range(value) for value in conf["denied-peer-ip"]]
    for network in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata services
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::1/128",
        "::/128",
        "::ffff:0:0/96",  # IPv4-mapped: the IPv4 ranges again
        "64:ff9b::/96",  # NAT64
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "ff00::/8",  # multicast
    ):
        net = ipaddress.ip_network(network)
        first, last = int(net.network_address), int(net.broadcast_address)
        assert any(
            version == net.version and low <= first and last <= high
            for version, low, high in denied
        ), f"turnserver.conf relays to {network}"


def test_coturn_gets_the_apps_turn_secret() -> None:
    """compose.yaml hands coturn the very variable the app signs TURN credentials with."""
    turn_secret = next(spec.env for spec in SETTINGS if spec.name == "turn_secret")
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    command = " ".join(compose["services"]["coturn"]["command"])
    assert re.search(r"--static-auth-secret=\$\{" + turn_secret + r"\b", command), command
    assert "/etc/coturn/turnserver.conf" in command


def _coturn_accepts(secret: str, username: str, credential: str, now: float) -> bool:
    """coturn's check under `use-auth-secret`: the username's timestamp (before the first ":")
    is still in the future, and the password is base64(HMAC-SHA1(secret, username))."""
    timestamp, separator, _ = username.partition(":")
    if not separator or not timestamp.isdigit() or int(timestamp) <= now:
        return False
    expected = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(expected).decode(), credential)


def test_the_credentials_the_app_hands_out_pass_coturns_check() -> None:
    secret = "a-secret-of-some-length-for-coturn"
    before = time.time()
    (turn,) = client_ice_servers((), ("turn:turn.example:3478",), secret, 3600, "p12")
    username, credential = turn["username"], turn["credential"]
    assert username.split(":", 1)[1] == "p12"
    assert int(before) + 3600 <= int(username.split(":")[0]) <= time.time() + 3600
    assert _coturn_accepts(secret, username, credential, now=time.time())
    assert not _coturn_accepts(secret, username, credential, now=before + 3601)  # expired
    assert not _coturn_accepts("another-secret-entirely", username, credential, time.time())
    forged = username.split(":")[0] + ":p13"  # someone else's name with this credential
    assert not _coturn_accepts(secret, forged, credential, now=time.time())
    later = str(int(username.split(":")[0]) + 86400) + ":p12"  # a longer life, same credential
    assert not _coturn_accepts(secret, later, credential, now=time.time())
