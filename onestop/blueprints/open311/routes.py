from flask import render_template

from . import bp


@bp.route("/services.json")
def services():
    return render_template("main/about.html")
