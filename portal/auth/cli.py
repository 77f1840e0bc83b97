def register(app):
    """Attach this feature's commands."""
