"""Forum rows for benchmarks/matching_data.py: categories, private groups, threads, posts,
mentions, reactions and accepted answers over two years.

About 2.5 posts per person (a sixth of them opening a thread). Who writes is skewed: a Zipf pool
of writers (a third of the people only read), the owner's staff answering a good share of
questions (the hub the ecosystem wants to grow out of), people who carry a thread's topic
answering it, and the asker coming back. Private groups are written by their members only.
Bodies are one sentence; body_html is what the sanitizer would keep of it.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matching_plan import Plan, Zipf

SPAN_DAYS = 730
POSTS_PER_PERSON = 2.5
CATEGORIES = (  # name, visibility, weight
    ("Announcements", "public", 0), ("General", "public", 4), ("Finding partners", "public", 4),
    ("Integration & technology", "public", 4), ("Data and analytics", "public", 3),
    ("Security and compliance", "public", 2), ("Cloud and infrastructure", "public", 3),
    ("Industry solutions", "public", 2), ("Partner programme", "members", 2), ("Co-selling", "members", 2),
)
GROUPS = ("SAP alliance", "Nordics partners", "Healthcare working group")
TITLES = ("Looking for a partner with {t} experience", "Who has done {t} for mid-size customers?",
          "How do you approach {t} projects?", "{t}: fixed price or time and materials?",
          "Lessons learned from a {t} rollout", "Customer asks for {t} next quarter: where to start?")
QUESTIONS = ("We keep getting asked about {t} and do not have the skills in house.",
             "Our team is scoping a {t} project and would like to compare notes.",
             "A customer wants {t} live before the end of the year; who has done it?")
REPLIES = ("We have done {t} for several customers, happy to compare notes.",
           "Start small with {t} and agree on the data owners early.", "+1, we are looking for the same.",
           "Thanks, this is really helpful! We will reach out directly.",
           "Careful with the licensing of {t}, it differs per edition.")
REACTION_KINDS = ("like", "like", "like", "thanks", "thanks", "insightful", "celebrate")


def _html(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _reply_times(rng: random.Random, start: datetime, count: int, now: datetime) -> list[datetime]:
    """Quick answers at first, slower later, never after `now`."""
    times, when = [], start
    for n in range(count):
        when += timedelta(hours=rng.expovariate(1 / (3 + 2 * math.sqrt(n))))
        times.append(when)
    if times and times[-1] > now:
        scale = (now - start) / (times[-1] - start) * 0.999
        times = [start + (t - start) * scale for t in times]
    return times


def _categories(plan: Plan, rng: random.Random, people: list[dict]) -> list[tuple[int, int, list[int] | None]]:
    """Category, group and membership rows; returns (category id, weight, group members or None)."""
    created = plan.now - timedelta(days=SPAN_DAYS + 30)
    categories, groups, members, result = [], [], [], []
    for position, (name, visibility, weight) in enumerate(CATEGORIES, start=1):
        categories.append({"id": position, "external_id": f"bench-cat{position}", "slug": f"bench-{position}",
                           "name": name, "description": f"{name}.", "visibility": visibility, "group_id": None,
                           "position": position, "created_at": created})
        result.append((position, weight, None))
    size = max(10, len(people) // 100)
    for gid, name in enumerate(GROUPS, start=1):
        chosen = sorted(p["id"] for p in rng.sample(people, min(size, len(people))))
        groups.append({"id": gid, "slug": f"bench-group-{gid}", "name": name, "description": f"{name}.",
                       "created_by_id": chosen[0], "created_at": created})
        members += [{"group_id": gid, "person_id": pid, "role": "admin" if k == 0 else "member",
                     "joined_at": created} for k, pid in enumerate(chosen)]
        cid = len(categories) + 1
        categories.append({"id": cid, "external_id": f"bench-cat{cid}", "slug": f"bench-{cid}", "name": name,
                           "description": f"Private group: {name}.", "visibility": "group", "group_id": gid,
                           "position": cid, "created_at": created})
        result.append((cid, 1, chosen))
    plan.rows["forum_groups"], plan.rows["forum_group_members"] = groups, members
    plan.rows["forum_categories"] = categories
    return result


def plan_forum(plan: Plan, rng: random.Random, people: list[dict], vocabulary: Zipf) -> dict[int, datetime]:
    """Forum rows into plan.rows, interaction and topic pairs into the plan. Returns each writer's
    first post time."""
    from matching_plan import Zipf

    tag_name = {row["id"]: row["name"] for row in plan.rows["tags"]}
    categories = _categories(plan, rng, people)
    ids = [p["id"] for p in people]
    writers = Zipf([pid for pid in rng.sample(ids, len(ids)) if rng.random() < 0.67] or ids, 0.7)
    staff = Zipf([pid for pid, cid in plan.company_of.items() if cid == plan.owner_company_id] or ids, 0.8)
    carriers: dict[int, list[int]] = {}  # tag → people who carry it
    for pid, tags in plan.person_tags.items():
        for t in tags:
            carriers.setdefault(t, []).append(pid)
    group_pools = {cid: Zipf(m, 0.7) for cid, _, m in categories if m}
    slug = {p["id"]: p["slug"] for p in people}
    open_categories = [(cid, w) for cid, w, m in categories if w]
    weights = [w for _, w in open_categories]
    total_posts = int(POSTS_PER_PERSON * len(people))
    thread_count = max(1, total_posts // 6)
    sizes = [0] * thread_count
    for tid in rng.choices(range(thread_count), weights=[min(40.0, rng.paretovariate(1.6))
                                                        for _ in range(thread_count)],
                           k=total_posts - thread_count):
        sizes[tid] += 1
    threads, thread_tags, posts = [], [], []
    for tid in range(1, thread_count + 1):
        roll = rng.random()
        if roll < 0.06:  # a private group's thread
            cid = rng.choice(list(group_pools))
            pool = group_pools[cid]
        elif roll < 0.09:  # news from the owner's team
            cid, pool = 1, staff
        else:
            cid, pool = rng.choices(open_categories, weights=weights)[0][0], writers
        asker = pool.draw(rng)
        own = plan.person_tags.get(asker) or [vocabulary.draw(rng)]
        topic = rng.choice(own)
        related = rng.choice(own) if rng.random() < 0.5 else vocabulary.draw(rng)
        tags = [topic, related] if related != topic and rng.random() < 0.35 else [topic]
        created = plan.now - timedelta(days=SPAN_DAYS * (1 - rng.random() ** 0.6), seconds=rng.randrange(86400))
        title = rng.choice(TITLES).format(t=tag_name[topic])
        threads.append({"id": tid, "external_id": None, "category_id": cid, "author_id": asker, "title": title,
                        "slug": f"thread-{tid}", "pinned": cid == 1 and rng.random() < 0.05, "locked": False,
                        "accepted_post_id": None, "created_at": created, "deleted_at": None})
        thread_tags += [{"thread_id": tid, "tag_id": t, "position": k} for k, t in enumerate(tags)]
        question = rng.choice(QUESTIONS).format(t=tag_name[topic])
        thread_posts = [{"thread_id": tid, "author_id": asker, "body": question, "body_html": _html(question),
                         "created_at": created, "reply_to": None, "mention": None}]
        experts = carriers.get(topic, ())
        for when in _reply_times(rng, created, sizes[tid - 1], plan.now):
            roll = rng.random()
            if pool is not writers:
                author = pool.draw(rng)
            elif roll < 0.15:
                author = staff.draw(rng)
            elif roll < 0.45 and experts:
                author = experts[rng.randrange(len(experts))]
            elif roll < 0.55:
                author = rng.choice(thread_posts)["author_id"]
            else:
                author = writers.draw(rng)
            text = rng.choice(REPLIES).format(t=tag_name[topic])
            body, html = text, _html(text)
            parent = rng.choice(thread_posts) if rng.random() < 0.15 else None
            mention = None
            if rng.random() < 0.04:
                friends = plan.adjacency.get(author) or [asker]
                mention = rng.choice(friends)
                body, html = f"@{slug[mention]} {body}", (f'<p><a href="/people/{slug[mention]}" class="mention">'
                                                          f"@{slug[mention]}</a> {escape(text)}</p>")
            if parent is not None:
                quoted = escape(parent["body"][:80])
                body = f"> {parent['body'][:80]}\n\n{body}"
                html = f"<blockquote><p>{quoted}</p></blockquote>{html}"
            thread_posts.append({"thread_id": tid, "author_id": author, "body": body, "body_html": html,
                                 "created_at": when, "reply_to": parent, "mention": mention})
        posts.append(thread_posts)
    return _finish(plan, rng, threads, thread_tags, posts, categories)


def _finish(plan: Plan, rng: random.Random, threads: list[dict], thread_tags: list[dict],
            planned: list[list[dict]], categories: list) -> dict[int, datetime]:
    """Ids in time order, numbers, counters, accepted answers, reactions, deletes; interaction pairs."""
    flat = sorted((p for thread_posts in planned for p in thread_posts), key=lambda p: p["created_at"])
    for post_id, post in enumerate(flat, start=1):
        post["id"] = post_id
    group_categories = {cid for cid, _, members in categories if members}
    tags_of: dict[int, list[int]] = {}
    for row in thread_tags:
        tags_of.setdefault(row["thread_id"], []).append(row["tag_id"])
    pairs, topics = plan.interaction_pairs, plan.topic_pairs
    first_post: dict[int, datetime] = {}
    rows_posts, mentions, reactions = [], [], []
    writers_of: dict[int, list[int]] = {}

    in_group = False

    def interact(a: int, b: int) -> None:
        # The matching graph leaves private groups' activity out (a reason must not rest on it).
        if a != b and not in_group:
            pairs.add((a, b) if a < b else (b, a))

    for thread, posts in zip(threads, planned, strict=True):
        thread["post_count"] = thread["last_number"] = len(posts)
        thread["last_post_at"] = posts[-1]["created_at"]
        asker, in_group = thread["author_id"], thread["category_id"] in group_categories
        participants = writers_of.setdefault(thread["id"], [])
        for number, post in enumerate(posts, start=1):
            author, at = post["author_id"], post["created_at"]
            live = number == 1 or rng.random() >= 0.006
            post["live"] = live
            first_post[author] = min(first_post.get(author, at), at)
            rows_posts.append({"id": post["id"], "thread_id": thread["id"], "number": number, "author_id": author,
                               "body": post["body"], "body_html": post["body_html"],
                               "reply_to_id": post["reply_to"]["id"] if post["reply_to"] else None,
                               "created_at": at, "edited_at": None,
                               "deleted_at": None if live else at + timedelta(hours=2), "hidden_at": None,
                               "hidden_reason": "", "external_id": None})
            participants.append(author)
            if post["mention"] is not None:
                mentions.append({"post_id": post["id"], "person_id": post["mention"]})
            if rng.random() < 0.25:  # a few reactions on some posts, many on a handful
                fans = {rng.choice(participants) if rng.random() < 0.5 else rng.choice(plan.adjacency.get(author)
                                                                                       or participants)
                        for _ in range(min(30, int(rng.paretovariate(1.2))))} - {author}
                reactions += [{"post_id": post["id"], "person_id": fan, "kind": rng.choice(REACTION_KINDS),
                               "created_at": min(plan.now, at + timedelta(hours=rng.uniform(0.1, 48)))}
                              for fan in sorted(fans)]
                if live:
                    for fan in fans:
                        interact(fan, author)
            if not live:
                continue
            if not in_group:
                topics.update((author, t) for t in tags_of[thread["id"]])
            if number > 1:
                parent = post["reply_to"]
                interact(author, parent["author_id"] if parent is not None and parent["live"] else asker)
            if post["mention"] is not None:
                interact(author, post["mention"])
        answers = [p for p in posts[1:] if p["author_id"] != asker and p["live"]]
        if answers and rng.random() < 0.35:
            accepted = rng.choice(answers[:6])
            thread["accepted_post_id"] = accepted["id"]
            interact(asker, accepted["author_id"])
    rows_posts.sort(key=lambda row: row["id"])
    plan.rows.update({"forum_threads": threads, "forum_thread_tags": thread_tags, "forum_posts": rows_posts,
                      "forum_mentions": mentions, "forum_reactions": reactions})
    per_author: dict[int, int] = {}
    for row in rows_posts:
        per_author[row["author_id"]] = per_author.get(row["author_id"], 0) + 1
    plan.shape.update({"posts_by_top_authors": sorted(per_author.values(), reverse=True)[:5],
                       "authors": len(per_author),
                       "longest_thread": max(t["post_count"] for t in threads),
                       "accepted": sum(1 for t in threads if t["accepted_post_id"])})
    return first_post
