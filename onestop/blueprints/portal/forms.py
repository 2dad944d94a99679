"""The online submission's forms: each carries the CSRF token; the domain checks the values (validation.py)."""
from flask_wtf import FlaskForm


class PostForm(FlaskForm):
    """A form whose fields the view reads itself; Flask-WTF checks its CSRF token."""
