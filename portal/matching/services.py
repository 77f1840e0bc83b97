"""What other features call: recommendations for a member, pairs for the broker, one pair's score.

The graph is the app's in-memory MatchingGraph (`portal.matching.current_graph`); a `graph`
argument overrides it (evaluation, benchmarks). Query-time exclusions are read from the database,
never from the graph, so they hold even when this process's graph lags behind another process:
oneself, connections, people with a pending/accepted/declined introduction, suspended members.
Recommendations are shown to members who are not connected to the candidates, so candidates'
connections-only fields neither steer nor appear in them; private groups' forum activity is
left out of the graph altogether.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.errors import DomainError, NotFound
from portal.matching.graph import COMPANY, PERSON, TAG, MatchingGraph
from portal.matching.reasons import Names, company_reasons, person_reasons
from portal.matching.recommend import NARROW, Match, score_people, subject_of


@dataclass
class Recommendation:
    person_id: int
    score: float
    reasons: list[str]


@dataclass
class CompanyRecommendation:
    company_id: int
    score: float
    reasons: list[str]


@dataclass
class SuggestedPair:
    a_id: int
    b_id: int  # a_id < b_id
    score: float
    reasons: list[str]


def _graph(session: Session, graph: MatchingGraph | None) -> MatchingGraph:
    if graph is not None:
        return graph
    from portal.matching import current_graph

    return current_graph(session)


def _introduction_exclusions(session: Session, person_id: int) -> set[int]:
    try:
        from portal.introductions.services import excluded_person_ids
    except ImportError:  # introductions not installed: nothing to exclude
        return set()
    return set(excluded_person_ids(session, person_id))


def _excluded_pairs(session: Session) -> set[tuple[int, int]]:
    try:
        from portal.introductions.services import excluded_pairs
    except ImportError:
        return set()
    return set(excluded_pairs(session))


def _suspended_people(session: Session, graph: MatchingGraph, person_ids: Collection[int]) -> set[int]:
    from portal.auth.graph_export import suspended_user_ids

    users = {pid: graph.node((PERSON, pid)).get("user") for pid in person_ids}
    suspended = suspended_user_ids(session, [uid for uid in users.values() if uid is not None])
    return {pid for pid, uid in users.items() if uid is not None and uid in suspended}


def _names(session: Session, graph: MatchingGraph, matches: list[Match]) -> Names:
    from portal.profiles.graph_export import person_names

    people = set()
    tags = set()
    companies = set()
    for match in matches:
        people.add(match.candidate_id)
        people.update(match.mutual_connections[:3], match.mutual_contacts[:3])
        tags.update(tag for _, tag, _, _ in match.complement)
        tags.update(tag for tag, _ in match.shared)
        company = graph.node((PERSON, match.candidate_id)).get("company")
        if company is not None:
            companies.add(company)
    return _names_for(session, graph, people, companies, tags, person_names)


def _names_for(session, graph, people, companies, tags, person_names) -> Names:
    named = person_names(session, people)
    return Names(people={pid: row[0] for pid, row in named.items()},
                 companies={cid: graph.node((COMPANY, cid)).get("name") or "" for cid in companies},
                 tags={tid: graph.node((TAG, tid)).get("name") or "?" for tid in tags})


def recommend_people(session: Session, person_id: int, *, limit: int = 10,
                     graph: MatchingGraph | None = None) -> list[Recommendation]:
    """People the member `person_id` should meet, best first, each with reasons they may read."""
    from portal.profiles.services import connection_ids

    graph = _graph(session, graph)
    subject = subject_of(graph, person_id, own=True)
    if subject is None:
        return []
    exclude = {person_id} | set(connection_ids(session, person_id)) | _introduction_exclusions(session, person_id)
    return _people(session, graph, subject, exclude, limit, subject_name=None)


def similar_people(session: Session, person_id: int, *, viewer_person_id: int | None, limit: int = 5,
                   graph: MatchingGraph | None = None) -> list[Recommendation]:
    """People to meet for someone else's profile page (their complementary and similar people), as a
    member sees them: the profile's connections-only fields are left out, the viewer is excluded."""
    from portal.profiles.graph_export import person_names

    graph = _graph(session, graph)
    subject = subject_of(graph, person_id, own=False)
    if subject is None:
        return []
    exclude = {person_id} | subject.connections
    if viewer_person_id is not None:
        exclude.add(viewer_person_id)
    name = person_names(session, [person_id]).get(person_id, ("They",))[0].split(" ")[0]
    return _people(session, graph, subject, exclude, limit, subject_name=name)


def _people(session: Session, graph: MatchingGraph, subject, exclude: set[int], limit: int,
            subject_name: str | None) -> list[Recommendation]:
    if limit <= 0:
        return []
    matches = score_people(graph, subject, exclude=exclude)
    suspended = _suspended_people(session, graph, [m.candidate_id for m in matches[:limit * 3 + 20]])
    chosen = [m for m in matches if m.candidate_id not in suspended][:limit]
    names = _names(session, graph, chosen)
    result = []
    for match in chosen:
        if match.candidate_id not in names.people:
            continue  # gone from the database since this process last heard of them
        company = graph.node((PERSON, match.candidate_id)).get("company")
        result.append(Recommendation(match.candidate_id, match.score,
                                     person_reasons(match, names, company_id=company, subject_name=subject_name)))
    return result


def recommend_companies(session: Session, person_id: int, *, limit: int = 10,
                        graph: MatchingGraph | None = None) -> list[CompanyRecommendation]:
    """Companies the member's work fits with, best first, with reasons."""
    from portal.matching.company_recs import score_companies
    from portal.profiles.graph_export import person_names

    graph = _graph(session, graph)
    subject = subject_of(graph, person_id, own=True)
    if subject is None or limit <= 0:
        return []
    scored = score_companies(graph, subject)[:limit]
    people = {pid for _, _, found in scored for pid in found["contacts"][:3]}
    tags = {tag for _, _, found in scored for tag in found["they_offer"] + found["they_need"]}
    names = _names_for(session, graph, people, {cid for cid, _, _ in scored}, tags, person_names)
    return [CompanyRecommendation(cid, score, company_reasons(found, names, company_id=cid))
            for cid, score, found in scored]


def match_score(session: Session, a_id: int, b_id: int, *,
                graph: MatchingGraph | None = None) -> SuggestedPair | None:
    """Score and reasons for one pair (for an introduction page), None when either is unknown.
    Reasons are written in the third person and use only what members may see of either."""
    from portal.profiles.graph_export import person_names

    if a_id == b_id:
        return None
    graph = _graph(session, graph)
    low, high = sorted((a_id, b_id))
    subject = subject_of(graph, low, own=False)
    if subject is None or not graph.has((PERSON, high)):
        return None
    matches = score_people(graph, subject, candidates={high}, walk=False)
    if not matches:
        return None
    match = matches[0]
    names = _names(session, graph, [match])
    subject_name = person_names(session, [low]).get(low, ("?",))[0].split(" ")[0]
    company = graph.node((PERSON, high)).get("company")
    return SuggestedPair(low, high, match.score,
                         person_reasons(match, names, company_id=company, subject_name=subject_name))


def suggested_pairs(session: Session, person_ids: Collection[int] | None = None, *, per_person: int = 10,
                    graph: MatchingGraph | None = None) -> list[SuggestedPair]:
    """Ecosystem-wide candidate pairs for the broker: each person's best `per_person` candidates.

    No random walks here (one per person would be too slow for 10k people): social proximity comes
    from mutual connections and forum contacts. Connected pairs, suspended people and pairs with an
    introduction are left out. Pairs are unordered (a_id < b_id) and listed once, best first.
    """
    from portal.profiles.graph_export import connection_rows, person_names

    graph = _graph(session, graph)
    ids = list(person_ids) if person_ids is not None else graph.person_ids()
    ids = [pid for pid in ids if graph.has((PERSON, pid))]
    suspended = _suspended_people(session, graph, graph.person_ids())
    connected = {(a, b) for a, b, _ in connection_rows(session, person_ids=ids if person_ids is not None else None)}
    blocked = _excluded_pairs(session) | connected
    best: dict[tuple[int, int], Match] = {}
    subjects: dict[tuple[int, int], int] = {}
    for pid in ids:
        if pid in suspended:
            continue
        subject = subject_of(graph, pid, own=False)
        matches = score_people(graph, subject, exclude=suspended | subject.connections, walk=False,
                               shortlist=max(40, per_person * 4), breadth=NARROW)
        taken = 0
        for match in matches:
            pair = (min(pid, match.candidate_id), max(pid, match.candidate_id))
            if pair in blocked:
                continue
            if pair not in best or match.score > best[pair].score:
                best[pair] = match
                subjects[pair] = pid
            taken += 1
            if taken >= per_person:
                break
    names = _names(session, graph, list(best.values()))
    first = {pid: row[0].split(" ")[0] for pid, row in person_names(session, set(subjects.values())).items()}
    pairs = []
    for pair, match in best.items():
        subject_id = subjects[pair]
        company = graph.node((PERSON, match.candidate_id)).get("company")
        pairs.append(SuggestedPair(pair[0], pair[1], match.score,
                                   person_reasons(match, names, company_id=company,
                                                  subject_name=first.get(subject_id, "?"))))
    pairs.sort(key=lambda p: (-p.score, p.a_id, p.b_id))
    return pairs


def resolve_person(session: Session, reference: str) -> int:
    """A person id from an email, an external id or a numeric id (for the CLI)."""
    from portal.profiles.services import person_by_email, person_by_external_id, persons_by_ids

    reference = (reference or "").strip()
    if not reference:
        raise DomainError("Please name a person: an email, an external id or an id.")
    person = None
    if reference.isdigit():
        person = persons_by_ids(session, [int(reference)]).get(int(reference))
    if person is None and "@" in reference:
        person = person_by_email(session, reference)
    if person is None:
        person = person_by_external_id(session, reference)
    if person is None:
        raise NotFound(f"No person {reference!r} (looked for an email, an external id and an id).")
    return person.id
