import click
from flask.cli import with_appcontext


@click.command("demo")
@click.option("--reports", default=300, show_default=True, help="How many synthetic reports to add.")
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed, same data).")
@with_appcontext
def demo_command(reports: int, seed: int) -> None:
    """Load the fictional demo country, demo logins and synthetic reports."""
    from tracker.demo.reference import load_reference_data
    from tracker.extensions import db

    load_reference_data()
    db.session.commit()
    click.echo("Reference data loaded.")
