"""`onestop sweep`."""


def register(group):
    pass
