"""``ckan plusresilient harvest ...``: watch a source being harvested."""
from __future__ import annotations

import click


@click.group("harvest", short_help="Run and inspect +RESILIENT harvests")
def harvest() -> None:
    pass


@harvest.command("run")
@click.argument("source")
def run(source: str) -> None:
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
        summary = run_source(source, progress)
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
