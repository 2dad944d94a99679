"""Notices (outbox, email, webhook)."""


def init_app(app):
    pass
