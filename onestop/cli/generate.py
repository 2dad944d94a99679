"""`onestop generate`."""


def register(group):
    pass
