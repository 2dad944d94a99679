from flask import render_template

from . import bp


@bp.route("/")
def inbox():
    return render_template("main/about.html")
