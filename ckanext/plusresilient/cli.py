from __future__ import annotations

import click

from . import health

__all__ = ["plusresilient"]


@click.group(short_help="+RESILIENT: SVRC catalog, harvesters and quality.")
def plusresilient():
    """Commands of ckanext-plusresilient."""


@plusresilient.command()
@click.option(
    "--skip",
    multiple=True,
    type=click.Choice(list(health.CHECKS)),
    help="Leave out a check (repeatable), e.g. job workers on a web-only node.",
)
def doctor(skip: tuple[str, ...]):
    """Check the database, migrations, Solr, Redis and job workers.

    Exits 1 when any check fails, so it can gate a deployment.
    """
    failed = False
    for check in health.run_checks(skip):
        failed = failed or not check.ok
        mark = click.style("ok  ", fg="green") if check.ok else click.style("FAIL", fg="red")
        click.echo(f"{mark} {check.name}: {check.detail}")
    if failed:
        raise click.exceptions.Exit(1)
