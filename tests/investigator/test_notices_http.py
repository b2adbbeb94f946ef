"""Exposure notices against the real registry service on loopback (DESIGN.md
"Investigation" step 6): ``anshim case notify`` publishes, corrects and withdraws a notice
as the registry's administrator (its key file, then a token file); an investigator's token
is refused. Real wallets (``wallet.Wallet``) fetch the feed and match locally: the one
that was at the venue in the window matches, the one that was not does not; after the
correction only the corrected window counts, and after the withdrawal nothing does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.town import Town, running_town
from did import KDF_TEST, b64url_decode, did_from_public_key, save_private_key
from did.cli import main
from investigator import Case, HttpRegistryClient, notices, publish_notice
from investigator.errors import RegistryRefused
from protocol import (
    Channel,
    CheckIn,
    HealthDeclaration,
    QrKind,
    VenueCode,
    VisitReceipt,
    digest,
    issue_person_credential,
    to_qr_text,
)
from tests.escrow.support import FIRST_EPOCH, World
from tests.investigator.support import ISSUER, ISSUER_DID, new_case
from wallet import Wallet

DAY = 86400
NOW = (FIRST_EPOCH + 2) * DAY + 3600
HALL = 3
AT = FIRST_EPOCH * DAY + 12 * 3600  # wallet A at the hall from 12:00
LATER = AT + 6 * 3600  # wallet B at the hall from 18:00


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory, escrow_world: World) -> Iterator[Town]:
    with running_town(
        tmp_path_factory.mktemp("notices"), escrow_world.directory, issuer=ISSUER,
        first_day=FIRST_EPOCH, now=NOW, venues=5, wallets=0, gateway_visitors=0,
    ) as t:  # fmt: skip
        yield t


def _wallet(town: Town, world: World, tmp: Path, name: str, time_in: int) -> Wallet:
    """A wallet that checked in at the hall (poster signed by the registry's key) at
    ``time_in``, with the venue's receipt in its diary (no check-out: the stay is the
    wallet's default, an hour here)."""
    directory = world.directory
    w = Wallet.create(
        tmp / f"{name}.wallet", "wallet passphrase", registry_key=town.registry_key.public_key,
        custodians=directory.custodians, threshold=directory.threshold, kdf=KDF_TEST,
    )  # fmt: skip
    cred = issue_person_credential(
        ISSUER, ISSUER_DID, w.holder_did, "+821099990000", name=name,
        valid_from=time_in - 30 * DAY, valid_until=NOW + 365 * DAY,
    )  # fmt: skip
    w.enroll(cred, trusted_issuers=[ISSUER_DID], now=time_in)
    w.set_epoch_keys(directory.to_bytes(), now=time_in)
    hall = town.venues[HALL]
    code = VenueCode(venue=hall.did, name=hall.name_ko, category=hall.category,
                     issued=time_in - DAY, expires=time_in + 30 * DAY)  # fmt: skip
    scanned = w.scan(to_qr_text(QrKind.VENUE_CODE, code.sign(town.registry_key)), now=time_in)
    checkin = w.check_in(scanned, declaration=HealthDeclaration(False, False), now=time_in)
    receipt = VisitReceipt(
        venue=hall.did, pseudonym=CheckIn.parse_unverified(checkin)[1].pseudonym,
        time_in=time_in, time_out=None, visit_id=digest(checkin)[:16],
        checkin_hash=digest(checkin), channel=Channel.QR_STATIC,
    ).sign(hall.key)  # fmt: skip
    w.accept_receipt(receipt, venue_key=hall.key.public_key, now=time_in)
    return w


def _active(town: Town) -> list[bytes]:
    """What a phone keeps from the feed: the signed notices neither withdrawn nor
    corrected (their status bits tell it; a correction is a new notice)."""
    events = httpx.get(f"{town.url}/notices", params={"since": 0}).json()["events"]
    signed = {e["number"]: b64url_decode(e["notice"]) for e in events if e["event"] == "published"}
    for e in events:
        if e["event"] in ("withdrawn", "corrected"):
            signed.pop(e["number"], None)
    return list(signed.values())


def _matches(w: Wallet, town: Town) -> list[tuple[str, int]]:
    found = w.match_exposures(_active(town), now=NOW, default_stay=3600)
    return [(m.notice.venue, m.overlap) for m in found]


def test_notify_publishes_corrects_and_withdraws_and_wallets_match_locally(
    town: Town, escrow_world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hall = town.venues[HALL].did
    there = _wallet(town, escrow_world, tmp_path, "A", AT)
    later = _wallet(town, escrow_world, tmp_path, "B", LATER)
    assert [(v.venue, v.time_in) for v in there.visits()] == [(hall, AT)]
    case = new_case(escrow_world, tmp_path / "case", case_id="JJ-2024-020")
    (tmp_path / "admin-pass").write_text("administrator passphrase\n")
    save_private_key(tmp_path / "admin.key", town.admin_key, "administrator passphrase",
                     kdf=KDF_TEST)  # fmt: skip
    common = ["case", "notify", "--case", str(case.folder.path), "--registry", town.url,
              "--now", str(NOW)]  # fmt: skip
    as_admin = ["--admin-key", str(tmp_path / "admin.key"),
                "--admin-passphrase-file", str(tmp_path / "admin-pass")]  # fmt: skip

    # An investigator may not publish: notices are the administrator's.
    investigator = HttpRegistryClient(
        town.url, key=town.investigator_key,
        did=did_from_public_key(town.investigator_key.public_key),
        credential=town.investigator_credential, clock=lambda: town.clock.now,
    )  # fmt: skip
    with investigator, pytest.raises(RegistryRefused, match="notPermitted"):
        publish_notice(case, hall, AT - 1800, AT + 1800, risk=3, message="확진자 방문",
                       now=NOW, admin=investigator)  # fmt: skip
    assert notices(case) == []

    # Published over the window of A's visit: A matches, B (the same hall, hours later)
    # does not.
    code = main([*common, *as_admin, "--venue", hall, "--window", f"{AT - 1800},{AT + 1800}",
                 "--risk", "3", "--message-ko", "확진자 방문",
                 "--message-en", "a confirmed case visited"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    published = json.loads(capsys.readouterr().out)
    assert (published["venue"], published["risk"], published["status"]) == (hall, "high", "active")
    assert published["message"] == {"ko": "확진자 방문", "en": "a confirmed case visited"}
    feed = httpx.get(f"{town.url}/notices", params={"since": 0}).json()["events"]
    assert feed[-1]["message"] == published["message"]  # what phones show, per language
    assert _matches(there, town) == [(hall, 1800)]
    assert _matches(later, town) == []

    # Corrected to the evening: a new notice naming the old one; now only B matches.
    code = main([*common, *as_admin, "--correct", published["id"], "--window",
                 f"{LATER},{LATER + 7200}", "--risk", "2", "--message", "정정"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    corrected = json.loads(capsys.readouterr().out)
    assert corrected["id"] != published["id"]
    assert corrected["message"] == {"ko": "정정", "en": "정정"}  # --message: both languages
    assert _matches(there, town) == []
    assert _matches(later, town) == [(hall, 3600)]
    kept = {n["id"]: n["status"] for n in notices(Case.load(case.folder.path, who="t"))}
    assert kept == {published["id"]: "corrected", corrected["id"]: "active"}

    # Withdrawn with a token the administrator was given: nothing matches any more.
    with httpx.Client(base_url=town.url) as http:
        (tmp_path / "admin.token").write_text(town.token(http, town.admin_key))
    code = main([*common, "--admin-token-file", str(tmp_path / "admin.token"),
                 "--withdraw", corrected["id"], "--reason", "test"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["status"] == "withdrawn"
    assert _matches(there, town) == []
    assert _matches(later, town) == []
    steps = [e.step for e in case.folder.entries() if e.step.startswith("notice-")]
    assert steps == ["notice-published", "notice-corrected", "notice-withdrawn"]
    # Without the administrator's credentials the command says what it needs; without a
    # message in one of the languages, too.
    assert main([*common, "--withdraw", published["id"]]) == 2
    assert "--admin-key" in capsys.readouterr().err
    assert main([*common, *as_admin, "--venue", hall, "--window", f"{AT},{AT + 60}",
                 "--message-ko", "확진자 방문"]) == 2  # fmt: skip
    assert "--message-en" in capsys.readouterr().err
    there.close()
    later.close()
