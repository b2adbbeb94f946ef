"""``anshim registry admin …``: the registry administrator's work over HTTP (DESIGN.md
"Access control": the administrator approves and deactivates venues, issues investigators'
credentials, reads the query log), so an operator never hand-writes a presentation or a
``curl`` line.

Each command signs in with DID authentication — a presentation by the administrator's key
(``--key``, the DID in ``ANSHIM_REGISTRY_ADMIN_DID``) over a fresh registry challenge,
exchanged for a short-lived token — unless a token is given (``--token-file`` or
``$ANSHIM_REGISTRY_TOKEN``); ``login --out FILE`` saves one (mode 0600) for a series of
commands. The registry's address comes from ``--registry`` or ``$ANSHIM_REGISTRY_URL``.

* ``login --out FILE``; ``venues [--status pending|active|deactivated]``;
  ``approve ID…``; ``deactivate ID --yes`` (final);
* ``publish-keys FILE`` (the custodians' signed epoch-key directory; the registry checks it
  against the pinned custodians, so this needs no token);
* ``issue-investigator --subject DID [--role TEXT] [--out FILE]`` (an
  ``InvestigatorCredential`` over the registry's VC-API);
* ``query-log [--after N] [--limit N]`` (who asked what, under which case).

Every answer is printed as JSON; a refusal is one line with the registry's error code
and exit status 2. httpx (the ``server`` extra) is imported when a command runs.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from did import Ed25519PrivateKey, load_private_key
from did.cli import CliError, add_passphrase_file, print_json, read_input_file, read_passphrase

__all__ = ["URL_ENV", "add_admin_commands"]

#: The environment variable naming the registry's base URL when ``--registry`` is not given.
URL_ENV = "ANSHIM_REGISTRY_URL"
#: A token to use instead of signing in (shared with ``anshim case``).
TOKEN_ENV = "ANSHIM_REGISTRY_TOKEN"  # noqa: S105 (the variable's name, not a secret)
#: The administrator's key file when ``--key`` is not given.
KEY_ENV = "ANSHIM_REGISTRY_ADMIN_KEY"
_TIMEOUT = 30.0
_MAX_ANSWER = 32 << 20
_MAX_TOKEN = 8192
_VENUE_ID = re.compile(r"^[A-Za-z0-9_.:%-]{1,200}$")
_DID = re.compile(r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]{1,400}$")


class _Session:
    """One command's HTTP exchange with the registry: a token on first need, typed
    refusals as :class:`CliError` lines."""

    def __init__(self, args: argparse.Namespace) -> None:
        try:
            import httpx  # imported here: `import registry` never loads httpx
        except ImportError as exc:  # pragma: no cover - the server extra is installed
            raise CliError("admin commands need the 'server' extra (httpx)") from exc
        url = args.registry or os.environ.get(URL_ENV)
        if not url:
            raise CliError(f"no registry address: use --registry or ${URL_ENV}")
        if not re.match(r"^https?://[^\s/]+", url):
            raise CliError(f"the registry address must be an http(s) URL, not {url!r}")
        self._httpx = httpx
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, timeout=_TIMEOUT)
        self._args = args
        self._token: str | None = None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> Any:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        try:
            response = self._client.request(
                method, path, json=json_body, content=content, headers=headers, params=params
            )
        except self._httpx.HTTPError as exc:
            raise CliError(f"registry unreachable at {self.url}: {type(exc).__name__}") from None
        if len(response.content) > _MAX_ANSWER:
            raise CliError(f"the registry's answer to {path} is too large")
        if response.status_code >= 400:
            raise CliError(_refusal(method, path, response))
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CliError(f"the registry's answer to {path} is not JSON") from None

    def token(self) -> str:
        if self._token is not None:
            return self._token
        token_file = getattr(self._args, "token_file", None)
        if token_file:
            raw = read_input_file(token_file, limit=_MAX_TOKEN).decode("ascii", "replace")
            self._token = raw.strip()
        elif os.environ.get(TOKEN_ENV):
            self._token = os.environ[TOKEN_ENV].strip()
        else:
            self._token = self.sign_in()[0]
        if not self._token:
            raise CliError("the token is empty")
        return self._token

    def sign_in(self) -> tuple[str, dict[str, Any]]:
        """A fresh token by DID authentication with the administrator's key."""
        from did.vc import create_presentation, format_datetime  # only when signing in

        key = _admin_key(self._args)
        challenge = self.send("POST", "/challenges", json_body={}, auth=False)
        if not isinstance(challenge, dict) or not isinstance(challenge.get("challenge"), str):
            raise CliError("the registry's challenge is malformed")
        now = int(time.time())
        vp = create_presentation(
            [],
            holder_key=key,
            challenge=challenge["challenge"],
            domain=challenge.get("domain"),
            created=format_datetime(_dt.datetime.fromtimestamp(now, _dt.UTC)),
        )
        answer = self.send(
            "POST", "/auth/token", json_body={"verifiablePresentation": vp}, auth=False
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
            raise CliError("the registry's token answer is malformed")
        if answer.get("role") != "admin":
            raise CliError(
                f"the registry signed this key in as {answer.get('role')!r}, not as its "
                "administrator (check ANSHIM_REGISTRY_ADMIN_DID on the registry)"
            )
        return str(answer["access_token"]), answer


def _refusal(method: str, path: str, response: Any) -> str:
    code, detail = "", response.text[:200]
    try:
        problem = response.json()
        code = str(problem.get("code") or str(problem.get("type", "")).rsplit(":", 1)[-1])
        detail = str(problem.get("detail") or problem.get("title") or detail)
    except (ValueError, AttributeError):
        code = ""  # not a problem document: the answer's own text is the detail
    detail = " ".join(detail.split())[:300]
    return f"registry refused {method} {path} ({response.status_code} {code}): {detail}"


def _admin_key(args: argparse.Namespace) -> Ed25519PrivateKey:
    path = args.key or os.environ.get(KEY_ENV)
    if not path:
        raise CliError(f"no administrator key: use --key, ${KEY_ENV}, or --token-file")
    if not Path(path).is_file():
        raise CliError(f"{path}: no such key file")
    return load_private_key(path, read_passphrase(args, prompt="Administrator key passphrase: "))


def _venue_id(text: str) -> str:
    if not _VENUE_ID.match(text):
        raise CliError(f"not a venue id: {text!r}")
    return text


def _write_private(path: Path, data: str) -> None:
    """Write ``data`` to ``path`` readable by its owner only, replacing it atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


# -- commands ---------------------------------------------------------------------------


def _login(args: argparse.Namespace) -> int:
    with _Session(args) as session:
        token, answer = session.sign_in()
    _write_private(Path(args.out), token + "\n")
    print_json(
        {
            "file": str(args.out),
            "role": answer.get("role"),
            "subject": answer.get("subject"),
            "expires_in": answer.get("expires_in"),
        }
    )
    return 0


def _venues(args: argparse.Namespace) -> int:
    params: dict[str, Any] = {"limit": args.limit}
    if args.status:
        params["status"] = args.status
    with _Session(args) as session:
        print_json(session.send("GET", "/venues", params=params))
    return 0


def _approve(args: argparse.Namespace) -> int:
    ids = [_venue_id(v) for v in args.ids]
    with _Session(args) as session:
        out = [session.send("POST", f"/venues/{v}/approval") for v in ids]
    print_json(out)
    return 0


def _deactivate(args: argparse.Namespace) -> int:
    venue = _venue_id(args.id)
    if not args.yes:
        raise CliError(
            "deactivation is final (its posters stop working, uploads are refused): "
            "add --yes to confirm"
        )
    with _Session(args) as session:
        print_json(session.send("POST", f"/venues/{venue}/deactivation"))
    return 0


def _publish_keys(args: argparse.Namespace) -> int:
    data = read_input_file(args.file)
    with _Session(args) as session:
        answer = session.send(
            "PUT", "/epoch-keys", content=data, content_type="application/cbor", auth=False
        )
    print_json(answer if answer is not None else {"published": True})
    return 0


def _issue_investigator(args: argparse.Namespace) -> int:
    if not _DID.match(args.subject):
        raise CliError(f"not a DID: {args.subject!r}")
    if args.out and Path(args.out).exists():
        raise CliError(f"{args.out} exists; choose another --out or remove it first")
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "InvestigatorCredential"],
        "credentialSubject": {"id": args.subject, "role": args.role},
    }
    with _Session(args) as session:
        answer = session.send("POST", "/credentials/issue", json_body={"credential": credential})
    vc = answer.get("verifiableCredential") if isinstance(answer, dict) else None
    if not isinstance(vc, dict):
        raise CliError("the registry's answer holds no verifiableCredential")
    if args.out:
        Path(args.out).write_text(json.dumps(vc, indent=2, ensure_ascii=False) + "\n")
        print_json({"file": args.out, "id": vc.get("id"), "subject": args.subject})
    else:
        print_json(vc)
    return 0


def _query_log(args: argparse.Namespace) -> int:
    with _Session(args) as session:
        print_json(
            session.send("GET", "/queries/log", params={"after": args.after, "limit": args.limit})
        )
    return 0


# -- parser ------------------------------------------------------------------------------


def _admin_cmd(sub: Any, name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(handler=handler)
    p.add_argument(
        "--registry", metavar="URL", help=f"the registry's base URL (default ${URL_ENV})"
    )
    p.add_argument(
        "--key", metavar="FILE", help=f"the administrator's key file (default ${KEY_ENV})"
    )
    p.add_argument(
        "--token-file",
        metavar="FILE",
        help=f"a token from 'login' (else ${TOKEN_ENV}, else sign in)",
    )
    add_passphrase_file(p)
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("must be 1 to 1000")
    return value


def add_admin_commands(sub: Any) -> None:
    """Add the ``admin`` group to the ``anshim registry`` commands."""
    admin = sub.add_parser(
        "admin", help="the administrator's work over HTTP (venues, credentials, query log)"
    )
    admin.set_defaults(handler=None, help_parser=admin)
    asub = admin.add_subparsers(title="commands", metavar="COMMAND")

    p = _admin_cmd(asub, "login", _login, "sign in and save a short-lived token (mode 0600)")
    p.add_argument("--out", required=True, metavar="FILE")

    p = _admin_cmd(asub, "venues", _venues, "list venues, optionally of one status")
    p.add_argument("--status", choices=("pending", "active", "deactivated"))
    p.add_argument("--limit", type=_positive, default=100)

    p = _admin_cmd(asub, "approve", _approve, "approve pending venues (hosts their did:web)")
    p.add_argument("ids", nargs="+", metavar="ID")

    p = _admin_cmd(asub, "deactivate", _deactivate, "deactivate a venue (final)")
    p.add_argument("id", metavar="ID")
    p.add_argument("--yes", action="store_true", help="confirm: deactivation cannot be undone")

    p = _admin_cmd(
        asub, "publish-keys", _publish_keys, "publish the custodians' signed epoch-key directory"
    )
    p.add_argument("file", metavar="FILE", help="the directory (CBOR) from the key ceremony")

    p = _admin_cmd(
        asub, "issue-investigator", _issue_investigator, "issue an InvestigatorCredential"
    )
    p.add_argument("--subject", required=True, metavar="DID", help="the investigator's DID")
    p.add_argument("--role", default="epidemiological investigator")
    p.add_argument("--out", metavar="FILE", help="write the credential here (else stdout)")

    p = _admin_cmd(asub, "query-log", _query_log, "read the append-only query log")
    p.add_argument("--after", type=int, default=-1, help="entries after this number")
    p.add_argument("--limit", type=_positive, default=100)
