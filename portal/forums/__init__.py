"""Forums: categories, private groups, threads, posts, reactions, moderation."""
