from flask import Blueprint

bp = Blueprint("trends", __name__, template_folder="templates")
