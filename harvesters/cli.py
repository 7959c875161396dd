"""``ckan plusresilient harvest ...``: watch a source being harvested, and
run the harvest queue consumers."""
from __future__ import annotations

import click


@click.group("harvest", short_help="Run and inspect +RESILIENT harvests")
def harvest() -> None:
    pass


@harvest.command("run")
@click.argument("source")
@click.option("--full", is_flag=True,
              help="Import every dataset the source lists, changed or not (e.g. after an "
                   "improved mapping); fields edited here are kept.")
def run(source: str, full: bool) -> None:
    """Harvest SOURCE (name or id) now, in this process, showing pages and
    datasets as they go, then the job's summary. Exits 1 on any error."""
    import ckan.plugins.toolkit as tk

    from ckanext.plusresilient.harvesters.runner import run_source

    state = {"bar": None}

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "gather":
            if done:
                click.echo(f"page {done}: {total} datasets listed")
            else:
                click.echo(f"gathering {source} ...")
            return
        if state["bar"] is None:
            click.echo(f"importing {total} new or changed datasets")
            state["bar"] = click.progressbar(length=total, label="datasets", file=click.get_text_stream("stdout"))
            state["bar"].__enter__()
        state["bar"].update(1)
        if done == total:
            state["bar"].__exit__(None, None, None)

    try:
        summary = run_source(source, progress, full=full)
    except (tk.ObjectNotFound, tk.ValidationError) as error:
        message = error.error_summary if isinstance(error, tk.ValidationError) else error
        raise click.ClickException(str(message))
    click.echo(summary.line())
    for message in summary.gather_errors:
        click.secho(f"gather error: {message}", fg="red", err=True)
    for message in summary.object_errors[:20]:
        click.secho(f"dataset error: {message}", fg="red", err=True)
    if summary.gather_errors or summary.errors:
        raise SystemExit(1)


_HEARTBEAT = click.option(
    "--heartbeat", type=click.IntRange(min=1), default=5, show_default=True, metavar="SECONDS",
    help="How often the consumer reports itself alive in Redis; "
         "after three missed beats doctor and `bin/stack status` call it stale.")


def _consumer_command(kind: str, what: str) -> None:
    @harvest.command(f"{kind}-consumer", help=(
        f"Consume the harvest {kind} queue until SIGTERM (then finish the {what} in hand "
        f"and exit 0). Unlike `ckan harvester {kind}-consumer`, it survives an idle queue "
        "and Redis restarts."))
    @_HEARTBEAT
    def command(heartbeat: int) -> None:
        from ckanext.plusresilient.harvesters import consumers

        consumers.run(kind, heartbeat)


_consumer_command("gather", "job")
_consumer_command("fetch", "object")


@harvest.command("scheduler")
@click.option("--every", type=click.IntRange(min=1), default=60, show_default=True,
              metavar="SECONDS", help="Seconds between two rounds.")
def scheduler(every: int) -> None:
    """Do what `ckan harvester run` from cron does, every SECONDS, until
    SIGTERM: start the jobs the sources' frequencies make due, mark finished
    jobs Finished, resubmit what a killed consumer left."""
    from ckanext.plusresilient.harvesters import scheduler as harvest_scheduler

    harvest_scheduler.run(every)
