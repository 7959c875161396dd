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


@plusresilient.group(short_help="The directory of the MED open-data portals.")
def portals():
    """The national and regional portals and their harvest sources."""


def _countries(country: tuple[str, ...]) -> list[str]:
    return [code for value in country for code in value.split(",") if code.strip()]


@portals.command("list")
@click.option("--country", multiple=True, metavar="CODE",
              help="Only this country's portals (repeatable, or comma-separated).")
def list_portals(country: tuple[str, ...]):
    """List the portals: id, country, region, level, software, harvester,
    and the datasets harvested so far."""
    import ckan.plugins.toolkit as tk

    try:
        rows = tk.get_action("plusresilient_portal_list")(
            {"ignore_auth": True}, {"country": _countries(country)})
    except tk.ValidationError as error:
        raise click.BadParameter("; ".join(error.error_dict.get("country", [])),
                                 param_hint="--country")
    table = [("id", "country", "region", "level", "software", "harvester", "datasets", "url")]
    for row in rows:
        source = row["harvest_source"]
        table.append((
            row["id"], row["country"], row["region"] or "-", row["level"],
            row["software"], row["harvester"] or "-",
            str(source["datasets"]) if source else "-", row["url"],
        ))
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]) - 1)]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths)] + [line[-1]]
        click.echo("  ".join(cells).rstrip())
    click.echo(f"{len(rows)} portals")


@portals.command("sync")
@click.option("--country", multiple=True, metavar="CODE",
              help="Only this country's portals (repeatable, or comma-separated).")
@click.option("--dry-run", is_flag=True, help="Report what would change, change nothing.")
def sync_portals(country: tuple[str, ...], dry_run: bool):
    """Create or update the harvest source of every portal that has a
    harvester (as the site user)."""
    import ckan.plugins.toolkit as tk

    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    try:
        report = tk.get_action("plusresilient_portals_sync")(
            {"user": site_user["name"]},
            {"country": _countries(country), "dry_run": dry_run})
    except tk.ValidationError as error:
        raise click.BadParameter("; ".join(error.error_dict.get("country", [])),
                                 param_hint="--country")
    prefix = "would be " if dry_run else ""
    for key in ("created", "updated", "unchanged"):
        ids = report[key]
        click.echo(f"{prefix if key != 'unchanged' else ''}{key} ({len(ids)}): {', '.join(ids) or '-'}")
    click.echo(f"skipped ({len(report['skipped'])}):")
    for item in report["skipped"]:
        click.echo(f"  {item['id']}: {item['reason']}")


def _add_harvest_commands() -> None:
    """The harvest commands live with the harvesters (their own package)."""
    from ckanext.plusresilient.harvesters.cli import harvest

    plusresilient.add_command(harvest)


_add_harvest_commands()
