"""Convert the coffee.stackexchange.com Posts dump into PartnerMesh interchange records.

Usage: python scripts/coffee_to_jsonl.py ../shared/data/coffee-stackexchange-Posts.xml tests/fixtures/coffee-forum.jsonl

One public category "Coffee"; a person per author (the dump has user ids, no names:
"Coffee user 4"); questions become threads (HTML body, tags from `<a><b>`), answers become
posts in their thread, `AcceptedAnswerId` marks the accepted one. Posts without an author
(deleted accounts) are attributed to one "Former coffee member" person, as Stack Exchange shows
them. Content: CC BY-SA 3.0 by its authors, as published by Stack Exchange, Inc.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET

FORMER = "se-user-former"


def _when(value: str) -> str:
    return value.split(".")[0] + "Z"


def convert(source: str) -> list[dict]:
    # The dump is a known file from ../shared/data, not input from users.
    rows = [row.attrib for row in ET.parse(source).getroot().iter("row")]  # noqa: S314
    questions = {r["Id"]: r for r in rows if r.get("PostTypeId") == "1"}
    answers = [r for r in rows if r.get("PostTypeId") == "2" and r.get("ParentId") in questions]
    accepted = {q.get("AcceptedAnswerId") for q in questions.values() if q.get("AcceptedAnswerId")}
    authors: dict[str, str] = {}
    for r in list(questions.values()) + answers:
        owner = r.get("OwnerUserId")
        person = f"se-user-{owner}" if owner else FORMER
        if person not in authors or r["CreationDate"] < authors[person]:
            authors[person] = r["CreationDate"]
    records: list[dict] = [{"kind": "category", "id": "coffee", "name": "Coffee",
                            "description": "Brewing, roasting and grinding — questions from coffee.stackexchange.com "
                                          "(CC BY-SA 3.0)."}]
    for person, first in sorted(authors.items(), key=lambda item: item[1]):
        name = "Former coffee member" if person == FORMER else f"Coffee user {person.rsplit('-', 1)[1]}"
        records.append({"kind": "person", "id": person, "name": name, "created_at": _when(first)})

    def author(r: dict) -> str:
        return f"se-user-{r['OwnerUserId']}" if r.get("OwnerUserId") else FORMER

    for q in sorted(questions.values(), key=lambda r: r["CreationDate"]):
        tags = re.findall(r"<([^>]+)>", q.get("Tags", ""))[:8]
        records.append({"kind": "thread", "id": f"se-q{q['Id']}", "category": "coffee", "author": author(q),
                        "title": q["Title"], "body": q["Body"], "body_format": "html", "tags": tags,
                        "created_at": _when(q["CreationDate"])})
    for a in sorted(answers, key=lambda r: (r["CreationDate"], int(r["Id"]))):
        record = {"kind": "post", "id": f"se-a{a['Id']}", "thread": f"se-q{a['ParentId']}", "author": author(a),
                  "body": a["Body"], "body_format": "html", "created_at": _when(a["CreationDate"])}
        if a["Id"] in accepted:
            record["accepted"] = True
        records.append(record)
    return records


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    records = convert(source)
    with open(target, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    kinds: dict[str, int] = {}
    for record in records:
        kinds[record["kind"]] = kinds.get(record["kind"], 0) + 1
    print(", ".join(f"{n} {k}" for k, n in kinds.items()))


if __name__ == "__main__":
    main()
