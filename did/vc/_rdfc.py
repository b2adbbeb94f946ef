"""Bounded RDF Dataset Canonicalization (RDFC-1.0, W3C Recommendation 2024).

We canonicalize PyLD's RDF dataset ourselves instead of using PyLD's URDNA2015 for two
reasons:

1. **Canonical N-Quads escaping.** RDFC-1.0 appendix A (A Canonical form of N-Quads) says that
   inside ``STRING_LITERAL_QUOTE`` the characters BS, HT, LF, FF, CR, ``"`` and ``\\`` MUST be
   written as ECHAR (``\\b \\t \\n \\f \\r \\" \\\\``) and every other character in
   U+0000–U+001F and U+007F MUST be written as UCHAR (``\\u0000`` with uppercase HEX). PyLD 3.3.0
   (``pyld.nquads.escape``) escapes only ``\\``, HT, LF, CR and ``"``: it writes BS, FF and the
   other control characters raw. Its canonical form, its first-degree hashes, and so every
   signature over a literal holding such a character, differ from conforming implementations.
   :func:`escape_literal` implements the appendix; ``tests/test_vc_rdfc.py`` pins the difference.
2. **Bounded work.** RDFC-1.0 section 7.1 (Dataset Poisoning) asks implementations to abort
   problematic inputs. Hash N-Degree Quads (section 4.8) permutes every group of blank nodes that
   share a hash, which is factorial in the group size: a clique of a dozen identical blank nodes
   never finishes. :class:`RdfcLimits` bounds the number of quads, blank nodes, calls to Hash
   N-Degree Quads and permutations tried; exceeding any raises
   :class:`CanonicalizationLimitExceeded` at once.

Quads are held as 4-tuples of N-Quads term strings: ``<iri>``, ``_:label`` or a literal
already in canonical form; the graph is ``""`` for the default graph. A term is a blank node
exactly when it starts with ``_:``.

Errors (:mod:`did.vc.errors`): :class:`~did.vc.errors.CanonicalizationError` and its
subclass :class:`~did.vc.errors.CanonicalizationLimitExceeded`.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from did.errors import InputError
from did.vc.errors import CanonicalizationError, CanonicalizationLimitExceeded

__all__ = [
    "DEFAULT_LIMITS",
    "Quad",
    "RdfcLimits",
    "canonical_labels",
    "canonicalize",
    "canonicalize_document",
    "escape_literal",
    "quads_from_pyld",
    "serialize_quad",
]

Quad = tuple[str, str, str, str]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# RDFC-1.0 appendix A: characters written with ECHAR.
_ECHAR = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
# ... and the remaining controls U+0000-U+001F and U+007F, written with UCHAR (uppercase HEX).
_ESCAPES: dict[int, str] = {ord(c): e for c, e in _ECHAR.items()}
for _cp in [*range(0x20), 0x7F]:
    _ESCAPES.setdefault(_cp, f"\\u{_cp:04X}")
del _cp

# N-Quads IRIREF excludes these characters (RDF 1.1 N-Quads section 6); an IRI containing one
# would let a value break out of its term and forge extra quads, so it is refused.
_IRI_FORBIDDEN = frozenset('<>"{}|^`\\' + "".join(chr(c) for c in range(0x21)))


@dataclass(frozen=True)
class RdfcLimits:
    """Work limits for :func:`canonicalize` (RDFC-1.0 section 7.1 mitigations).

    ``max_quads``: quads in the dataset; ``max_blank_nodes``: distinct blank nodes;
    ``max_ndegree_calls``: calls to Hash N-Degree Quads (section 4.8), the recursive step;
    ``max_permutations``: permutations of blank-node lists tried in step 5.4 of that algorithm,
    summed over all calls. Credentials canonicalize with zero N-degree calls; the defaults leave
    room for ordinary lists and shared structures while stopping the known poison graphs in
    milliseconds.
    """

    max_quads: int = 10_000
    max_blank_nodes: int = 2_000
    max_ndegree_calls: int = 1_000
    max_permutations: int = 5_000

    def __post_init__(self) -> None:
        for name in ("max_quads", "max_blank_nodes", "max_ndegree_calls", "max_permutations"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"RdfcLimits.{name} must be a non-negative int")


DEFAULT_LIMITS = RdfcLimits()


def escape_literal(value: str) -> str:
    """Escape a literal's lexical form for ``STRING_LITERAL_QUOTE`` (RDFC-1.0 appendix A)."""
    return value.translate(_ESCAPES)


def _iri(value: object) -> str:
    if not isinstance(value, str) or not value or any(c in _IRI_FORBIDDEN for c in value):
        raise CanonicalizationError("IRI is empty or contains characters N-Quads forbids")
    return f"<{value}>"


def _blank(value: object) -> str:
    if (
        not isinstance(value, str)
        or not value.startswith("_:")
        or len(value) < 3
        or any(c in _IRI_FORBIDDEN or c == "." for c in value[2:])
    ):
        raise CanonicalizationError("malformed blank node identifier")
    return value


def _term(node: object, *, literal_ok: bool) -> str:
    if not isinstance(node, Mapping):
        raise CanonicalizationError("RDF term must be an object")
    kind = node.get("type")
    if kind == "IRI":
        return _iri(node.get("value"))
    if kind == "blank node":
        return _blank(node.get("value"))
    if kind == "literal" and literal_ok:
        value = node.get("value")
        datatype = node.get("datatype", _XSD_STRING)
        if not isinstance(value, str):
            raise CanonicalizationError("literal value must be a string")
        out = f'"{escape_literal(value)}"'
        language = node.get("language")
        if datatype == _RDF_LANGSTRING:
            if not isinstance(language, str) or not language:
                raise CanonicalizationError("language-tagged string without a language")
            if any(not (c.isascii() and (c.isalnum() or c == "-")) for c in language):
                raise CanonicalizationError("malformed language tag")
            return f"{out}@{language}"
        if datatype == _XSD_STRING:
            return out
        return f"{out}^^{_iri(datatype)}"
    raise CanonicalizationError(f"unexpected RDF term type {str(kind)[:40]!r}")


def quads_from_pyld(
    dataset: Mapping[str, Any], *, limits: RdfcLimits = DEFAULT_LIMITS
) -> list[Quad]:
    """Convert PyLD's ``to_rdf`` dataset (graph name -> triples) into quads of term strings.

    Raises:
        CanonicalizationError: on a malformed dataset, IRI, blank node or literal.
        CanonicalizationLimitExceeded: if the dataset has more than ``limits.max_quads`` quads.
    """
    if not isinstance(dataset, Mapping):
        raise CanonicalizationError("RDF dataset must be an object")
    quads: list[Quad] = []
    for graph_name, triples in dataset.items():
        if graph_name == "@default":
            graph = ""
        elif isinstance(graph_name, str) and graph_name.startswith("_:"):
            graph = _blank(graph_name)
        else:
            graph = _iri(graph_name)
        if not isinstance(triples, list):
            raise CanonicalizationError("RDF graph must be a list of triples")
        for triple in triples:
            if not isinstance(triple, Mapping):
                raise CanonicalizationError("RDF triple must be an object")
            if len(quads) >= limits.max_quads:
                raise CanonicalizationLimitExceeded(
                    f"dataset has more than {limits.max_quads} quads"
                )
            subject = _term(triple.get("subject"), literal_ok=False)
            predicate = _term(triple.get("predicate"), literal_ok=False)
            if predicate.startswith("_:"):
                raise CanonicalizationError("predicate must be an IRI")
            quads.append((subject, predicate, _term(triple.get("object"), literal_ok=True), graph))
    return quads


def serialize_quad(quad: Quad) -> str:
    """One quad in canonical N-Quads form (RDFC-1.0 appendix A), newline included."""
    subject, predicate, obj, graph = quad
    if graph:
        return f"{subject} {predicate} {obj} {graph} .\n"
    return f"{subject} {predicate} {obj} .\n"


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _IdentifierIssuer:
    """RDFC-1.0 section 4.5 (Issue Identifier algorithm): prefix + counter, in issue order."""

    __slots__ = ("counter", "issued", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.issued: dict[str, str] = {}  # dicts keep insertion (= issue) order

    def issue(self, existing: str) -> str:
        found = self.issued.get(existing)
        if found is not None:
            return found
        new = f"{self.prefix}{self.counter}"
        self.counter += 1
        self.issued[existing] = new
        return new

    def copy(self) -> _IdentifierIssuer:
        other = _IdentifierIssuer(self.prefix)
        other.counter = self.counter
        other.issued = dict(self.issued)
        return other


class _State:
    """RDFC-1.0 section 4.2 (canonicalization state) plus our work counters."""

    def __init__(self, quads: Sequence[Quad], limits: RdfcLimits) -> None:
        self.limits = limits
        self.canonical = _IdentifierIssuer("_:c14n")
        self.bnode_quads: dict[str, list[Quad]] = {}
        self.first_degree: dict[str, str] = {}
        self.ndegree_calls = 0
        self.permutations = 0
        # Step 2: map every blank node to the quads that mention it.
        for quad in quads:
            for term in (quad[0], quad[2], quad[3]):
                if term.startswith("_:"):
                    bucket = self.bnode_quads.setdefault(term, [])
                    if not bucket or bucket[-1] is not quad:
                        bucket.append(quad)
        if len(self.bnode_quads) > limits.max_blank_nodes:
            raise CanonicalizationLimitExceeded(
                f"dataset has more than {limits.max_blank_nodes} blank nodes"
            )

    def hash_first_degree(self, reference: str) -> str:
        """Section 4.6 (Hash First Degree Quads)."""
        cached = self.first_degree.get(reference)
        if cached is not None:
            return cached
        lines = []
        for quad in self.bnode_quads[reference]:
            replaced = tuple(
                (("_:a" if t == reference else "_:z") if t.startswith("_:") else t) for t in quad
            )
            lines.append(serialize_quad(replaced))  # type: ignore[arg-type]
        lines.sort()
        result = _sha256_hex("".join(lines))
        self.first_degree[reference] = result
        return result

    def hash_related(
        self, related: str, quad: Quad, issuer: _IdentifierIssuer, position: str
    ) -> str:
        """Section 4.7 (Hash Related Blank Node)."""
        identifier = self.canonical.issued.get(related) or issuer.issued.get(related)
        if identifier is None:
            identifier = self.hash_first_degree(related)
        data = position
        if position != "g":
            data += quad[1]  # the predicate, already written as <iri>
        return _sha256_hex(data + identifier)

    def hash_ndegree(
        self, identifier: str, issuer: _IdentifierIssuer
    ) -> tuple[str, _IdentifierIssuer]:
        """Section 4.8 (Hash N-Degree Quads), counted against the work limits."""
        self.ndegree_calls += 1
        if self.ndegree_calls > self.limits.max_ndegree_calls:
            raise CanonicalizationLimitExceeded(
                f"more than {self.limits.max_ndegree_calls} Hash N-Degree Quads calls: "
                "refusing a dataset that looks like a canonicalization poison graph"
            )
        # Steps 1-3: group related blank nodes by their related hash.
        related_groups: dict[str, list[str]] = {}
        for quad in self.bnode_quads[identifier]:
            for term, position in ((quad[0], "s"), (quad[2], "o"), (quad[3], "g")):
                if term.startswith("_:") and term != identifier:
                    h = self.hash_related(term, quad, issuer, position)
                    related_groups.setdefault(h, []).append(term)
        # Steps 4-5: for each related hash in code point order, choose the least path.
        data_to_hash = ""
        for related_hash in sorted(related_groups):
            data_to_hash += related_hash
            chosen_path = ""
            chosen_issuer: _IdentifierIssuer | None = None
            for permutation in itertools.permutations(related_groups[related_hash]):
                self._count_permutation()
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:  # step 5.4.4
                    canonical = self.canonical.issued.get(related)
                    if canonical is not None:
                        path += canonical
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:  # step 5.4.5
                    result_hash, issuer_copy = self.hash_ndegree(related, issuer_copy)
                    path += issuer_copy.issue(related)
                    path += f"<{result_hash}>"
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:  # step 5.4.6
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data_to_hash += chosen_path  # step 5.5
            if chosen_issuer is not None:
                issuer = chosen_issuer  # step 5.6
        return _sha256_hex(data_to_hash), issuer

    def _count_permutation(self) -> None:
        self.permutations += 1
        if self.permutations > self.limits.max_permutations:
            raise CanonicalizationLimitExceeded(
                f"more than {self.limits.max_permutations} blank-node permutations: "
                "refusing a dataset that looks like a canonicalization poison graph"
            )


def canonical_labels(
    quads: Sequence[Quad], *, limits: RdfcLimits = DEFAULT_LIMITS
) -> dict[str, str]:
    """Map each input blank node to its canonical ``_:c14nN`` label (RDFC-1.0 section 4.4).

    Raises:
        CanonicalizationLimitExceeded: if a work limit in ``limits`` is exceeded.
    """
    state = _State(quads, limits)
    # Step 3: first-degree hashes, grouped.
    by_hash: dict[str, list[str]] = {}
    for bnode in state.bnode_quads:
        by_hash.setdefault(state.hash_first_degree(bnode), []).append(bnode)
    # Step 4: unique hashes get canonical labels, in hash order.
    for h in sorted(by_hash):
        if len(by_hash[h]) == 1:
            state.canonical.issue(by_hash[h][0])
            del by_hash[h]
    # Step 5: shared hashes, via Hash N-Degree Quads with a temporary issuer per blank node.
    for h in sorted(by_hash):
        results: list[tuple[str, _IdentifierIssuer]] = []
        for bnode in by_hash[h]:
            if bnode in state.canonical.issued:
                continue
            temporary = _IdentifierIssuer("_:b")
            temporary.issue(bnode)
            results.append(state.hash_ndegree(bnode, temporary))
        results.sort(key=lambda item: item[0])
        for _, issuer in results:
            for existing in issuer.issued:
                state.canonical.issue(existing)
    return dict(state.canonical.issued)


def canonicalize(quads: Iterable[Quad], *, limits: RdfcLimits = DEFAULT_LIMITS) -> str:
    """The serialized canonical form of a dataset (RDFC-1.0 sections 4.4 and 5).

    Duplicate quads are dropped (a dataset is a set). Returns the sorted canonical N-Quads.

    Raises:
        CanonicalizationLimitExceeded: if a work limit in ``limits`` is exceeded.
    """
    unique = list(dict.fromkeys(quads))
    if len(unique) > limits.max_quads:
        raise CanonicalizationLimitExceeded(f"dataset has more than {limits.max_quads} quads")
    labels = canonical_labels(unique, limits=limits)
    lines = {
        serialize_quad(tuple(labels.get(t, t) if t.startswith("_:") else t for t in q))  # type: ignore[arg-type]
        for q in unique
    }
    return "".join(sorted(lines))


def canonicalize_document(
    document: Mapping[str, Any],
    *,
    loader: Any = None,
    limits: RdfcLimits = DEFAULT_LIMITS,
) -> str:
    """JSON-LD document -> RDF dataset (offline, via PyLD) -> canonical N-Quads (RDFC-1.0).

    ``loader`` is a :class:`did.vc.OfflineDocumentLoader` (default: bundled contexts).

    Raises:
        ContextNotBundled: if the document names a context that is not available offline.
        JsonLdProcessingError: if JSON-LD processing rejects the document.
        CanonicalizationError: on a malformed dataset; ``CanonicalizationLimitExceeded`` for a
            poison dataset.
    """
    from did.vc._jsonld import to_rdf_dataset

    return canonicalize(
        quads_from_pyld(to_rdf_dataset(document, loader=loader), limits=limits), limits=limits
    )
