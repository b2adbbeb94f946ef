"""anshim quick start: keys and DIDs, resolution, a signed COSE message, a venue QR code.

Run with ``make demo``. Writes ``out/venue-qr.svg`` and prints everything it does.
"""

from __future__ import annotations

import json
from pathlib import Path

from did import (
    Ed25519PrivateKey,
    InMemoryTransport,
    Resolver,
    cbor,
    cose,
    did_from_public_key,
    did_web_document,
    did_web_to_url,
    qr,
)
from did.errors import InvalidSignature

OUT = Path(__file__).resolve().parent.parent / "out"


def main() -> None:
    # 1. A registry key (did:key) and a venue hosted by the registry as did:web.
    registry_key = Ed25519PrivateKey.generate()
    registry_did = did_from_public_key(registry_key.public_key)
    venue_key = Ed25519PrivateKey.generate()
    venue_did = "did:web:registry.example:venues:cafe-42"
    print(f"registry DID : {registry_did}")
    print(f"venue DID    : {venue_did}")
    print(f"hosted at    : {did_web_to_url(venue_did)}")

    # 2. Resolve both. did:web goes through a transport; here an in-memory one stands in
    #    for the registry's web server.
    venue_doc = did_web_document(
        venue_did,
        signing_key=venue_key.public_key,
        agreement_key=venue_key.to_x25519().public_key,
    )
    hosted = json.dumps(venue_doc.to_json()).encode()
    transport = InMemoryTransport({did_web_to_url(venue_did): hosted})
    resolver = Resolver(transport=transport)
    for did in (registry_did, venue_did):
        result = resolver.resolve(did)
        methods = [vm["type"] for vm in result.to_json()["didDocument"]["verificationMethod"]]
        print(f"resolved     : {did[:40]}… → {methods}")

    # 3. The registry signs a venue code as COSE_Sign1 over deterministic CBOR; anyone with
    #    the registry's DID verifies it offline.
    payload = cbor.encode({1: 1, 2: venue_did, 3: "Cafe 42", 4: "restaurant"})
    message = cose.sign1(payload, registry_key, kid=registry_did.encode())
    assert cose.verify1(message, registry_key.public_key) == payload
    tampered = message[:-1] + bytes([message[-1] ^ 1])
    try:
        cose.verify1(tampered, registry_key.public_key)
    except InvalidSignature as exc:
        print(f"tampered code: refused ({exc.code})")
    print(f"COSE_Sign1   : {len(message)} bytes, payload {len(payload)} bytes")

    # 4. The QR code: uppercase prefix + base45, so QR alphanumeric mode applies.
    text = qr.encode_qr_text("DEMO", message)
    print(f"QR text      : {text[:48]}… ({len(text)} characters)")
    print(qr.render_terminal(text))
    OUT.mkdir(exist_ok=True)
    svg_path = OUT / "venue-qr.svg"
    qr.write_svg(text, svg_path)
    print(f"SVG written  : {svg_path}")


if __name__ == "__main__":
    main()
