"""The WSGI entry point for gunicorn: `gunicorn service.wsgi:app`.

A configuration error stops the process with one line naming the variable, not a traceback;
exit status 4 tells gunicorn's arbiter not to respawn workers that can never start.

What start-up made (modules, the app, its mappers and schemas: most of a worker's objects,
which live as long as it does) is moved out of the cyclic garbage collector's reach
(`gc.freeze`): a full collection then walks only what requests made. Without it, every full
collection walked them all and stopped the worker for 115-130 ms, about once a second under load
(measured in `make bench-http`'s workers); with `--preload` it also keeps them shared with the
arbiter after the fork instead of copied.
"""

import gc
import sys

from service import create_app
from service.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    print(f"configuration error: {error.message}", file=sys.stderr, flush=True)
    sys.exit(4)
gc.freeze()
