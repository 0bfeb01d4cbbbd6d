"""Command-line entry points: ``flask --app tracker …``.

Each domain keeps its own commands; this module only registers them.
"""
from flask import Flask


def register_cli(app: Flask) -> None:
    from tracker.audit.cli import audit_cli
    from tracker.core.assets import assets_command
    from tracker.demo.cli import demo_command

    app.cli.add_command(demo_command)
    app.cli.add_command(assets_command)
    app.cli.add_command(audit_cli)
    from tracker.accounts.cli import users_cli

    app.cli.add_command(users_cli)
    from tracker.cases.cli import sweep_command

    app.cli.add_command(sweep_command)
    from tracker.metrics.cli import release_command, rollup_command

    app.cli.add_command(rollup_command)
    app.cli.add_command(release_command)
    from tracker.core.signals import sweep_ran
    from tracker.operations.cli import backup_command, keys_cli, restore_command
    from tracker.operations.retention import on_sweep

    for command in (backup_command, restore_command, keys_cli):
        app.cli.add_command(command)
    sweep_ran.connect(on_sweep)  # retention runs in `sweep`
