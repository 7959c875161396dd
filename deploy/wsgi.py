"""CKAN as a WSGI application, for gunicorn or uWSGI (deploy/supervisord.conf).

CKAN's source tree has the same file at its root, reading a ``ckan.ini``
beside it; this one reads the file named by ``CKAN_INI``, as the ``ckan``
command does, so the same file serves any checkout or virtualenv.
"""
import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

config_path = os.environ["CKAN_INI"]
fileConfig(config_path, disable_existing_loggers=False)
application = make_app(CKANConfigLoader(config_path).get_config())
