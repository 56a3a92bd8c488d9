"""URL normalisation and tg:// link decoding, mirroring tdlib's LinkManager/HttpUrl.

Telegram rewrites the URL of every text_link (``telegram.org`` becomes
``http://telegram.org/``) and silently drops links it cannot parse, so the
emulator has to apply the same rules or bots would see different entities here
than in production.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MAX_USER_ID = (1 << 40) - 1
_HOST_SYMBOLS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_!$,~*'();&+=")


class LinkError(ValueError):
    """A URL that tdlib would reject."""


def ascii_lower(value: str) -> str:
    # tdlib lowercases only ASCII letters; str.lower() would also fold e.g. "İ".
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in value)


def is_space(char: str) -> bool:
    return char in " \t\r\n\0\v"


def to_integer_safe(value: str, bits: int = 64) -> int | None:
    """tdlib's to_integer_safe: the text must be the canonical spelling of the number."""
    if not value or (value[0] == "-" and len(value) == 1):
        return None
    digits = value[1:] if value[0] == "-" else value
    if not digits.isascii() or not digits.isdigit():
        return None
    number = int(value)
    if not -(1 << (bits - 1)) <= number < (1 << (bits - 1)) or str(number) != value:
        return None
    return number


def to_integer(value: str, bits: int = 32) -> int:
    """tdlib's lenient to_integer: leading digits only, wrapping like a C integer."""
    negative = value.startswith("-")
    number = 0
    for char in value[1:] if negative else value:
        if not "0" <= char <= "9":
            break
        number = number * 10 + ord(char) - 48
    number = (-number if negative else number) & ((1 << bits) - 1)
    return number - (1 << bits) if number >= 1 << (bits - 1) else number


@dataclass(frozen=True)
class HttpUrl:
    protocol: str
    userinfo: str
    host: str
    is_ipv6: bool
    specified_port: int
    query: str

    def get_url(self) -> str:
        userinfo = f"{self.userinfo}@" if self.userinfo else ""
        port = f":{self.specified_port}" if self.specified_port > 0 else ""
        return f"{self.protocol}://{userinfo}{self.host}{port}{self.query}"


def _find_first(text: str, chars: str, start: int = 0) -> int:
    for index in range(start, len(text)):
        if text[index] in chars:
            return index
    return len(text)


def parse_url(url: str) -> HttpUrl:
    protocol_end = _find_first(url, ":/?#@[]")
    if url.startswith("://", protocol_end):
        protocol = ascii_lower(url[:protocol_end])
        if protocol not in ("http", "https"):
            raise LinkError("Unsupported URL protocol")
        position = protocol_end + 3
    else:
        protocol, position = "http", 0
    authority_end = _find_first(url, "/?#", position)
    authority = url[position:authority_end]

    port = 0
    colon = len(authority) - 1
    while colon > 0 and authority[colon] not in ":]@":
        colon -= 1
    if colon > 0 and authority[colon] == ":":
        port_text = authority[colon + 1 :]
        while len(port_text) > 1 and port_text[0] == "0":
            port_text = port_text[1:]
        parsed_port = to_integer_safe(port_text, 32)
        port = parsed_port if parsed_port else -1
        userinfo_host = authority[:colon]
    else:
        userinfo_host = authority
    if not 0 <= port <= 65535:
        raise LinkError("Wrong port number specified in the URL")

    at = userinfo_host.rfind("@")
    userinfo = userinfo_host[:at] if at >= 0 else ""
    host = userinfo_host[at + 1 :]
    is_ipv6 = len(host) >= 2 and host[0] == "[" and host[-1] == "]"
    if is_ipv6:
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError as exc:
            raise LinkError("Wrong IPv6 address specified in the URL") from exc
    if not host:
        raise LinkError("URL host is empty")
    if host == ".":
        raise LinkError("Host is invalid")

    query = url[authority_end:]
    while query and is_space(query[-1]):
        query = query[:-1]
    if not query:
        query = "/"
    encoded = "" if query[0] == "/" else "/"
    # Control characters and spaces are percent-encoded, everything else is kept verbatim.
    encoded += "".join(f"%{ord(c):02X}" if ord(c) <= 0x20 else c for c in query)

    host = ascii_lower(host)
    _check_host(host, is_ipv6)
    return HttpUrl(protocol, userinfo, host, is_ipv6, port, encoded)


def _check_host(host: str, is_ipv6: bool) -> None:
    index = 0
    while index < len(host):
        char = host[index]
        if is_ipv6:
            if index in (0, len(host) - 1) or char in "0123456789abcdef:.":
                index += 1
                continue
            raise LinkError("Wrong IPv6 URL host")
        if char in _HOST_SYMBOLS or ord(char) >= 128:
            index += 1
            continue
        if char == "%":
            pair = host[index + 1 : index + 3]
            if len(pair) == 2 and all(c in "0123456789abcdef" for c in pair):
                index += 3
                continue
            raise LinkError("Wrong percent-encoded symbol in URL host")
        raise LinkError("Wrong URL host")


def _tolower_begins_with(text: str, prefix: str) -> bool:
    return ascii_lower(text[: len(prefix)]) == prefix


def check_link(link: str) -> str:
    """Return the normalised form of ``link`` or raise LinkError (tdlib check_link_impl)."""
    scheme = next((s for s in ("tg", "ton", "tonsite") if _tolower_begins_with(link, s + ":")), "")
    if scheme:
        link = link[len(scheme) + 1 :]
        if link.startswith("//"):
            link = link[2:]
    url = parse_url(link)
    if not scheme:
        if "." not in url.host and not url.is_ipv6:
            raise LinkError("Wrong HTTP URL")
        return url.get_url()
    if (
        _tolower_begins_with(link, "http://")
        or url.protocol == "https"
        or url.userinfo
        or url.specified_port
        or url.is_ipv6
    ):
        raise LinkError("Wrong tg URL" if scheme == "tg" else "Wrong ton URL")
    query = url.query
    if len(query) > 1 and query[1] == "?":
        query = query[1:]
    for char in url.host:
        allowed = char.isascii() and (char.isalnum() or char in "-_")
        if not allowed and not (scheme == "tonsite" and char == "."):
            raise LinkError("Unallowed characters in URL host")
    return f"{scheme}://{url.host}{query}"


def get_checked_link(link: str) -> str:
    """Normalised link, or "" when Telegram would drop it."""
    try:
        return check_link(link)
    except LinkError:
        return ""


def _split_pair(parameter: str) -> tuple[str, str]:
    key, _, value = parameter.partition("=")
    return key, value


def get_link_user_id(url: str) -> int | None:
    """User id of a tg://user?id=N link (valid or not), None for any other link."""
    url = ascii_lower(url)
    if not url.startswith("tg:"):
        return None
    url = url[3:]
    if url.startswith("//"):
        url = url[2:]
    if not url.startswith("user") or (len(url) > 4 and url[4] not in "/?#"):
        return None
    url = url[4:]
    if url.startswith("/"):
        url = url[1:]
    if not url.startswith("?"):
        return None
    for parameter in url[1:].split("#", 1)[0].split("&"):
        key, value = _split_pair(parameter)
        if key == "id":
            return to_integer_safe(value)
    return None


def is_valid_user_id(user_id: int | None) -> bool:
    return user_id is not None and 0 < user_id <= MAX_USER_ID


def _check_tg_url_host(url: str, host: str) -> str:
    min_size = 3 + 2 + len(host) + 1
    lowered = ascii_lower(url[:min_size])
    if not lowered.startswith("tg:"):
        raise LinkError("URL must have scheme tg")
    lowered, url = lowered[3:], url[3:]
    if url.startswith("//"):
        lowered, url = lowered[2:], url[2:]
    if not lowered.startswith(host) or (len(url) > len(host) and url[len(host)] not in "/?#"):
        raise LinkError(f'URL must have host "{host}"')
    url = url[len(host) :]
    if url.startswith("/"):
        url = url[1:]
    if not url.startswith("?"):
        raise LinkError("URL must have parameters")
    return url[1:].split("#", 1)[0]


def get_link_custom_emoji_id(url: str) -> int:
    for parameter in _check_tg_url_host(url, "emoji").split("&"):
        key, value = _split_pair(parameter)
        if key == "id":
            emoji_id = to_integer_safe(value)
            if not emoji_id:
                raise LinkError("Invalid custom emoji identifier specified")
            return emoji_id
    raise LinkError("Custom emoji URL must have an emoji identifier")


def get_link_date_format(url: str) -> tuple[int, str]:
    """(unix time, format) of a tg://time?unix=N&format=F link."""
    date, date_format = 0, ""
    for parameter in _check_tg_url_host(url, "time").split("&"):
        key, value = _split_pair(parameter)
        if key == "unix":
            parsed = to_integer_safe(value, 32)
            if parsed is None or parsed <= 0:
                raise LinkError("Invalid Unix time specified")
            date = parsed
        if key == "format":
            date_format = value
    if date == 0:
        raise LinkError("URL must have the corresponding Unix time")
    return date, date_format
