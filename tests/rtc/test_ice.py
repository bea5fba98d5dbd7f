"""ICE servers and TURN credentials (coturn's shared-secret scheme), their settings, and the
shipped coturn configuration."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from rtc.ice import client_ice_servers, server_configuration, turn_credentials
from web.settings import Settings, SettingsError

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
    from web.settings import rtc_problems

    assert rtc_problems(Settings(turn_urls=("turn:t",))) == [
        "TURN_URLS is set but TURN_SECRET is not: TURN credentials need it"
    ]
    assert rtc_problems(Settings(turn_urls=("turn:t",), turn_secret="short")) == [
        "TURN_SECRET must be at least 16 characters"
    ]


def test_coturn_config_uses_shared_secrets_and_denies_private_ranges() -> None:
    conf = (ROOT / "deploy" / "coturn" / "turnserver.conf").read_text()
    lines = {line.strip() for line in conf.splitlines() if not line.startswith("#")}
    assert "use-auth-secret" in lines
    assert any(line.startswith("static-auth-secret=") for line in lines)
    denied = {line.split("=", 1)[1] for line in lines if line.startswith("denied-peer-ip=")}
    for cidr_range in (
        "10.0.0.0-10.255.255.255",
        "172.16.0.0-172.31.255.255",
        "192.168.0.0-192.168.255.255",
        "127.0.0.0-127.255.255.255",
        "169.254.0.0-169.254.255.255",
    ):
        assert cidr_range in denied
    assert "no-multicast-peers" in lines and "no-cli" in lines
