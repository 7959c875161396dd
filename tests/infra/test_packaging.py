"""schemas/ and harvesters/ stand at the root but install under ckanext.plusresilient."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_root_folders_import_under_the_namespace():
    import ckanext.plusresilient.harvesters as harvesters
    import ckanext.plusresilient.schemas as schemas

    assert Path(schemas.__file__).parent == ROOT / "schemas"
    assert Path(harvesters.__file__).parent == ROOT / "harvesters"


def test_a_normal_wheel_carries_every_part(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("ckanext_plusresilient-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    assert "ckanext/plusresilient/plugin.py" in names
    assert "ckanext/plusresilient/schemas/__init__.py" in names
    assert "ckanext/plusresilient/harvesters/__init__.py" in names
    assert "ckanext/plusresilient/migration/plusresilient/env.py" in names
    assert "ckanext/plusresilient/migration/plusresilient/alembic.ini" in names
    # the dashboard's charts and the demo's content and sample portals
    assert "ckanext/plusresilient/assets/webassets.yml" in names
    assert "ckanext/plusresilient/assets/vendor/chart.js/chart.umd.min.js" in names
    # the network's logo and colours
    assert "ckanext/plusresilient/public/plusresilient/logo.svg" in names
    assert "ckanext/plusresilient/assets/css/theme.css" in names
    assert "ckanext/plusresilient/demo/content/training.yaml" in names
    assert not any(name.startswith(("tests/", "schemas/", "harvesters/")) for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "plusresilient = ckanext.plusresilient.plugin:PlusresilientPlugin" in (
        zipfile.ZipFile(wheel).read(entry_points).decode()
    )
