"""What a process started by a test (worker, listener, web) needs to see this test session's databases."""

from django.db import connection


def database_url() -> str:
    """DATABASE_URL of the database this test session uses (PostgreSQL or SQLite), for a child process."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
