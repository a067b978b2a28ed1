"""What a page may send, checked before anything reaches /instruction.

A page can do no more than the text box: every message becomes one instruction string, cleaned like the
navigator's parser cleans its input (geotext_ros.nav.parser.sanitize: ANSI escapes and format characters
removed, control and separator characters become spaces) and refused above the navigator's length limit. Origin and Host checks keep other sites'
pages (and DNS-rebinding tricks) off the websocket.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Optional
from urllib.parse import urlsplit

from geotext_ros.nav.parser import sanitize

# The fixed sentences of the always-visible buttons: words the parser knows (geotext_ros.nav.parser _STOP etc.).
COMMANDS = {"stop": "stop", "hold": "hold position", "return": "return home"}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class Rejected(ValueError):
    """A client message that is not acted on; str(e) is the reason shown to the operator."""


@dataclass(frozen=True)
class Outgoing:
    """What to publish on /instruction, and why (`kind`: instruction | command | choose)."""

    text: str
    kind: str


def clean_text(text: Any, max_chars: int) -> str:
    """The instruction as it will be published: cleaned as the parser cleans it, whitespace collapsed. Rejected when not a string, empty after cleaning, or longer than max_chars."""
    if not isinstance(text, str):
        raise Rejected(f"instruction must be a string, got {type(text).__name__}")
    if len(text) > max_chars:
        raise Rejected(f"instruction too long: {len(text)} characters, at most {max_chars}")
    out = " ".join(sanitize(text).split())
    if not out:
        raise Rejected("empty instruction: type what the drone should do")
    return out


def parse_client_message(raw: Any, max_chars: int, candidates: Optional[list[Any]] = None) -> Outgoing:
    """One websocket text message -> the instruction to publish. Messages (JSON objects):
    {"type": "instruction", "text": "..."}; {"type": "command", "name": "stop" | "hold" | "return"};
    {"type": "choose", "index": n} (1-based, one of the status' current candidates)."""
    if not isinstance(raw, str):
        raise Rejected("only text messages are accepted")
    try:
        msg = json.loads(raw)
    except ValueError as e:
        raise Rejected(f"not JSON: {e}") from None
    if not isinstance(msg, dict):
        raise Rejected("a message must be a JSON object with a 'type'")
    kind = msg.get("type")
    if kind == "instruction":
        return Outgoing(clean_text(msg.get("text"), max_chars), "instruction")
    if kind == "command":
        name = msg.get("name")
        if name not in COMMANDS:
            raise Rejected(f"unknown command {str(name)[:40]!r}; known: {sorted(COMMANDS)}")
        return Outgoing(COMMANDS[name], "command")
    if kind == "choose":
        return Outgoing(choice_text(msg.get("index"), candidates or [], max_chars), "choose")
    raise Rejected(f"unknown message type {str(kind)[:40]!r}; known: instruction, command, choose")


def choice_text(index: Any, candidates: list[Any], max_chars: int) -> str:
    """The answer to a CLARIFY question: the candidate's own `answer` text when the navigator offers one, else
    its number."""
    if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= len(candidates):
        raise Rejected(f"no candidate {str(index)[:20]}: choose 1..{len(candidates)}")
    cand = candidates[index - 1]
    answer = cand.get("answer") if isinstance(cand, dict) else None
    return clean_text(answer, max_chars) if isinstance(answer, str) and answer.strip() else str(index)


def host_name(host_header: Optional[str]) -> str:
    """'localhost' from 'localhost:8765', '::1' from '[::1]:8765'."""
    host = (host_header or "").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host_header: Optional[str], bind_host: str, extra: Iterable[str] = ()) -> bool:
    """The Host header names this machine: the bind address, loopback names, or an operator-listed name."""
    name = host_name(host_header)
    return bool(name) and name in {bind_host.lower(), *LOOPBACK_HOSTS, *(h.lower() for h in extra)}


def origin_allowed(origin: Optional[str], host_header: Optional[str]) -> bool:
    """Same origin only: the page that opens the websocket must have been served by this server (browsers always
    send Origin on websockets; a missing one is refused too)."""
    if not origin or not host_header:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host_header.strip().lower()
