"""An answer is checked against the offer it answers before aiortc sees it.

aiortc applies an answer it cannot use without a word: no `a=fingerprint` and the DTLS handshake
fails later inside its own task (an AssertionError in the log), no ICE credentials and the checks
never start, a codec we do not forward and the slot stays black. The client would sit in
"connecting" for good. Here each of those is a `bad_sdp` that names what is missing, while the
client can still send a corrected answer.
"""

from __future__ import annotations

from aiortc.sdp import MediaDescription, SessionDescription

from rtc.errors import SignalingError

# What a server m-line's direction allows the answer to say (RFC 3264 section 6.1).
ANSWER_DIRECTIONS = {
    "recvonly": ("sendonly", "inactive"),  # an upload line: the client sends, or has nothing
    "sendonly": ("recvonly", "inactive"),  # a forwarded slot: the client receives
    "inactive": ("inactive",),
}
REQUIRED_CODEC = {"audio": "audio/opus", "video": "video/VP8"}
FINGERPRINT_ALGORITHMS = frozenset({"sha-1", "sha-224", "sha-256", "sha-384", "sha-512"})


def _bad(what: str) -> SignalingError:
    return SignalingError("bad_sdp", f"the answer was refused: {what}"[:300])


def _parse(sdp: str, whose: str) -> SessionDescription:
    try:
        return SessionDescription.parse(sdp)
    except Exception as exc:  # aiortc's parser asserts and raises a dozen kinds on bad lines
        raise _bad(f"{whose} is not SDP this server can read ({type(exc).__name__})") from exc


def check_answer(offer_sdp: str, answer_sdp: str) -> None:
    """Raise `bad_sdp` naming the first thing the answer lacks; return if it can work."""
    offer = _parse(offer_sdp, "it")
    answer = _parse(answer_sdp, "it")
    if len(answer.media) != len(offer.media):
        raise _bad(f"it has {len(answer.media)} m-lines, the offer has {len(offer.media)}")
    for index, (offered, answered) in enumerate(zip(offer.media, answer.media, strict=True)):
        _check_line(index, offered, answered)


def _check_line(index: int, offered: MediaDescription, answered: MediaDescription) -> None:
    mid = offered.rtp.muxId
    where = f"m-line {index} (mid {mid})"
    if answered.kind != offered.kind or answered.rtp.muxId != mid:
        raise _bad(f"{where} is answered as {answered.kind} mid {answered.rtp.muxId}")
    if answered.port == 0:
        return  # rejected: nothing flows on it, nothing else to check
    ice = answered.ice
    if ice is None or not ice.usernameFragment or not ice.password:
        raise _bad(f"{where} has no a=ice-ufrag and a=ice-pwd")
    if answered.dtls is None:
        raise _bad(f"{where} has no a=setup")
    if answered.dtls.role == "auto":
        raise _bad(f"{where} says a=setup:actpass; an answer must choose active or passive")
    if not answered.dtls.fingerprints:
        raise _bad(f"{where} has no a=fingerprint")
    for fingerprint in answered.dtls.fingerprints:
        if fingerprint.algorithm.lower() not in FINGERPRINT_ALGORITHMS:
            raise _bad(f"{where} has a fingerprint of unknown kind {fingerprint.algorithm!r}")
    wanted = REQUIRED_CODEC.get(answered.kind)
    if wanted is not None:
        codecs = {codec.mimeType.lower() for codec in answered.rtp.codecs}
        if wanted.lower() not in codecs:
            raise _bad(f"{where} does not offer {wanted.split('/')[1]}, the room's only codec")
    allowed = ANSWER_DIRECTIONS.get(offered.direction or "sendrecv")
    direction = answered.direction or "sendrecv"
    if allowed is not None and direction not in allowed:
        raise _bad(f"{where} says {direction}; this line allows {' or '.join(allowed)}")
