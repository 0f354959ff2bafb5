"""Duplication check: pairs of activities of one plan that the secretariat may want to merge."""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from service.core.text import fold
from service.workplan.models import Activity, BodyRole, Recommendation, ResponsibleBody

# Two signals, either enough: both activities cite the same recommendation and share a lead
# body (the same body asked twice for the same thing), or their "title description" texts
# are near-duplicates by rapidfuzz token_set_ratio (word order and repeats ignored, so a
# reordered or padded copy still shows). Why 85: on the seeded draft (30 activities, 435
# pairs) the highest score of two distinct activities is 71 (PROS-01/PROS-02, related but
# separate work), while a copy with a reworded title or a changed sentence scores 95 and more.
# 85 leaves a margin on both sides.
SIMILARITY_THRESHOLD = 85.0

# The cost is bounded, whatever the plan holds. Texts are compared as their first
# COMPARED_WORDS distinct words (title first), sorted: token_set_ratio ignores order and
# repeats, so a real activity (about 60 words) scores exactly as in full, while 20,000
# characters cost no more than a paragraph. A request compares at most PAIRS_PER_REQUEST
# pairs (0.1 to 0.5 s); a larger plan is scanned over several requests (`complete` is false
# until then), and a finished scan is kept per plan content, so asking again costs nothing.
COMPARED_WORDS = 80
READ_CHARACTERS = 1500  # of title and of description, before folding: enough for 80 words
PAIRS_PER_REQUEST = 3_000  # a plan of up to 78 activities in one request
CACHED_PLANS = 32


@dataclass
class Overlap:
    first: Activity
    second: Activity
    shared_recommendations: list[Recommendation] = field(default_factory=list)
    shared_lead_bodies: list[ResponsibleBody] = field(default_factory=list)
    similarity: float = 0.0

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.shared_recommendations and self.shared_lead_bodies:
            reasons.append("same_recommendation_and_lead")
        if self.similarity >= SIMILARITY_THRESHOLD:
            reasons.append("similar_text")
        return reasons


@dataclass
class OverlapReport:
    overlaps: list[Overlap]
    complete: bool
    compared_pairs: int
    total_pairs: int


@dataclass
class _Scan:
    """How far the comparison of one plan's content has gone, and what it found."""

    next_pair: int = 0
    similarities: dict[tuple[int, int], float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_scans: OrderedDict[str, _Scan] = OrderedDict()
_scans_lock = threading.Lock()


def comparable_text(activity: Activity) -> str:
    """Folded title and description as their first COMPARED_WORDS distinct words, sorted."""
    text = fold(
        f"{(activity.title or '')[:READ_CHARACTERS]} "
        f"{(activity.description or '')[:READ_CHARACTERS]}"
    )
    words = list(dict.fromkeys(text.split()))[:COMPARED_WORDS]
    return " ".join(sorted(words))


def _recommendation_ids(activity: Activity) -> frozenset[int]:
    return frozenset(link.recommendation_id for link in activity.recommendation_links)


def _lead_ids(activity: Activity) -> frozenset[int]:
    return frozenset(k.body_id for k in activity.body_links if k.role == BodyRole.LEAD)


def _fingerprint(activities: list[Activity], texts: list[str]) -> str:
    digest = hashlib.sha256()
    for activity, text in zip(activities, texts, strict=True):
        links = (sorted(_recommendation_ids(activity)), sorted(_lead_ids(activity)))
        digest.update(repr((activity.id, text, links)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _scan_for(key: str) -> _Scan:
    with _scans_lock:
        scan = _scans.pop(key, None) or _Scan()
        _scans[key] = scan  # most recently used last
        while len(_scans) > CACHED_PLANS:
            _scans.popitem(last=False)
        return scan


def overlaps_among(activities: list[Activity]) -> OverlapReport:
    """Every pair of activities with at least one reason to merge them, most similar first."""
    ordered = sorted(activities, key=lambda a: a.code)
    texts = [comparable_text(a) for a in ordered]
    recommendations = [_recommendation_ids(a) for a in ordered]
    leads = [_lead_ids(a) for a in ordered]
    total = len(ordered) * (len(ordered) - 1) // 2
    scan = _scan_for(_fingerprint(ordered, texts))
    with scan.lock:  # two requests on one plan: the second waits, then finds the work done
        start = scan.next_pair
        pairs = itertools.combinations(range(len(ordered)), 2)
        for i, j in itertools.islice(pairs, start, start + PAIRS_PER_REQUEST):
            same_work = bool(recommendations[i] & recommendations[j] and leads[i] & leads[j])
            # below the threshold a score matters only for a pair flagged for its links
            cutoff = 0 if same_work else SIMILARITY_THRESHOLD
            score = fuzz.token_set_ratio(texts[i], texts[j], score_cutoff=cutoff)
            if same_work or score >= SIMILARITY_THRESHOLD:
                scan.similarities[(i, j)] = round(score, 1)
            scan.next_pair += 1
        similarities = dict(scan.similarities)
        compared = scan.next_pair
    found = [
        Overlap(
            ordered[i],
            ordered[j],
            shared_recommendations=_shared(ordered[i], ordered[j]),
            shared_lead_bodies=_shared_leads(ordered[i], ordered[j]),
            similarity=similarity,
        )
        for (i, j), similarity in similarities.items()
    ]
    found = [overlap for overlap in found if overlap.reasons]
    return OverlapReport(
        overlaps=sorted(found, key=lambda o: (-o.similarity, o.first.code, o.second.code)),
        complete=compared >= total,
        compared_pairs=min(compared, total),
        total_pairs=total,
    )


def _shared(first: Activity, second: Activity) -> list[Recommendation]:
    theirs = {link.recommendation_id for link in second.recommendation_links}
    return sorted(
        (
            link.recommendation
            for link in first.recommendation_links
            if link.recommendation_id in theirs
        ),
        key=lambda r: r.reference,
    )


def _shared_leads(first: Activity, second: Activity) -> list[ResponsibleBody]:
    def leads(activity: Activity) -> dict[int, ResponsibleBody]:
        return {k.body_id: k.body for k in activity.body_links if k.role == BodyRole.LEAD}

    theirs = leads(second)
    return sorted((b for i, b in leads(first).items() if i in theirs), key=lambda b: b.code)
