"""The lexical grammar of Turtle 1.1 (https://www.w3.org/TR/turtle/#sec-grammar-grammar, §6.4 escapes and §6.5
terminals) as regular expressions, and the resolution of escapes: shared by the positional parser and by the
prefixed-name rules of :mod:`kg.turtle.names`."""

from __future__ import annotations

import re

_BASE = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
         "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_CU = _BASE + "_"
_CH = _CU + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"[{_BASE}](?:[{_CH}.]*[{_CH}])?"
_LOCAL = f"(?:[{_CU}:0-9]|{_PLX})(?:(?:[{_CH}.:]|{_PLX})*(?:[{_CH}:]|{_PLX}))?"
PNAME_RE = re.compile(f"({_PREFIX})?:({_LOCAL})?")
LOCAL_RE = re.compile(_LOCAL)
BNODE_RE = re.compile(f"_:([{_CU}0-9](?:[{_CH}.]*[{_CH}])?)")
LANG_RE = re.compile(r"@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*)")
NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+"
                       r"|[0-9]*\.[0-9]+|[0-9]+)")
IRI_RE = re.compile(r'<((?:[^\x00-\x20<>"{}|^`\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*)>')
SHORT_STRING = {'"': re.compile(r'"([^"\\\n\r]*(?:\\.[^"\\\n\r]*)*)"'),
          "'": re.compile(r"'([^'\\\n\r]*(?:\\.[^'\\\n\r]*)*)'")}
LONG_STRING = {'"': re.compile(r'"""((?:(?:"|"")?(?:[^"\\]|\\.))*)"""', re.S),
         "'": re.compile(r"'''((?:(?:'|'')?(?:[^'\\]|\\.))*)'''", re.S)}
WORD_RE = re.compile(r"[A-Za-z]+")
SPACE_RE = re.compile(r"[ \t\r\n]+")
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)


def unescape(text: str, *, only_unicode: bool = False) -> str:
    """Resolve ``\\u`` + 4 and ``\\U`` + 8 hex digits and (unless ``only_unicode``) the string escapes of
    Turtle §6.4."""
    if "\\" not in text:
        return text

    def repl(m: re.Match[str]) -> str:
        code = m.group(1) or m.group(2)
        if code:
            value = int(code, 16)
            if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
                raise ValueError(f"\\u{code} is not a Unicode scalar value")
            return chr(value)
        if only_unicode or m.group(3) not in _ESCAPES:
            raise ValueError(f"invalid escape \\{m.group(3)}")
        return _ESCAPES[m.group(3)]

    return _ESCAPE_RE.sub(repl, text)
