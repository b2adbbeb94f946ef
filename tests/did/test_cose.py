"""COSE_Sign1 / EdDSA: the cose-wg vector, pycose interop and attack tests."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

from did import Ed25519PrivateKey, cbor, cose
from did.cose import CoseError, CoseSign1, UnsupportedAlgorithm, sign1, verify1
from did.errors import DecodeError, EncodingError, InputError, InvalidKey, InvalidSignature

# cose-wg/Examples, eddsa-examples/eddsa-sig-01.json ("EdDSA-01: EdDSA - 25519 - sign0"):
# the key is RFC 8032 section 7.1 TEST 1; protected {1: -8, 3: 0}, unprotected {4: h'3131'},
# payload "This is the content.". (The file itself is not in our search index; its output
# value was read from several independent test suites that embed it verbatim.)
CWG_D = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
CWG_X = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
CWG_SIGN1 = bytes.fromhex(
    "D28445A201270300A10442313154546869732069732074686520636F6E74656E742E5840"
    "7142FD2FF96D56DB85BEE905A76BA1D0B7321A95C8C4D3607C5781932B7AFB8711497DFA75"
    "1BF40B58B3BCC32300B1487F3DB34085EEF013BF08F4A44D6FEF0D"
)
CONTENT = b"This is the content."

KEY = Ed25519PrivateKey.from_seed(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_seed(bytes(range(1, 33)))


def _craft(
    protected_bytes: bytes,
    unprotected: dict[Any, Any],
    payload: bytes | None,
    *,
    key: Ed25519PrivateKey = KEY,
    signed_payload: bytes | None = None,
    aad: bytes = b"",
) -> bytes:
    """A validly signed message with arbitrary headers, built independently of sign1."""
    tbs = cbor.encode(
        ["Signature1", protected_bytes, aad, payload if signed_payload is None else signed_payload]
    )
    return cbor.encode(cbor.Tag(18, [protected_bytes, unprotected, payload, key.sign(tbs)]))


# --- official vector -----------------------------------------------------------------------


def test_cose_wg_eddsa_sig_01_verifies() -> None:
    public = Ed25519PrivateKey.from_seed(CWG_D).public_key
    assert public.to_bytes() == CWG_X
    parsed = CoseSign1.from_bytes(CWG_SIGN1, require_tag=True)
    assert parsed.protected == {1: -8, 3: 0}
    assert parsed.protected_bytes == bytes.fromhex("a201270300")
    assert parsed.unprotected == {4: b"11"}
    assert parsed.kid == b"11"
    assert parsed.verify(public) == CONTENT
    assert verify1(CWG_SIGN1, public) == CONTENT


def test_cose_wg_eddsa_sig_01_reproduced_byte_for_byte() -> None:
    # Ed25519 is deterministic (RFC 8032 section 5.1.6), so our signer must reproduce it.
    key = Ed25519PrivateKey.from_seed(CWG_D)
    assert sign1(CONTENT, key, protected={3: 0}, unprotected={4: b"11"}) == CWG_SIGN1


def test_cose_wg_vector_fails_under_another_key_or_aad() -> None:
    with pytest.raises(InvalidSignature):
        verify1(CWG_SIGN1, OTHER.public_key)
    with pytest.raises(InvalidSignature):
        verify1(CWG_SIGN1, Ed25519PrivateKey.from_seed(CWG_D).public_key, external_aad=b"x")


# --- our own messages ----------------------------------------------------------------------


def test_sign_verify_round_trip_with_kid_and_aad() -> None:
    msg = sign1(b"payload", KEY, kid=b"venue-1", external_aad=b"ctx")
    assert msg[0] == 0xD2
    parsed = CoseSign1.from_bytes(msg, require_tag=True)
    assert parsed.protected == {1: -8, 4: b"venue-1"}
    assert parsed.unprotected == {}
    assert parsed.kid == b"venue-1"
    assert parsed.verify(KEY.public_key, external_aad=b"ctx") == b"payload"
    with pytest.raises(InvalidSignature):
        parsed.verify(KEY.public_key)


def test_output_is_deterministic_cbor() -> None:
    msg = sign1(b"p", KEY, kid=b"k", unprotected={"z": 1, 3: "text/plain"})
    assert cbor.encode(cbor.decode(msg, allowed_tags=frozenset({18}))) == msg
    assert msg == sign1(b"p", KEY, kid=b"k", unprotected={3: "text/plain", "z": 1})


@pytest.mark.parametrize("kid", [None, b"", b"k", b"k" * 23, b"k" * 24, b"k" * 300])
def test_fast_path_headers_equal_the_general_encoding(kid: bytes | None) -> None:
    parsed = CoseSign1.from_bytes(sign1(b"p", KEY, kid=kid))
    expected = {1: -8} if kid is None else {1: -8, 4: kid}
    assert parsed.protected_bytes == cbor.encode(expected)
    assert parsed.unprotected == {}
    # The general path (an explicit protected header) must give the same message.
    assert sign1(b"p", KEY, kid=kid, protected={1: -8}) == sign1(b"p", KEY, kid=kid)


def test_untagged_message() -> None:
    msg = sign1(b"p", KEY, tagged=False)
    assert msg[0] == 0x84
    assert verify1(msg, KEY.public_key) == b"p"
    with pytest.raises(CoseError) as info:
        verify1(msg, KEY.public_key, require_tag=True)
    assert info.value.code == "coseMissingTag"


def test_sign1_refuses_bad_options() -> None:
    with pytest.raises(EncodingError):
        sign1("text", KEY)  # type: ignore[arg-type]
    with pytest.raises(EncodingError):
        sign1(b"p", KEY, kid="kid")  # type: ignore[arg-type]
    with pytest.raises(UnsupportedAlgorithm):
        sign1(b"p", KEY, protected={1: -7})
    with pytest.raises(CoseError, match="alg must be in the protected"):
        sign1(b"p", KEY, unprotected={1: -8})
    with pytest.raises(CoseError, match="conflicts"):
        sign1(b"p", KEY, kid=b"a", protected={4: b"b"})
    with pytest.raises(CoseError, match="both headers"):
        sign1(b"p", KEY, kid=b"a", unprotected={4: b"a"})
    with pytest.raises(InvalidKey):
        sign1(b"p", KEY.public_key)  # type: ignore[arg-type]
    with pytest.raises(EncodingError):
        sign1(b"p", KEY, unprotected={5: object()})


def test_verify_refuses_wrong_key_type() -> None:
    parsed = CoseSign1.from_bytes(sign1(b"p", KEY))
    with pytest.raises(InvalidKey):
        parsed.verify(KEY)  # type: ignore[arg-type]


# --- pycose interop (pycose is a test-only dependency) ---------------------------------


def _pycose_key(private: bool) -> OKPKey:
    pub = KEY.public_key.to_bytes()
    return OKPKey(crv=Ed25519, x=pub, d=KEY.seed()) if private else OKPKey(crv=Ed25519, x=pub)


def _pycose_decode(data: bytes) -> Sign1Message:
    # pycose 1.1.0's Sign1Message.decode expects cbor2 to return a list inside the tag;
    # cbor2 6 returns a tuple and a frozendict, so we hand pycose the parts it expects.
    tagged = cbor2.loads(data)
    assert tagged.tag == 18
    protected, unprotected, payload, signature = tagged.value
    return Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)


def test_our_messages_verify_in_pycose() -> None:
    msg = _pycose_decode(sign1(b"check-in", KEY, kid=b"pseudonym", external_aad=b"aad"))
    msg.key = _pycose_key(private=False)
    msg.external_aad = b"aad"
    assert msg.verify_signature()
    assert msg.payload == b"check-in"
    assert msg.phdr[KID] == b"pseudonym"


def test_pycose_detects_our_tampering() -> None:
    data = bytearray(sign1(b"check-in", KEY))
    data[-1] ^= 1
    msg = _pycose_decode(bytes(data))
    msg.key = _pycose_key(private=False)
    assert not msg.verify_signature()


@pytest.mark.parametrize(
    ("phdr", "uhdr"),
    [
        ({Algorithm: EdDSA}, {}),
        ({Algorithm: EdDSA}, {KID: b"kid-in-unprotected"}),
        ({Algorithm: EdDSA, KID: b"kid-protected"}, {}),
    ],
)
def test_pycose_messages_verify_in_ours(phdr: dict[Any, Any], uhdr: dict[Any, Any]) -> None:
    msg = Sign1Message(phdr=phdr, uhdr=uhdr, payload=b"from pycose", external_aad=b"x")
    msg.key = _pycose_key(private=True)
    encoded = msg.encode()
    parsed = CoseSign1.from_bytes(encoded, require_tag=True)
    assert parsed.verify(KEY.public_key, external_aad=b"x") == b"from pycose"
    assert parsed.kid == (phdr.get(KID) or uhdr.get(KID))
    with pytest.raises(InvalidSignature):
        parsed.verify(OTHER.public_key, external_aad=b"x")


# --- attacks (each test named after what it stops) ----------------------------------------


def test_alg_in_unprotected_header_only_refused() -> None:
    msg = _craft(b"", {1: -8}, b"p")
    with pytest.raises(CoseError) as info:
        CoseSign1.from_bytes(msg)
    assert info.value.code == "coseAlgUnprotected"


def test_alg_in_both_headers_refused() -> None:
    with pytest.raises(CoseError) as info:
        CoseSign1.from_bytes(_craft(cbor.encode({1: -8}), {1: -8}, b"p"))
    assert info.value.code == "coseAlgUnprotected"


def test_label_in_both_headers_refused() -> None:
    with pytest.raises(CoseError, match="both headers"):
        CoseSign1.from_bytes(_craft(cbor.encode({1: -8, 4: b"a"}), {4: b"b"}, b"p"))


@pytest.mark.parametrize("alg", [-7, -35, -36, -37, 0, "EdDSA", "none", None, -8.0, True])
def test_other_algorithms_refused(alg: object) -> None:
    with pytest.raises(UnsupportedAlgorithm) as info:
        CoseSign1.from_bytes(_craft(cbor.encode({1: alg}), {}, b"p"))
    assert info.value.code == "unsupportedAlgorithm"


def test_missing_alg_refused() -> None:
    with pytest.raises(UnsupportedAlgorithm, match="no algorithm"):
        CoseSign1.from_bytes(_craft(b"", {}, b"p"))
    with pytest.raises(UnsupportedAlgorithm, match="no algorithm"):
        CoseSign1.from_bytes(_craft(cbor.encode({4: b"k"}), {}, b"p"))


def test_swapped_signature_refused() -> None:
    first = CoseSign1.from_bytes(sign1(b"first", KEY))
    second = CoseSign1.from_bytes(sign1(b"second", KEY))
    forged = cbor.encode(cbor.Tag(18, [first.protected_bytes, {}, b"first", second.signature]))
    with pytest.raises(InvalidSignature):
        verify1(forged, KEY.public_key)


def test_altered_protected_header_refused() -> None:
    original = CoseSign1.from_bytes(sign1(b"p", KEY, kid=b"alice"))
    altered = cbor.encode({1: -8, 4: b"mallory"})
    forged = cbor.encode(cbor.Tag(18, [altered, {}, b"p", original.signature]))
    with pytest.raises(InvalidSignature):
        verify1(forged, KEY.public_key)


def test_altered_payload_refused() -> None:
    original = CoseSign1.from_bytes(sign1(b"fever: no", KEY))
    forged = cbor.encode(
        cbor.Tag(18, [original.protected_bytes, {}, b"fever: yes", original.signature])
    )
    with pytest.raises(InvalidSignature):
        verify1(forged, KEY.public_key)


def test_every_single_bit_flip_in_signature_refused() -> None:
    msg = sign1(b"p", KEY)
    for bit in range(0, 64 * 8, 37):
        data = bytearray(msg)
        data[len(data) - 64 + bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(InvalidSignature):
            verify1(bytes(data), KEY.public_key)


def test_signature_by_other_key_refused() -> None:
    with pytest.raises(InvalidSignature):
        verify1(sign1(b"p", OTHER), KEY.public_key)


def test_unknown_critical_header_refused() -> None:
    protected = cbor.encode({1: -8, 2: [99], 99: "must understand"})
    msg = _craft(protected, {}, b"p")
    with pytest.raises(CoseError) as info:
        CoseSign1.from_bytes(msg)
    assert info.value.code == "coseCriticalHeader"
    parsed = CoseSign1.from_bytes(msg, understood_critical={99})
    assert parsed.verify(KEY.public_key) == b"p"


@pytest.mark.parametrize(
    ("protected", "unprotected", "match"),
    [
        ({1: -8, 2: []}, {}, "non-empty"),
        ({1: -8, 2: 99}, {}, "non-empty"),
        ({1: -8, 2: [99]}, {}, "absent header"),
        ({1: -8, 2: [b"x"]}, {}, "integers or text"),
        ({1: -8}, {2: [4]}, "crit must be in the protected"),
    ],
)
def test_malformed_crit_refused(
    protected: dict[Any, Any], unprotected: dict[Any, Any], match: str
) -> None:
    with pytest.raises(CoseError, match=match):
        CoseSign1.from_bytes(_craft(cbor.encode(protected), unprotected, b"p"))


def test_detached_payload_needs_the_payload() -> None:
    msg = _craft(cbor.encode({1: -8}), {}, None, signed_payload=b"detached")
    with pytest.raises(CoseError) as info:
        CoseSign1.from_bytes(msg)
    assert info.value.code == "coseDetachedPayload"
    parsed = CoseSign1.from_bytes(msg, detached_payload=b"detached")
    assert parsed.verify(KEY.public_key) == b"detached"
    with pytest.raises(InvalidSignature):
        CoseSign1.from_bytes(msg, detached_payload=b"other").verify(KEY.public_key)
    with pytest.raises(CoseError, match="none may be supplied"):
        CoseSign1.from_bytes(sign1(b"p", KEY), detached_payload=b"p")


def test_non_deterministic_protected_header_from_others_accepted() -> None:
    # Keys out of order and a non-minimal integer: valid CBOR, signed as sent.
    protected = bytes.fromhex("a20441610127")
    msg = _craft(protected, {}, b"p")
    parsed = CoseSign1.from_bytes(msg)
    assert parsed.protected == {4: b"a", 1: -8}
    assert parsed.verify(KEY.public_key) == b"p"
    non_minimal = bytes.fromhex("a1013807")
    assert CoseSign1.from_bytes(_craft(non_minimal, {}, b"p")).protected == {1: -8}


def test_protected_header_with_duplicate_keys_refused() -> None:
    with pytest.raises(CoseError, match="duplicate map key"):
        CoseSign1.from_bytes(_craft(bytes.fromhex("a201270127"), {}, b"p"))


def test_non_deterministic_outer_structure_refused() -> None:
    msg = sign1(b"p", KEY)
    # Re-encode the payload length with a one-byte argument: same message, other bytes.
    stretched = msg.replace(b"\x41p", b"\x58\x01p", 1)
    assert stretched != msg
    with pytest.raises(CoseError, match="non-minimal"):
        CoseSign1.from_bytes(stretched)


@pytest.mark.parametrize(
    ("item", "match"),
    [
        (cbor.Tag(18, [b"", {}, b"p"]), "array of four"),
        (cbor.Tag(18, {1: 2}), "array of four"),
        (cbor.Tag(18, [{1: -8}, {}, b"p", b"\x00" * 64]), "must be a byte string"),
        (cbor.Tag(18, [cbor.encode({1: -8}), [], b"p", b"\x00" * 64]), "must be a map"),
        (cbor.Tag(18, [cbor.encode({1: -8}), {}, b"p", b"\x00" * 63]), "64-byte"),
        (cbor.Tag(18, [cbor.encode({1: -8}), {}, b"p", "sig"]), "64-byte"),
        (cbor.Tag(18, [cbor.encode({1: -8}), {}, 5, b"\x00" * 64]), "payload must be"),
        (cbor.Tag(18, [cbor.encode([1]), {}, b"p", b"\x00" * 64]), "encode a map"),
        (cbor.Tag(18, [cbor.encode({1: -8, 4: "kid"}), {}, b"p", b"\x00" * 64]), "kid must"),
        (cbor.Tag(18, [cbor.encode({1: -8}), {4: 1}, b"p", b"\x00" * 64]), "kid must"),
        (cbor.Tag(18, [cbor.encode({1: -8, 3: 1.5}), {}, b"p", b"\x00" * 64]), "content type"),
        (cbor.Tag(18, [b"\x01\x02", {}, b"p", b"\x00" * 64]), "protected header"),
    ],
)
def test_malformed_structure_refused(item: cbor.Tag, match: str) -> None:
    with pytest.raises(CoseError, match=match):
        CoseSign1.from_bytes(cbor.encode(item))


def test_other_tags_refused() -> None:
    for number in (17, 98, 61):
        with pytest.raises(CoseError, match=f"tag {number} is not allowed"):
            CoseSign1.from_bytes(cbor.encode(cbor.Tag(number, [b"", {}, b"p", b"\x00" * 64])))


def test_size_cap_applies() -> None:
    msg = sign1(b"x" * 1000, KEY)
    with pytest.raises(CoseError, match="max_size"):
        CoseSign1.from_bytes(msg, max_size=1000)
    assert verify1(msg, KEY.public_key, max_size=len(msg)) == b"x" * 1000


def test_error_tree_and_codes() -> None:
    assert issubclass(CoseError, DecodeError)
    assert issubclass(UnsupportedAlgorithm, InputError)
    assert issubclass(UnsupportedAlgorithm, ValueError)
    assert CoseError("x").code == "coseMalformed"
    assert UnsupportedAlgorithm("x").code == "unsupportedAlgorithm"
    assert cose.ALG_EDDSA == -8
    assert cose.COSE_SIGN1_TAG == 18
