"""``ckan plusresilient demo ...``: serve the sample portals, load the demo."""
from __future__ import annotations

import contextlib
import errno
import signal
from typing import Iterator
from urllib.parse import urlsplit

import click

from ckanext.plusresilient.demo.server import DEFAULT_PORT, HOST


@click.group("demo", short_help="The demo portal: sample portals and content")
def demo() -> None:
    """Sample content for a portal that shows every part of the suite."""


@demo.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port on 127.0.0.1 (0: any free one).")
def serve(port: int) -> None:
    """Serve the five sample portals (CKAN, DCAT-AP, udata, OpenDataSoft,
    Socrata) and their files on 127.0.0.1 until stopped."""
    from ckanext.plusresilient.demo.apis import portal_paths
    from ckanext.plusresilient.demo.server import SamplePortalServer

    try:
        server = SamplePortalServer(port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise click.ClickException(f"port {port} on {HOST} is already in use")
        raise click.ClickException(f"cannot serve on {HOST}:{port}: {error.strerror or error}")

    def stop(signum, frame):  # noqa: ANN001 - signal handler signature
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"sample portals on {server.url} (Ctrl-C to stop)")
    for kind, path in portal_paths().items():
        click.echo(f"  {kind:8} {server.url}{path or '/'}")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    click.echo("sample portals stopped")


def _reachable(portals_url: str) -> None:
    """Refuse at once, saying what to allow, a sample portal URL that this
    portal's outbound policy blocks (a loopback port not allowed)."""
    from ckanext.plusresilient import config
    from ckanext.plusresilient.safe_http import FetchError, check_url

    try:
        check_url(portals_url, config.http_policy())
    except FetchError as error:
        if error.kind in ("blocked", "scheme", "malformed"):
            raise click.ClickException(f"the sample portals cannot be harvested: {error}")


@contextlib.contextmanager
def _allowing(url: str) -> Iterator[None]:
    """While the load harvests and checks the sample portals it serves itself,
    their one host:port is allowed, in this process only."""
    import ckan.plugins.toolkit as tk

    from ckanext.plusresilient.safe_http import ALLOWED_NETWORKS_OPTION

    before = tk.config.get(ALLOWED_NETWORKS_OPTION)
    entries = before.split() if isinstance(before, str) else list(before or ())
    tk.config[ALLOWED_NETWORKS_OPTION] = [*entries, urlsplit(url).netloc]
    try:
        yield
    finally:
        tk.config[ALLOWED_NETWORKS_OPTION] = before


@demo.command("load")
@click.option("--portals-url", metavar="URL",
              help="Where `ckan plusresilient demo serve` serves the sample portals "
                   "(default: serve them on a free port for the duration of the load).")
@click.option("--rescore", is_flag=True, help="Score every dataset again, not only new and changed ones.")
def load_command(portals_url: str | None, rescore: bool) -> None:
    """Create or update the demo's clusters, training, harvest sources, use
    cases and feedback; harvest the sample portals; score the datasets.
    Running it again creates nothing. Exits 1 when something failed."""
    from ckanext.plusresilient.demo.loader import load
    from ckanext.plusresilient.demo.server import serving

    def run(url: str):
        click.echo(f"sample portals: {url}")
        try:
            return load(url, rescore=rescore, echo=click.echo)
        except ValueError as error:
            raise click.ClickException(str(error))

    if portals_url:
        _reachable(portals_url)
        summary = run(portals_url)
    else:
        with serving() as url, _allowing(url):
            summary = run(url)
        click.echo("the sample portals were served for this load only, so their links no longer "
                   "answer; to keep them alive, run `ckan plusresilient demo serve` and load with "
                   "--portals-url")
    click.echo(f"done in {summary.seconds:.0f} s: {len(summary.scored)} datasets scored; "
               f"bands of the portal's datasets: {summary.bands_line()}")
    for message in summary.errors:
        click.secho(f"error: {message}", fg="red", err=True)
    if not summary.ok:
        raise SystemExit(1)
