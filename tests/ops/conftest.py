from tests.browser.conftest import live_server  # noqa: F401  (a real server for the ops tests)
