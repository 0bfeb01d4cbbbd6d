from flask import Blueprint

bp = Blueprint("cases", __name__, template_folder="templates")
