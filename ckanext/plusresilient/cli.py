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
    help="Leave out a check (repeatable), e.g. the job workers and harvest "
         "consumers on a web-only node.",
)
def doctor(skip: tuple[str, ...]):
    """Check the database, migrations, Solr, Redis, the job workers and the
    harvest consumers, listing each worker found.

    Exits 1 when any check fails, so it can gate a deployment.
    """
    failed = False
    for check in health.run_checks(skip):
        failed = failed or not check.ok
        mark = click.style("ok  ", fg="green") if check.ok else click.style("FAIL", fg="red")
        click.echo(f"{mark} {check.name}: {check.detail}")
        for line in check.lines:
            click.echo(f"       {line}")
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


@plusresilient.group(short_help="Dataset quality: scores and link checks.")
def quality():
    """Score datasets now, and re-check their links on a schedule."""


@quality.command("score", short_help="Score datasets now and count them by band.")
@click.argument("datasets", nargs=-1, metavar="[DATASET]...")
@click.option("--all", "every", is_flag=True,
              help="Every active dataset of the scored types (not harvest sources).")
@click.option("--no-links", is_flag=True,
              help="Check no link: use the stored results, whatever their age.")
@click.option("--no-data", is_flag=True,
              help="Download nothing: keep the last data reports of unchanged resources.")
@click.option("--queue", "queued", is_flag=True,
              help="Queue the scoring for the RQ workers, in chunks, instead of scoring here.")
def score(datasets: tuple[str, ...], every: bool, no_links: bool, no_data: bool, queued: bool):
    """Score DATASET... (ids or names), or --all, now, in this process; then
    count them by band. Exits 1 when a dataset was not found or not scored.
    With --queue, the workers score them (a catalogue of 100,000 in chunks
    of 500 without checks, of 10 with them)."""
    from collections import Counter

    from ckan.lib import search

    from ckanext.plusresilient.scoring import dataset as scoring

    if every == bool(datasets):
        raise click.UsageError("Name the datasets to score, or give --all (not both).")
    names = scoring.scored_dataset_ids() if every else list(datasets)
    if queued:
        from ckanext.plusresilient import config, jobs

        chunks = jobs.enqueue_rescoring(names, with_links=not no_links, with_data=not no_data)
        click.echo(f"queued {len(names)} datasets in {len(chunks)} jobs on "
                   f"{config.quality_queue()!r}")
        return
    counts: Counter = Counter()
    problems = []
    with click.progressbar(names, label=f"scoring {len(names)} datasets",
                           file=click.get_text_stream("stdout")) as bar:
        for name in bar:
            result = scoring.score_dataset(name, with_links=not no_links, with_data=not no_data,
                                           defer_index_commit=True)
            if result is None:
                counts["not found"] += 1
                problems.append(f"{name}: not found")
            elif result["status"] == "error":
                counts["errors"] += 1
                problems.append(f"{name}: {result['error']}")
            else:
                counts[result["overall"]["band"]] += 1
    search.commit()
    bands = ", ".join(f"{band} {counts[band]}" for band in scoring.BANDS)
    click.echo(f"scored {sum(counts[band] for band in scoring.BANDS)} of {len(names)} datasets: "
               f"{bands}; errors {counts['errors']}, not found {counts['not found']}")
    for problem in problems:
        click.secho(problem, fg="red", err=True)
    if problems:
        raise click.exceptions.Exit(1)


@quality.command("links", short_help="Re-check old links, queue rescoring (for cron).")
@click.option("--older-than", type=click.FloatRange(min=0), metavar="HOURS", default=None,
              help="Re-check the links checked more than HOURS ago "
                   "(default: ckanext.plusresilient.quality.link_max_age_hours).")
def links(older_than: float | None):
    """Re-check the stored links older than HOURS, then queue the rescoring of
    the datasets whose links changed. Meant for cron, e.g. hourly (or let
    `ckan plusresilient scheduler` run it)."""
    from ckanext.plusresilient import scheduler

    try:
        click.echo(scheduler.recheck_links(older_than))
    except RuntimeError as error:  # e.g. Redis unreachable: say it, exit 1
        raise click.ClickException(str(error))


@plusresilient.command("scheduler")
@click.option("--harvest-every", type=click.IntRange(min=1), default=60, show_default=True,
              metavar="SECONDS", help="Seconds between two harvest rounds (`ckan harvester run`).")
@click.option("--links-every", type=click.IntRange(min=0), default=3600, show_default=True,
              metavar="SECONDS", help="Seconds between two link re-checks (0: never).")
def scheduler_command(harvest_every: int, links_every: int):
    """Run the portal's periodic chores until SIGTERM, as cron would: a
    harvest round (due sources started, finished jobs marked, timed-out ones
    retried, lost queue items resubmitted) every SECONDS, and the re-check of
    old links with the rescoring of the datasets whose links changed."""
    from ckanext.plusresilient import scheduler

    scheduler.run(harvest_every, links_every)


def _add_harvest_commands() -> None:
    """The harvest commands live with the harvesters (their own package)."""
    from ckanext.plusresilient.harvesters.cli import harvest

    plusresilient.add_command(harvest)


_add_harvest_commands()


def _add_demo_commands() -> None:
    """The demo commands live with the demo content (its own package)."""
    from ckanext.plusresilient.demo.cli import demo

    plusresilient.add_command(demo)


_add_demo_commands()
