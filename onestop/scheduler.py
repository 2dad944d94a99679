"""In-app deadline scheduler."""


def init_app(app):
    pass
