"""The project's settings, with the framework floor's view routed (`bench.framework_urls`): bench processes only."""
from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.framework_urls"
