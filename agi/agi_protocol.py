"""The AGI wire protocol, as pure functions: no sockets here.

A FastAGI session opens with ``agi_key: value`` lines ended by a blank line.
Each command is one line; each answer is one line such as
``200 result=1 (timeout) endpos=1234``. :func:`result_error` is the one place
that maps AGI status codes to exceptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from spillway.errors import AgiError, AgiHangup, ProtocolError

MAX_HEADER_LINES = 256
MAX_LINE_BYTES = 8192

_RESULT = re.compile(r"^(?P<code>\d{3})(?:[ -](?P<rest>.*))?$")
_KV = re.compile(r"(\w+)=(\S*)")


@dataclass(frozen=True, slots=True)
class AgiRequest:
    """The environment Asterisk sent at the start of a FastAGI session."""

    env: dict[str, str]
    script: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def channel(self) -> str:
        return self.env.get("agi_channel", "")

    @property
    def unique_id(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def caller_id(self) -> str:
        return self.env.get("agi_callerid", "")

    @property
    def args(self) -> list[str]:
        """Positional AGI arguments (``agi_arg_1`` ...), in order."""
        out = []
        i = 1
        while f"agi_arg_{i}" in self.env:
            out.append(self.env[f"agi_arg_{i}"])
            i += 1
        return out


@dataclass(frozen=True, slots=True)
class AgiResult:
    """One command's answer."""

    code: int
    result: str
    data: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def value(self) -> int:
        try:
            return int(self.result)
        except ValueError:
            return 0


def parse_env_line(line: str) -> tuple[str, str]:
    key, sep, value = line.partition(":")
    if not sep or not key.startswith("agi_"):
        raise ProtocolError(f"FastAGI: not an environment line: {line[:80]!r}")
    return key.strip(), value.strip()


def build_request(lines: list[str]) -> AgiRequest:
    """Turn the environment block into an :class:`AgiRequest`."""
    env = dict(parse_env_line(line) for line in lines)
    network_script = env.get("agi_network_script")
    if network_script is None:
        # Older Asterisk: take the path out of agi_request (agi://host/path?x=1).
        network_script = urlsplit(env.get("agi_request", "")).path.lstrip("/")
    path, _, query = network_script.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    return AgiRequest(env=env, script=path.strip("/"), params=params)


def parse_result(line: str) -> AgiResult:
    """Parse ``200 result=1 (data) key=value``; raise for error codes."""
    if line.strip() == "HANGUP":
        raise AgiHangup("the channel hung up")
    match = _RESULT.match(line.strip())
    if match is None:
        raise ProtocolError(f"AGI: unreadable answer {line[:80]!r}")
    code = int(match["code"])
    rest = match["rest"] or ""
    if code != 200:
        raise result_error(code, rest)
    data = ""
    if "(" in rest and ")" in rest:
        data = rest[rest.index("(") + 1 : rest.rindex(")")]
        rest = rest[: rest.index("(")] + rest[rest.rindex(")") + 1 :]
    pairs = dict(_KV.findall(rest))
    result = pairs.pop("result", "")
    return AgiResult(code=code, result=result, data=data, extra=pairs)


def result_error(code: int, text: str) -> AgiError:
    """The single mapping from AGI status codes to exceptions."""
    if code == 511:
        return AgiHangup(f"AGI 511: command not permitted on a dead channel ({text.strip()})")
    if code == 510:
        return AgiError(f"AGI 510: invalid or unknown command ({text.strip()})")
    if code == 520:
        return AgiError(f"AGI 520: usage error ({text.strip()})")
    return AgiError(f"AGI {code}: {text.strip()}")


def quote(value: str) -> str:
    """Quote one AGI command argument."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
