"""Human-readable reasons for a match, from the evidence `recommend.Match` collected.

Reasons only cite what the reader may see: the candidate's tags come from fields visible to
members (connections-only tags never reach a Match), forum topics from public and members-only
categories, and the subject's own tags are shown to the subject themselves (or, when someone else
reads them, the subject's connections-only tags were already left out by `subject_of(own=False)`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from portal.matching.recommend import Match

MAX_REASONS = 4


@dataclass(frozen=True)
class Names:
    """Labels needed to write reasons: people, companies and tags by id."""

    people: Mapping[int, str]
    companies: Mapping[int, str]
    tags: Mapping[int, str]


def _list(names: list[str], limit: int = 3) -> str:
    shown = names[:limit]
    more = len(names) - len(shown)
    text = ", ".join(shown)
    return f"{text} and {more} more" if more > 0 else text


def _tags(tag_ids: list[int], names: Names) -> str:
    labels = [names.tags.get(tag_id, "?") for tag_id in tag_ids]
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def person_reasons(match: Match, names: Names, *, company_id: int | None, subject_name: str | None = None,
                   limit: int = MAX_REASONS) -> list[str]:
    """Reasons to meet the candidate. `subject_name` None means the reader is the subject ("You…")."""
    them = names.people.get(match.candidate_id, "They").split(" ")[0] or "They"
    company = names.companies.get(company_id) if company_id else None
    their_side = {"person": them, "company": f"{them}'s company {company}" if company else f"{them}'s company"}
    if subject_name is None:
        own_side = {"you": ("You look", "you offer"), "company": ("Your company looks", "your company offers")}
    else:
        own_side = {"you": (f"{subject_name} looks", f"{subject_name} offers"),
                    "company": (f"{subject_name}'s company looks", f"{subject_name}'s company offers")}
    groups: dict[tuple[str, str, str], list[int]] = {}
    for label, tag, theirs, ours in match.complement:
        groups.setdefault((label, theirs, ours), []).append(tag)
    reasons: list[str] = []
    for (label, theirs, ours), tags in sorted(groups.items(), key=lambda item: (item[0][0] != "they_offer",
                                                                                 item[0][1], item[0][2])):
        tags = tags[:3]
        if label == "they_offer":
            reasons.append(f"{own_side[ours][0]} for {_tags(tags, names)}; {their_side[theirs]} offers {_it(tags)}")
        else:
            reasons.append(f"{their_side[theirs]} looks for {_tags(tags, names)}, which {own_side[ours][1]}")
    if match.mutual_connections:
        people = [names.people.get(pid, "?") for pid in match.mutual_connections]
        count = len(people)
        reasons.append(f"{count} mutual connection{'s' if count != 1 else ''}: {_list(people)}")
    if match.mutual_contacts:
        people = [names.people.get(pid, "?") for pid in match.mutual_contacts]
        reasons.append(f"{'You both' if subject_name is None else 'Both'} talked with {_list(people)} in the forums")
    topics = [tag for tag, kind in match.shared if kind == "topic"]
    if topics:
        reasons.append("Both active in " + ", ".join(f"#{names.tags.get(tag, '?')}" for tag in topics[:3]))
    skills = [tag for tag, kind in match.shared if kind in ("skill", "interest")]
    if skills:
        reasons.append(f"Shared skills and interests: {_tags(skills[:3], names)}")
    if match.other_company and company:
        circle = "your" if subject_name is None else f"{subject_name}'s"
        reasons.append(f"Works at {company}, outside {circle} usual circle")
    if not reasons:
        reasons.append("Close to " + ("you" if subject_name is None else subject_name) + " in the ecosystem's network")
    return reasons[:limit]


def _it(tags: list[int]) -> str:
    return "it" if len(tags) == 1 else "them"


def company_reasons(evidence: dict, names: Names, *, company_id: int, limit: int = MAX_REASONS) -> list[str]:
    """Reasons to partner with a company; `evidence` from `companies.score_companies`."""
    company = names.companies.get(company_id, "This company")
    reasons = []
    if evidence.get("they_offer"):
        tags = evidence["they_offer"]
        reasons.append(f"You look for {_tags(tags[:3], names)}; {company} offers {_it(tags)}")
    if evidence.get("they_need"):
        reasons.append(f"{company} looks for {_tags(evidence['they_need'][:3], names)}, which you offer")
    if evidence.get("contacts"):
        people = [names.people.get(pid, "?") for pid in evidence["contacts"]]
        reasons.append(f"Your contacts work there: {_list(people)}")
    if evidence.get("other_region"):
        reasons.append("Another region than yours: a new market")
    if not reasons:
        reasons.append("Close to you in the ecosystem's network")
    return reasons[:limit]
