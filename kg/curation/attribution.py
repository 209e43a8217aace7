"""Attribution: who a sentence says made its figures, and which known agent of the graph that is.

A cue is looked for in the sentence ("according to X", "X said", "reported by X", "X's data", "X told"); a
sentence without one inherits the attribution of the sentence before (a report's figures often run over two
sentences). A pronoun or a generic noun ("its data", "the agency said") also points back. A passive without an
agent ("it was reported") is an explicit *unattributed* cue, which the next sentence inherits too.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from kg.graph import KnowledgeGraph
from kg.query import SelectResult, query

_AGENTS = """SELECT ?agent ?label ?main WHERE {
  ?agent a/rdfs:subClassOf* kg:Agent .
  { ?agent rdfs:label ?label BIND(true AS ?main) } UNION { ?agent skos:altLabel ?label BIND(false AS ?main) }
}"""
_VERBS = (r"said|says|stated|states|reported|reports|told|announced|announces|estimated|estimates|noted|notes|"
          r"emphasi[sz]ed|claimed|claims|confirmed|confirms|wrote|writes|added|counted|counts|recorded|records|"
          r"documented|documents|found|finds|published|publishes|warned|warns|explained|declared")
_NAME = r"(?:[A-Z][\w'’.-]*|of|the|for|and|on|in|de|von|&)"
_PATTERNS = (
    re.compile(r"\baccording to (?P<who>[^,.;:]+)", re.IGNORECASE),
    re.compile(r"\b(?:reported|stated|announced|published|estimated|counted|documented|given) by (?P<who>[^,.;:]+)",
               re.IGNORECASE),
    re.compile(r"\b(?P<who>(?:[Tt]he\s+)?[A-Z][\w'’.-]*(?:\s+" + _NAME + r")*?)['’]s?\s+(?:data|figures|count|"
               r"estimates?|report|records|statistics)\b"),
    re.compile(r"\b(?:data|figures|statistics|estimates?|records) (?:of|from) (?P<who>[^,.;:]+)", re.IGNORECASE),
    re.compile(r"(?P<who>(?:the\s+)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*['’]s\s+(?:office|ministry|service|team|"
               r"department|press service|spokesperson))\s+(?:" + _VERBS + r")\b"),
    re.compile(r",\s*(?:" + _VERBS + r")\s+(?P<who>(?:the\s+)?[A-Z][^,.;:]*)"),
    re.compile(r"(?P<who>(?:\b[Tt]he\s+)?[A-Z][\w'’.-]*(?:\s+" + _NAME + r")*?|\b(?:it|they|he|she|the [a-z ]+?))"
               r"(?:,[^,]+,)?\s+(?:has |have |had )?(?:" + _VERBS + r")\b"),
)
_UNATTRIBUTED = re.compile(r"\b(?:it|this) (?:was|is|has been) (?:also )?(?:reported|said|claimed|stated|"
                           r"estimated|alleged)\b(?! by)", re.IGNORECASE)
_ANAPHORS = re.compile(r"^(?:(?:its|their|his|her)(?:\s+\w+)?|it|they|he|she|this|that|these|(?:the|this) "
                       r"(?:agency|ministry|office|organi[sz]ation|group|commission|report|service|source|official|"
                       r"intelligence agency|authorities|department|committee|institution|ngo|charity|statement))$",
                       re.IGNORECASE)
_TITLES = set("""russian ukrainian british uk us american belarusian children s childrens rights commissioner minister
president prosecutor general deputy head chief ombudsman mp spokesperson spokesman foreign affairs defence the of for
parliamentary human official officials director secretary ambassador envoy chair chairman chairwoman""".split())  # noqa: SIM905
_SPELLING = (("defense", "defence"), ("organization", "organisation"), ("center", "centre"))
# Words that start a sentence with a capital but never name a claimant
_NOT_NAMES = {"so", "there", "then", "this", "that", "in", "on", "since", "after", "before", "if", "when", "while",
              "we", "i", "you", "source", "also"}


def normalise(name: str) -> str:
    """A name reduced for comparison: lower case, US spellings made British, no leading "the", no punctuation."""
    text = re.sub(r"[^\w\s-]", " ", name.lower())
    for us, uk in _SPELLING:
        text = text.replace(us, uk)
    text = re.sub(r"^\s*the\s+", "", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Agent:
    iri: str
    label: str


class AgentIndex:
    """Known agents by normalised label and alias (``rdfs:label``, ``skos:altLabel``)."""

    def __init__(self, names: dict[str, Agent]) -> None:
        self.names = names

    @classmethod
    def from_graph(cls, graph: KnowledgeGraph) -> AgentIndex:
        """Every ``kg:Agent`` (by class or sub-class) of ``graph`` with its labels and aliases."""
        result = query(graph, _AGENTS, max_rows=10**7)
        assert isinstance(result, SelectResult)
        rows = list(result.rows)
        main = {r[0].value: r[1].value for r in rows if r[0] and r[1] and r[2] and r[2].value == "true"}
        names: dict[str, Agent] = {}
        for agent, label, _ in rows:
            if agent is None or label is None:
                continue
            names.setdefault(normalise(label.value), Agent(agent.value, main.get(agent.value, label.value)))
        return cls(names)

    def match(self, mention: str) -> Agent | None:
        """The known agent a mention names: the longest known name the mention contains (whole words), else a
        close spelling of the whole mention (difflib ratio at least 0.85); None when none fits."""
        text = normalise(mention)
        if not text:
            return None
        best: tuple[int, Agent] | None = None
        for name, agent in self.names.items():
            whole_words = re.search(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", text)
            if whole_words and (best is None or len(name) > best[0]):
                best = (len(name), agent)
        if best is not None:
            # "Commissioner Maria Lvova-Belova" is Lvova-Belova, but "Save Ukraine" is not Ukraine: the words
            # around the known name must be titles or lower-case words
            rest = re.sub(r"(?<![\w-])" + re.escape(normalise(best[1].label)) + r"(?![\w-])", " ", text)
            others = [w for w in re.findall(r"[\w'-]+", mention) if w[:1].isupper()
                      and normalise(w) not in _TITLES and normalise(w) in rest.split()]
            if best[0] == len(text) or not others:
                return best[1]
            return None
        close = difflib.get_close_matches(text, list(self.names), n=1, cutoff=0.85)
        return self.names[close[0]] if close else None


@dataclass(frozen=True)
class Cue:
    """An attribution cue: the words naming the claimant (``mention``; empty for an explicit "it was
    reported"), and whether it points back to the previous sentence's claimant (a pronoun)."""

    mention: str
    anaphor: bool = False

    @property
    def unattributed(self) -> bool:
        return not self.mention


def find_cue(sentence: str) -> Cue | None:
    """The attribution cue of ``sentence``, or None if it has none."""
    if _UNATTRIBUTED.search(sentence) and not re.search(r"\baccording to\b", sentence, re.IGNORECASE):
        return Cue("")
    for pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            who = re.sub(r"\s+(?:that|who|which|on|in)\b.*$", "", m.group("who").strip()).strip(" \"'“”")
            who = re.sub(r"^(?:that|then|also|so)\s+", "", who, flags=re.IGNORECASE)
            if not who or who.lower() in _NOT_NAMES:
                continue
            if _ANAPHORS.match(who):
                return Cue(who, anaphor=True)
            return Cue(who)
    return None
