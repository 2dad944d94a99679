"""The floor's forms: every one carries a CSRF token (the kiosk and the tablets too)."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField
from wtforms.validators import Optional

from ...status import Rating

YES_NO = [("yes", "yes"), ("no", "no"), ("", "")]


class KioskForm(FlaskForm):
    field = HiddenField()
    request_token = HiddenField()


class CounterActionForm(FlaskForm):
    to_counter = IntegerField(validators=[Optional()])


class RatingForm(FlaskForm):
    ticket_id = IntegerField(validators=[Optional()])
    rating = RadioField(choices=Rating.choices(), validate_choice=False)
    asked_money = RadioField(choices=YES_NO, validate_choice=False)
    came_again = RadioField(choices=YES_NO, validate_choice=False)

    @staticmethod
    def answer(value) -> bool | None:
        return {"yes": True, "no": False}.get(value or "")
