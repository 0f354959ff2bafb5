"""The WSGI entry point for gunicorn: `gunicorn service.wsgi:app`.

A configuration error stops the process with one line naming the variable, not a traceback;
exit status 4 tells gunicorn's arbiter not to respawn workers that can never start.
"""

import sys

from service import create_app
from service.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    print(f"configuration error: {error.message}", file=sys.stderr, flush=True)
    sys.exit(4)
