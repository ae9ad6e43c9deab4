#!/usr/bin/env python3
"""Verify an audit export of the card lifecycle service, independently of the service.

    python3 verify_audit_export.py --public-key audit-key.pem export.jsonl
    card-cli export | python3 verify_audit_export.py --public-key audit-key.pem -

Everything it checks is specified in docs/audit.md (beside this file): the hash chain of every stream, every
signed checkpoint (hash, Ed25519 signature, numbering and links), and every signed stream head against the
exported events. It shares no code with the service: RFC 8785, the hashes and the checks are written here
again, from the specification, so that a fault in the service's code cannot hide itself.

Needs Python 3.8 or later and the `cryptography` package (Debian: apt-get install python3-cryptography).
Memory: a few values per stream; the events not yet covered by a checkpoint are kept in a temporary
SQLite file on disk, not in memory.

Exit status: 0 the export verifies, 1 problems were found (each names its stream and revision),
2 the input or the key could not be used at all.
"""

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import sqlite3
import sys
import time

EXPORT_FORMAT = "cards-audit-export"
EXPORT_VERSION = 1
AUDIT_STREAM = "audit-checkpoints"
CHECKPOINT_TYPE = "AuditCheckpointSigned"
GENESIS = "0" * 64
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
POSITION_RE = re.compile(r"^(\d+)(?:/(\d+))?$")
BODY_FIELDS = ("checkpoint", "previousCheckpointHash", "fromPosition", "upToPosition", "eventCount", "streams", "signedAt", "keyId")
MAX_EXACT_INTEGER = 2 ** 53
INSERT_BATCH = 2000
LISTED_NOTES = 20


class Unusable(Exception):
    """The input cannot be verified at all (exit 2)."""


class NotCanonicalizable(Exception):
    """A value RFC 8785 cannot serialise (a lone surrogate, NaN, a type JSON does not have)."""


# ---------------------------------------------------------------------------------------------------------------
# RFC 8785 (JSON Canonicalization Scheme), for the values JSON text can hold.

_ESCAPE_RE = re.compile('[\u0000-\u001f"\\\\]')
_SPECIAL_RE = re.compile('[\u0000-\u001f"\\\\\ud800-\udfff]')  # what needs escaping, or is a lone surrogate
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match):
    ch = match.group(0)
    return _SHORT_ESCAPES.get(ch) or "\\u%04x" % ord(ch)


def jcs_string(text):
    if _SPECIAL_RE.search(text) is None:
        return '"' + text + '"'
    # json.loads turns an escaped surrogate pair into one code point; what is left in D800-DFFF is a lone half.
    if _SURROGATE_RE.search(text):
        raise NotCanonicalizable("a string holds a lone surrogate, which is not Unicode")
    return '"' + _ESCAPE_RE.sub(_escape, text) + '"'


def jcs_number(value):
    """ECMAScript Number::toString of the IEEE 754 double `value` (RFC 8785 section 3.2.2.3)."""
    if value != value or value in (float("inf"), float("-inf")):
        raise NotCanonicalizable("NaN and Infinity are not JSON")
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digit string that reads back as the same double, the closest such one: the
    # digits ECMAScript chooses too. Only the layout differs, so take the digits and lay them out its way.
    text = repr(abs(value))
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    s = digits.rstrip("0")
    k = len(s)
    n = int(exponent or "0") + len(whole) - (len(whole + fraction) - len(digits))  # value = 0.<digits> * 10^n
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + s
    e = n - 1
    return sign + (s if k == 1 else s[0] + "." + s[1:]) + "e" + ("+" if e >= 0 else "-") + str(abs(e))


def _utf16_key(name):
    if _SURROGATE_RE.search(name):
        raise NotCanonicalizable("a member name holds a lone surrogate, which is not Unicode")
    return name.encode("utf-16-be")  # bytewise order of UTF-16BE = order of UTF-16 code units


def _member_order(obj):
    names = list(obj)
    if all(name.isascii() for name in names):
        names.sort()  # for ASCII, code points and UTF-16 code units are the same
    else:
        names.sort(key=_utf16_key)
    return names


def jcs_write(value, out):
    kind = type(value)
    if kind is str:
        out.append(jcs_string(value))
    elif kind is dict:
        out.append("{")
        first = True
        for name in _member_order(value):
            if not first:
                out.append(",")
            first = False
            out.append(jcs_string(name))
            out.append(":")
            jcs_write(value[name], out)
        out.append("}")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        # JSON numbers are doubles: an integer beyond 2^53 is what the nearest double prints as.
        out.append(str(value) if -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER else jcs_number(float(value)))
    elif kind is float:
        out.append(jcs_number(value))
    elif kind is list:
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            jcs_write(item, out)
        out.append("]")
    else:
        raise NotCanonicalizable("a %s is not a JSON value" % kind.__name__)


def canonical(value):
    """The RFC 8785 text of a JSON value."""
    out = []
    jcs_write(value, out)
    return "".join(out)


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _refuse_constant(name):
    raise ValueError("%s is not JSON" % name)


def parse_json(text):
    return json.loads(text, parse_constant=_refuse_constant)


# ---------------------------------------------------------------------------------------------------------------
# Positions: "42", or "commit/prepare" on EventStoreDB. As text of one width, they sort like the numbers.

def position_key(text):
    match = POSITION_RE.match(text) if isinstance(text, str) else None
    if not match:
        return None
    commit = int(match.group(1))
    prepare = int(match.group(2)) if match.group(2) is not None else commit
    return "%020d/%020d" % (commit, prepare)


# ---------------------------------------------------------------------------------------------------------------
# Public keys.

def load_public_keys(arguments):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

    keys = {}
    for argument in arguments:
        if os.path.isfile(argument):
            with open(argument, "rb") as handle:
                text = handle.read().decode("ascii", "replace").strip()
            where = argument
        else:
            text = argument.strip()
            where = "the --public-key argument"
        try:
            if "-----BEGIN" in text:
                key = load_pem_public_key(text.encode("ascii"))
                if not isinstance(key, Ed25519PublicKey):
                    raise ValueError("not an Ed25519 public key")
                raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
            else:
                standard = text.replace("-", "+").replace("_", "/")  # base64url too
                raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
                if len(raw) != 32:
                    raise ValueError("a raw Ed25519 public key is 32 bytes, this is %d" % len(raw))
                key = Ed25519PublicKey.from_public_bytes(raw)
        except (ValueError, TypeError, binascii.Error) as error:
            raise Unusable("%s is not an Ed25519 public key (PEM, or the raw 32 bytes in base64): %s" % (where, error))
        keys[hashlib.sha256(raw).hexdigest()[:16]] = key
    return keys


# ---------------------------------------------------------------------------------------------------------------
# The verifier.

class Stream:
    __slots__ = ("first", "first_prev", "last", "last_hash", "failed_at")

    def __init__(self):
        self.first = None        # first exported revision
        self.first_prev = None   # that event's prevHash (the anchor when it is not revision 0)
        self.last = None         # last exported revision
        self.last_hash = None    # hash of the last event verified good
        self.failed_at = None    # first revision that cannot be trusted, once a problem was found


class Verifier:
    def __init__(self, public_keys):
        self.keys = public_keys
        self.streams = {}
        self.problems = []
        self.notes = []
        self.reported = set()
        self.header = None
        self.from_start = False
        self.lower_bound = None     # export claims every event after this position (key), None: see from_start
        self.upper_bound = None     # ... and every event up to this one, by its header (None: up to its last event)
        self.first_position = None  # position key of the first record line
        self.last_event_position = None
        self.last_position = None
        self.counts = {"event": 0, "checkpoint": 0}
        self.footer = None
        self.after_footer = False
        self.checkpoints_seen = 0
        self.checkpoints_valid = 0
        self.heads_checked = 0
        self.heads_not_checkable = 0
        self.previous_checkpoint = None  # (number, checkpointHash, upToPosition text) of the last checkpoint
        self.prune_bound = None
        self.pending_rows = []
        self.window = sqlite3.connect("")  # a private temporary database on disk, deleted on close
        self.window.execute("PRAGMA cache_size=-8000")
        self.window.execute("CREATE TABLE w (stream TEXT NOT NULL, rev INTEGER NOT NULL, hash TEXT, pos TEXT NOT NULL, PRIMARY KEY (stream, rev))")
        self.window.execute("CREATE INDEX w_pos ON w (pos)")

    # -- reporting ------------------------------------------------------------------------------------------------

    def problem(self, code, stream, revision, line, message, once=None, checkpoint=None):
        key = once if once is not None else (code, stream, revision, line)
        if key in self.reported:
            return
        self.reported.add(key)
        entry = {"code": code, "streamId": stream, "revision": revision, "line": line, "message": message}
        if checkpoint is not None:
            entry["checkpoint"] = checkpoint
        self.problems.append(entry)

    # -- input ----------------------------------------------------------------------------------------------------

    def read_header(self, line_number, raw):
        try:
            header = parse_json(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise Unusable("line %d is not JSON (%s): not an audit export" % (line_number, error))
        if not isinstance(header, dict) or header.get("kind") != "header" or header.get("format") != EXPORT_FORMAT:
            raise Unusable('the first line is not {"kind":"header","format":"%s",...}: not an audit export' % EXPORT_FORMAT)
        if header.get("version") != EXPORT_VERSION:
            raise Unusable("export format version %r: this script reads version %d" % (header.get("version"), EXPORT_VERSION))
        self.header = header
        listed = header.get("publicKeys")
        if isinstance(listed, list):
            listed_ids = sorted(k.get("keyId") for k in listed if isinstance(k, dict) and isinstance(k.get("keyId"), str))
            if listed_ids != sorted(self.keys):
                self.note("the export's header lists the keys %s (for reference, not used); you gave %s"
                          % (", ".join(listed_ids) or "none", ", ".join(sorted(self.keys))))
        self.from_start = header.get("from") is None and header.get("fromPosition") is None
        if header.get("from") is None and header.get("fromPosition") is not None:
            self.lower_bound = position_key(header["fromPosition"])
            if self.lower_bound is None:
                raise Unusable("the header's fromPosition %r is not a position" % header["fromPosition"])
        if header.get("to") is None:
            # Without a time bound at the end, the export holds every event up to toPosition, or to the head of the
            # log when it was made, whichever comes first.
            ends = [position_key(header.get(name)) for name in ("toPosition", "headPosition") if header.get(name) is not None]
            if None in ends:
                raise Unusable("the header's toPosition or headPosition is not a position")
            self.upper_bound = min(ends) if ends else None

    def line(self, line_number, raw):
        if self.after_footer:
            self.problem("MALFORMED_LINE", None, None, line_number, "line %d follows the footer" % line_number, once=("after-footer",))
            return
        try:
            record = parse_json(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            self.problem("MALFORMED_LINE", None, None, line_number, "line %d is not JSON: %s" % (line_number, error))
            return
        kind = record.get("kind") if isinstance(record, dict) else None
        if kind == "footer":
            self.footer = (line_number, record)
            self.after_footer = True
            return
        if kind not in ("event", "checkpoint"):
            self.problem("MALFORMED_LINE", None, None, line_number, "line %d is not an event, a checkpoint or the footer" % line_number)
            return
        shape = self.shape_problem(record)
        if shape:
            self.problem("MALFORMED_LINE", record.get("streamId") if isinstance(record.get("streamId"), str) else None,
                         record.get("revision") if isinstance(record.get("revision"), int) else None, line_number,
                         "line %d: %s" % (line_number, shape))
            return
        self.counts[kind] += 1
        stream_id = record["streamId"]
        revision = record["revision"]
        position = position_key(record["position"])
        if self.last_position is not None and position <= self.last_position:
            self.problem("POSITION_OUT_OF_ORDER", stream_id, revision, line_number,
                         "line %d: position %s does not follow the line before it (the log is exported in position order)"
                         % (line_number, record["position"]))
        else:
            self.last_position = position
        if self.first_position is None:
            self.first_position = position
        if kind == "event" and (self.last_event_position is None or position > self.last_event_position):
            self.last_event_position = position
        is_checkpoint = stream_id == AUDIT_STREAM and record["type"] == CHECKPOINT_TYPE
        if kind == "checkpoint" and not is_checkpoint:
            self.problem("MALFORMED_LINE", stream_id, revision, line_number,
                         "line %d: a checkpoint line must hold a %s event of %s" % (line_number, CHECKPOINT_TYPE, AUDIT_STREAM))
            return
        stored_hash = self.check_chain(line_number, record)
        if stream_id != AUDIT_STREAM and kind == "event":
            self.pending_rows.append((stream_id, revision, stored_hash, position))
            if len(self.pending_rows) >= INSERT_BATCH:
                self.flush()
        if is_checkpoint:
            self.flush()
            self.check_checkpoint(line_number, record)

    @staticmethod
    def shape_problem(record):
        if not isinstance(record.get("streamId"), str) or not record["streamId"]:
            return "streamId must be a non-empty string"
        revision = record.get("revision")
        if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
            return "revision must be a whole number"
        if position_key(record.get("position")) is None:
            return "position must be a position such as \"42\""
        if not isinstance(record.get("type"), str):
            return "type must be a string"
        if not isinstance(record.get("data"), dict) or not isinstance(record.get("metadata"), dict):
            return "data and metadata must be JSON objects"
        return None

    def flush(self):
        if self.pending_rows:
            self.window.executemany("INSERT OR REPLACE INTO w VALUES (?, ?, ?, ?)", self.pending_rows)
            self.pending_rows = []

    # -- hash chains ----------------------------------------------------------------------------------------------

    def check_chain(self, line_number, record):
        """Checks one event against the one before it in its stream; returns its stored hash."""
        stream_id, revision, metadata = record["streamId"], record["revision"], record["metadata"]
        stream = self.streams.get(stream_id)
        if stream is None:
            stream = self.streams[stream_id] = Stream()
        stored_hash = metadata.get("hash")
        previous = stream.last
        if stream.first is None:
            stream.first = revision
            stream.first_prev = metadata.get("prevHash")
        if stream.last is None or revision > stream.last:
            stream.last = revision
        if stream.failed_at is None:
            found = self.chain_problem(record, previous, stream.last_hash)
            if found is None:
                stream.last_hash = stored_hash
            else:
                code, bad_revision, message = found
                stream.failed_at = bad_revision  # after a break, nothing later in that stream can be trusted
                self.problem(code, stream_id, bad_revision, line_number, message)
        return stored_hash

    def chain_problem(self, record, previous, previous_hash):
        """(code, first bad revision, message) when the event does not follow `previous` in its chain, else None."""
        stream_id, revision, metadata = record["streamId"], record["revision"], record["metadata"]
        at = "%s revision %d" % (stream_id, revision)
        if previous is None and revision != 0 and self.from_start:
            return ("FIRST_REVISION_NOT_ZERO", 0, "%s: the export starts at the beginning of the log, but the stream's first event "
                    "is revision %d: revisions 0 to %d are missing" % (stream_id, revision, revision - 1))
        if previous is not None and revision <= previous:
            return ("REVISION_OUT_OF_ORDER", revision, "%s comes after revision %d: revisions must ascend one by one" % (at, previous))
        if previous is not None and revision > previous + 1:
            return ("REVISION_GAP", previous + 1, "%s: revision %d is missing (revision %d is followed by %d)" % (stream_id, previous + 1, previous, revision))
        prev_hash, stored_hash = metadata.get("prevHash"), metadata.get("hash")
        if not isinstance(prev_hash, str) or not isinstance(stored_hash, str):
            return ("UNCHAINED", revision, "%s carries no prevHash or no hash in its metadata" % at)
        if previous is not None and prev_hash != previous_hash:
            return ("PREV_HASH_MISMATCH", revision, "%s: prevHash %s is not the hash of revision %d (%s)" % (at, prev_hash, previous, previous_hash))
        if previous is None and revision == 0 and prev_hash != GENESIS:
            return ("PREV_HASH_MISMATCH", revision, "%s: the prevHash of revision 0 must be 64 zeros, it is %s" % (at, prev_hash))
        if previous is None and not HASH_RE.match(prev_hash):
            return ("PREV_HASH_MISMATCH", revision, "%s: prevHash %r is not a SHA-256 in hex" % (at, prev_hash))
        hashed = {"streamId": stream_id, "revision": revision, "type": record["type"], "data": record["data"],
                  "metadata": {name: value for name, value in metadata.items() if name != "hash"}}
        try:
            recomputed = sha256_hex(canonical(hashed))
        except (NotCanonicalizable, RecursionError) as error:
            return ("UNHASHABLE", revision, "%s cannot be hashed: %s" % (at, error))
        if recomputed != stored_hash:
            return ("HASH_MISMATCH", revision, "%s: the stored hash %s is not the hash of the event's content (%s)" % (at, stored_hash, recomputed))
        return None

    # -- checkpoints ----------------------------------------------------------------------------------------------

    def check_checkpoint(self, line_number, record):
        from cryptography.exceptions import InvalidSignature

        self.checkpoints_seen += 1
        stream_id, revision, data = record["streamId"], record["revision"], record["data"]
        shape = checkpoint_shape_problem(data)
        label = "checkpoint %s" % (data.get("checkpoint") if isinstance(data.get("checkpoint"), int) else "?")

        def bad(code, message):
            self.problem(code, stream_id, revision, line_number, "%s (%s revision %d): %s" % (label, stream_id, revision, message),
                         checkpoint=data.get("checkpoint") if isinstance(data.get("checkpoint"), int) else None)

        if shape:
            return bad("MALFORMED_CHECKPOINT", shape)
        number = data["checkpoint"]
        body = {name: data[name] for name in BODY_FIELDS}
        body["streams"] = [{"streamId": h["streamId"], "revision": h["revision"], "hash": h["hash"]} for h in data["streams"]]
        try:
            signed = canonical(body).encode("utf-8")
        except NotCanonicalizable as error:
            return bad("MALFORMED_CHECKPOINT", "its body cannot be canonicalised: %s" % error)
        trusted = True
        key = self.keys.get(data["keyId"])
        if key is None:
            bad("UNKNOWN_SIGNING_KEY", "signed with key %s, which is none of the public keys given (%s)" % (data["keyId"], ", ".join(sorted(self.keys))))
            trusted = False
        elif hashlib.sha256(signed).hexdigest() != data["checkpointHash"]:
            bad("BAD_CHECKPOINT_HASH", "checkpointHash %s is not the SHA-256 of its signed bytes (%s)" % (data["checkpointHash"], hashlib.sha256(signed).hexdigest()))
            trusted = False
        else:
            try:
                key.verify(base64.b64decode(data["signature"], validate=True), signed)
            except (InvalidSignature, binascii.Error, ValueError):
                bad("BAD_SIGNATURE", "the Ed25519 signature does not verify under key %s" % data["keyId"])
                trusted = False

        # Numbering and links, to the checkpoint before it in the export (or, for number 1, to the start).
        previous = self.previous_checkpoint
        if previous is None:
            if number == 1 and (data["previousCheckpointHash"] != GENESIS or data["fromPosition"] is not None):
                bad("CHECKPOINT_LINK_BROKEN", "the first checkpoint must have previousCheckpointHash 64 zeros and fromPosition null")
            elif number > 1 and self.from_start:
                bad("CHECKPOINT_NUMBER_GAP", "the export starts at the beginning of the log, but its first checkpoint is number %d" % number)
            elif number > 1:
                self.note("checkpoints start at number %d: it is anchored at its previousCheckpointHash %s" % (number, data["previousCheckpointHash"]))
        else:
            previous_number, previous_hash, previous_up_to = previous
            if number != previous_number + 1:
                bad("CHECKPOINT_NUMBER_GAP", "follows checkpoint %d: checkpoints are numbered one by one" % previous_number)
            if data["previousCheckpointHash"] != previous_hash:
                bad("CHECKPOINT_LINK_BROKEN", "previousCheckpointHash %s is not the checkpointHash of checkpoint %d (%s)" % (data["previousCheckpointHash"], previous_number, previous_hash))
            elif data["fromPosition"] != previous_up_to:
                bad("CHECKPOINT_LINK_BROKEN", "fromPosition %s is not the upToPosition of checkpoint %d (%s)" % (data["fromPosition"], previous_number, previous_up_to))
        self.previous_checkpoint = (number, data["checkpointHash"], data["upToPosition"])
        if not trusted:
            return
        self.checkpoints_valid += 1
        self.check_heads(line_number, stream_id, revision, data)
        up_to = position_key(data["upToPosition"])
        if self.prune_bound is None or up_to > self.prune_bound:
            self.window.execute("DELETE FROM w WHERE pos <= ?", (up_to,))
            self.prune_bound = up_to

    def check_heads(self, line_number, stream_id, revision, data):
        number = data["checkpoint"]
        low = position_key(data["fromPosition"]) if data["fromPosition"] is not None else None
        high = position_key(data["upToPosition"])
        starts_inside = self.from_start or (low is not None and (
            (self.lower_bound is not None and low >= self.lower_bound) or (self.first_position is not None and low >= self.first_position)))
        ends = [p for p in (self.upper_bound, self.last_event_position) if p is not None]
        end = max(ends) if ends else None  # the export holds every event up to here
        inside = starts_inside and end is not None and high <= end
        where = "checkpoint %d (%s revision %d)" % (number, stream_id, revision)

        def report(code, stream, rev, message, once=None):
            self.problem(code, stream, rev, line_number, "%s: %s" % (where, message), once=once, checkpoint=number)

        signed = {}
        for head in data["streams"]:
            signed[head["streamId"]] = head
            stream = self.streams.get(head["streamId"])
            rev, expected = head["revision"], head["hash"]
            if stream is not None and stream.failed_at is not None and rev >= stream.failed_at:
                self.heads_not_checkable += 1  # that stream's chain is already reported broken before this revision
                continue
            row = self.window.execute("SELECT hash, pos FROM w WHERE stream = ? AND rev = ?", (head["streamId"], rev)).fetchone()
            if row is not None:
                self.heads_checked += 1
                if row[0] != expected:
                    report("HEAD_MISMATCH", head["streamId"], rev, "signed %s at revision %d with hash %s, the export's event there has hash %s" % (head["streamId"], rev, expected, row[0]))
                elif row[1] > high or (low is not None and row[1] <= low):
                    report("HEAD_MISMATCH", head["streamId"], rev, "signed head %s revision %d lies outside the positions the checkpoint covers" % (head["streamId"], rev))
            elif stream is not None and rev == stream.first - 1 and isinstance(stream.first_prev, str):
                self.heads_checked += 1  # the export starts right after the signed head: its first prevHash must be it
                if stream.first_prev != expected:
                    report("HEAD_MISMATCH", head["streamId"], rev, "signed %s at revision %d with hash %s, but the stream's first exported event says prevHash %s" % (head["streamId"], rev, expected, stream.first_prev))
            elif stream is not None and rev > stream.last and end is not None and high <= end:
                # The signed event lies after the stream's last exported one and no later than upToPosition, which the
                # export reaches: it must be in the export.
                self.heads_checked += 1
                missing = "revision %d is" % rev if rev == stream.last + 1 else "revisions %d to %d are" % (stream.last + 1, rev)
                report("STREAM_TRUNCATED", head["streamId"], stream.last + 1,
                       "signed %s up to revision %d, but the export ends that stream at revision %d: %s missing" % (head["streamId"], rev, stream.last, missing),
                       once=("STREAM_TRUNCATED", head["streamId"]))
            elif stream is not None and stream.first <= rev <= stream.last:
                self.heads_checked += 1
                report("HEAD_MISMATCH", head["streamId"], rev, "signed %s at revision %d, which is not among the events the checkpoint covers" % (head["streamId"], rev))
            elif stream is None and inside:
                self.heads_checked += 1
                report("STREAM_MISSING", head["streamId"], rev, "signed %s up to revision %d, but the export holds no event of that stream" % (head["streamId"], rev), once=("STREAM_MISSING", head["streamId"]))
            else:
                self.heads_not_checkable += 1  # the signed event may lie outside the exported range
        if not inside:
            return
        # Every stream with events in (fromPosition, upToPosition] must be signed at its last one there, and the
        # checkpoint counts them all.
        bounds = (low or "", high)
        rows = self.window.execute("SELECT stream, max(rev), count(*) FROM w WHERE pos > ? AND pos <= ? GROUP BY stream", bounds).fetchall()
        total = 0
        for stream_name, last_rev, count in rows:
            total += count
            head = signed.get(stream_name)
            if head is None:
                report("UNSIGNED_EVENTS", stream_name, last_rev, "the export holds events of %s up to revision %d in the positions the checkpoint covers, but it signed no head for that stream" % (stream_name, last_rev))
            elif last_rev > head["revision"]:
                report("HEAD_MISMATCH", stream_name, head["revision"] + 1, "signed %s at revision %d, but the export has it up to revision %d within the positions covered" % (stream_name, head["revision"], last_rev))
        if total != data["eventCount"]:
            report("EVENT_COUNT_MISMATCH", None, None, "signed eventCount %d for positions (%s, %s], the export holds %d events there"
                   % (data["eventCount"], data["fromPosition"] or "start", data["upToPosition"], total))

    def note(self, text):
        self.notes.append(text)

    # -- the end --------------------------------------------------------------------------------------------------

    def finish(self, last_line):
        self.flush()
        if self.footer is None:
            self.problem("EXPORT_TRUNCATED", None, None, last_line, "the export has no footer line: it was cut short after line %d" % last_line)
        else:
            line_number, footer = self.footer
            if footer.get("events") != self.counts["event"] or footer.get("checkpoints") != self.counts["checkpoint"]:
                self.problem("FOOTER_MISMATCH", None, None, line_number, "the footer counts %r events and %r checkpoints, the export holds %d and %d lines"
                             % (footer.get("events"), footer.get("checkpoints"), self.counts["event"], self.counts["checkpoint"]))
        anchored = sorted((name, s.first) for name, s in self.streams.items() if s.first not in (None, 0))
        if anchored and not self.from_start:
            shown = ", ".join("%s from revision %d" % pair for pair in anchored[:LISTED_NOTES])
            more = " and %d more" % (len(anchored) - LISTED_NOTES) if len(anchored) > LISTED_NOTES else ""
            self.note("%d streams begin before this export's range and are anchored at their first exported event's prevHash: %s%s"
                      % (len(anchored), shown, more))
        self.window.close()


def checkpoint_shape_problem(data):
    number = data.get("checkpoint")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        return "checkpoint must be a positive whole number"
    if not isinstance(data.get("previousCheckpointHash"), str) or not HASH_RE.match(data["previousCheckpointHash"]):
        return "previousCheckpointHash must be 64 lower-case hex characters"
    if data.get("fromPosition") is not None and position_key(data.get("fromPosition")) is None:
        return "fromPosition must be a position or null"
    if position_key(data.get("upToPosition")) is None:
        return "upToPosition must be a position"
    count = data.get("eventCount")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        return "eventCount must be a count"
    if not isinstance(data.get("signedAt"), str) or not isinstance(data.get("keyId"), str):
        return "signedAt and keyId must be strings"
    if not isinstance(data.get("checkpointHash"), str) or not HASH_RE.match(data["checkpointHash"]):
        return "checkpointHash must be 64 lower-case hex characters"
    if not isinstance(data.get("signature"), str):
        return "signature must be base64 text"
    if not isinstance(data.get("streams"), list):
        return "streams must be a list"
    for head in data["streams"]:
        if (not isinstance(head, dict) or not isinstance(head.get("streamId"), str) or not isinstance(head.get("revision"), int)
                or isinstance(head.get("revision"), bool) or not isinstance(head.get("hash"), str) or not HASH_RE.match(head["hash"])):
            return "each of streams must be {streamId, revision, hash}"
    return None


# ---------------------------------------------------------------------------------------------------------------

def verify(stream, public_keys):
    verifier = Verifier(public_keys)
    line_number = 0
    for raw in stream:
        line_number += 1
        raw = raw.rstrip(b"\r\n")
        if line_number == 1:
            verifier.read_header(line_number, raw)
            continue
        if not raw.strip():
            continue
        verifier.line(line_number, raw)
    if line_number == 0:
        raise Unusable("the input is empty: not an audit export")
    verifier.finish(line_number)
    return verifier, line_number


def report_text(verifier, source, lines, seconds):
    h = verifier.header
    streams = verifier.streams
    anchored = sum(1 for s in streams.values() if s.first not in (None, 0))
    out = ["Audit export %s: %d lines, generated %s" % (source, lines, h.get("generatedAt"))]
    bounds = []
    for name in ("from", "to", "fromPosition", "toPosition"):
        if h.get(name) is not None:
            bounds.append("%s=%s" % (name, h[name]))
    out.append("  range: %s" % (", ".join(bounds) if bounds else "the whole log") + (" (head at %s when exported)" % h["headPosition"] if h.get("headPosition") else ""))
    out.append("  public keys: %s" % ", ".join(sorted(verifier.keys)))
    out.append("streams: %d (%d from revision 0, %d anchored at their first exported event)" % (len(streams), len(streams) - anchored, anchored))
    out.append("events: %d event lines, %d checkpoint lines" % (verifier.counts["event"], verifier.counts["checkpoint"]))
    out.append("checkpoints: %d found, %d with a valid hash and signature; signed heads checked: %d, outside the export: %d"
               % (verifier.checkpoints_seen, verifier.checkpoints_valid, verifier.heads_checked, verifier.heads_not_checkable))
    for note in verifier.notes:
        out.append("note: %s" % note)
    out.append("problems: %d" % len(verifier.problems))
    for p in verifier.problems:
        where = []
        if p["streamId"] is not None:
            where.append("stream %s" % p["streamId"])
        if p["revision"] is not None:
            where.append("revision %d" % p["revision"])
        where.append("line %d" % p["line"])
        out.append("  %s [%s]: %s" % (p["code"], ", ".join(where), p["message"]))
    count = len(verifier.problems)
    out.append(("VERIFIED: no problems" if not count else "NOT VERIFIED: %d problem%s" % (count, "" if count == 1 else "s")) + " (%.1f s)" % seconds)
    return "\n".join(out)


def main(argv):
    parser = argparse.ArgumentParser(description="Verify an audit export of the card lifecycle service (docs/audit.md).")
    parser.add_argument("export", nargs="?", default="-", help="the JSON Lines export; - or nothing for standard input")
    parser.add_argument("--public-key", action="append", default=[], metavar="KEY",
                        help="the audit signing public key: a PEM file, a file holding the raw 32 bytes in base64, or that base64 itself; repeat for older keys")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    started = time.time()
    try:
        try:
            import cryptography  # noqa: F401
        except ImportError:
            raise Unusable("this script needs the Python package cryptography (Debian: apt-get install python3-cryptography)")
        if not args.public_key:
            raise Unusable("give the audit public key with --public-key (from a channel you trust, not from the export itself)")
        keys = load_public_keys(args.public_key)
        if args.export == "-":
            verifier, lines = verify(sys.stdin.buffer, keys)
        else:
            try:
                handle = open(args.export, "rb")
            except OSError as error:
                raise Unusable("cannot read %s: %s" % (args.export, error.strerror or error))
            with handle:
                verifier, lines = verify(handle, keys)
    except Unusable as error:
        if args.json:
            print(json.dumps({"ok": False, "usable": False, "error": str(error)}))
        else:
            print("UNUSABLE: %s" % error, file=sys.stderr)
        return 2
    seconds = time.time() - started
    if args.json:
        print(json.dumps({
            "ok": not verifier.problems, "usable": True, "lines": lines, "seconds": round(seconds, 3),
            "streams": len(verifier.streams),
            "anchoredStreams": sum(1 for s in verifier.streams.values() if s.first not in (None, 0)),
            "events": verifier.counts["event"], "checkpointLines": verifier.counts["checkpoint"],
            "checkpoints": verifier.checkpoints_seen, "validCheckpoints": verifier.checkpoints_valid,
            "headsChecked": verifier.heads_checked, "headsOutsideExport": verifier.heads_not_checkable,
            "notes": verifier.notes, "problems": verifier.problems,
        }, ensure_ascii=False))
    else:
        print(report_text(verifier, "<stdin>" if args.export == "-" else args.export, lines, seconds))
    return 1 if verifier.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
