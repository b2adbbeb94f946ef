"""Multibase and multicodec helpers for key encodings.

The hot path (Multikey values, did:key) uses base58btc (``z``) and base64url-no-pad
(``u``) directly; every other multibase encoding goes through the ``multiformats``
library so that the full multibase table stays available for decoding.
"""

from __future__ import annotations

import base64
import binascii

import base58

from did.errors import DecodeError

__all__ = [
    "ED25519_PRIV",
    "ED25519_PUB",
    "MAX_MULTIBASE_CHARS",
    "P256_PUB",
    "X25519_PRIV",
    "X25519_PUB",
    "b64url_decode",
    "b64url_encode",
    "multibase_decode",
    "multibase_encode",
    "multicodec_unwrap",
    "multicodec_wrap",
]

# Multicodec table entries (https://github.com/multiformats/multicodec/blob/master/table.csv),
# stored as their unsigned-varint byte prefixes.
ED25519_PUB = b"\xed\x01"  # 0xed   ed25519-pub
X25519_PUB = b"\xec\x01"  # 0xec   x25519-pub
ED25519_PRIV = b"\x80\x26"  # 0x1300 ed25519-priv
X25519_PRIV = b"\x82\x26"  # 0x1302 x25519-priv
P256_PUB = b"\x80\x24"  # 0x1200 p256-pub (compressed point)

_KNOWN_CODECS = (ED25519_PUB, X25519_PUB, ED25519_PRIV, X25519_PRIV, P256_PUB)

# A bound on any multibase value we accept: keys are tiny; this stops quadratic
# base58 decoding of hostile megabyte strings.
MAX_MULTIBASE_CHARS = 4096

# The base256emoji alphabet (multiformats/multibase rfcs/Base256Emoji.md): byte value i is
# the i-th code point; the multibase prefix is the emoji for byte 0 (U+1F680).
_EMOJI_ALPHABET = (
    "🚀🪐☄🛰🌌🌑🌒🌓🌔🌕🌖🌗🌘🌍🌏🌎🐉☀💻🖥💾💿😂❤😍🤣😊🙏💕😭😘👍😅👏😁🔥🥰💔💖💙😢🤔😆🙄💪😉☺👌🤗💜😔😎😇🌹🤦🎉💞✌✨🤷😱😌🌸🙌😋💗💚😏💛🙂💓🤩😄😀🖤😃💯🙈👇🎶😒🤭❣😜💋👀😪😑💥🙋😞😩😡🤪👊🥳😥🤤👉💃😳✋😚😝😴🌟😬🙃🍀🌷😻😓⭐✅🥺🌈😈🤘💦✔😣🏃💐☹🎊💘😠☝"
    "😕🌺🎂🌻😐🖕💝🙊😹🗣💫💀👑🎵🤞😛🔴😤🌼😫⚽🤙☕🏆🤫👈😮🙆🍻🍃🐶💁😲🌿🧡🎁⚡🌞🎈❌✊👋😰🤨😶🤝🚶💰🍓💢🤟🙁🚨💨🤬✈🎀🍺🤓😙💟🌱😖👶🥴▶➡❓💎💸⬇😨🌚🦋😷🕺⚠🙅😟😵👎🤲🤠🤧📌🔵💅🧐🐾🍒😗🤑🌊🤯🐷☎💧😯💆👆🎤🙇🍑❄🌴💣🐸💌📍🥀🤢👅💡💩👐📸👻🤐🤮🎼🥵🚩🍎🍊👼💍📣🥂"
)
_EMOJI_INDEX = {ch: i for i, ch in enumerate(_EMOJI_ALPHABET)}

_B58_ALPHABET = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
_B64URL_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, max_chars: int = 4 * MAX_MULTIBASE_CHARS) -> bytes:
    """Decode unpadded base64url strictly; ``max_chars`` bounds the text (keys and
    signatures by default; a caller that reads larger values passes its own bound).

    Raises:
        DecodeError: on a text over ``max_chars``, characters outside the alphabet,
            padding, or a non-canonical tail.
    """
    if not isinstance(text, str):
        raise DecodeError("base64url value must be a string")
    if len(text) > max_chars:
        raise DecodeError("base64url value is too long")
    if not set(text) <= _B64URL_ALPHABET or len(text) % 4 == 1:
        raise DecodeError("invalid base64url value")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DecodeError("invalid base64url value") from exc
    # Refuse non-canonical encodings (stray bits in the last character).
    if b64url_encode(data) != text:
        raise DecodeError("non-canonical base64url value")
    return data


def multibase_encode(data: bytes, base: str = "base58btc") -> str:
    """Encode bytes as a multibase string (default base58btc, prefix ``z``).

    Raises:
        InputError: for an unknown base name.
    """
    if base == "base58btc":
        return "z" + base58.b58encode(data).decode("ascii")
    if base == "base64url":
        return "u" + b64url_encode(data)
    if base == "base256emoji":
        return _EMOJI_ALPHABET[0] + "".join(_EMOJI_ALPHABET[b] for b in data)
    from multiformats import multibase  # the full table, off the hot path

    try:
        text = str(multibase.encode(data, base))
    except Exception as exc:  # multiformats raises several unrelated types
        raise DecodeError(f"unknown multibase encoding {base!r}") from exc
    # The multibase table defines base8 without padding; multiformats pads it.
    return text.rstrip("=") if base == "base8" else text


def multibase_decode(text: str) -> bytes:
    """Decode a multibase string of any registered encoding.

    Raises:
        DecodeError: on an unknown prefix or an invalid body.
    """
    if not isinstance(text, str) or not text:
        raise DecodeError("multibase value must be a non-empty string")
    if len(text) > MAX_MULTIBASE_CHARS:
        raise DecodeError("multibase value is too long")
    prefix, body = text[0], text[1:]
    if prefix == "z":
        if not set(body) <= _B58_ALPHABET:
            raise DecodeError("invalid base58btc character")
        return base58.b58decode(body)
    if prefix == "u":
        return b64url_decode(body)
    if prefix == _EMOJI_ALPHABET[0]:
        try:
            return bytes(_EMOJI_INDEX[ch] for ch in body)
        except KeyError as exc:
            raise DecodeError("invalid base256emoji character") from exc
    if prefix == "7" and body.endswith("="):
        raise DecodeError("base8 multibase values are unpadded")
    from multiformats import multibase

    try:
        return bytes(multibase.decode(text))
    except Exception as exc:  # multiformats raises KeyError, ValueError, binascii.Error
        raise DecodeError("invalid multibase value") from exc


def multicodec_wrap(prefix: bytes, raw: bytes) -> bytes:
    """Prefix raw key bytes with a multicodec varint."""
    return prefix + raw


def multicodec_unwrap(data: bytes) -> tuple[bytes, bytes]:
    """Split multicodec-prefixed key bytes into (prefix, raw).

    Raises:
        DecodeError: if the prefix is not a key codec we know.
    """
    head = data[:2]
    if head in _KNOWN_CODECS:
        return head, data[2:]
    raise DecodeError("unknown or unsupported multicodec prefix")
