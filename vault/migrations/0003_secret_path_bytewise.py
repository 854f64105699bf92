"""Secret paths compare bytewise on PostgreSQL (the "C" collation), as they already do on SQLite.

Folder browsing skips from one folder to the next through the (owner, path) index (vault.folders), which
needs every path under `a/b/` to sort between `a/b/` and `a/b0` (the byte after "/"). Linguistic
collations such as en_US.UTF-8 ignore punctuation and break that; "C" also lets `LIKE 'prefix%'` use the
index. The field itself is unchanged (Django cannot name a collation both databases accept).
"""

from django.db import migrations

TO_C = 'ALTER TABLE vault_secret ALTER COLUMN path TYPE varchar(255) COLLATE "C"'
TO_DEFAULT = 'ALTER TABLE vault_secret ALTER COLUMN path TYPE varchar(255) COLLATE "default"'


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("vault", "0002_sharelink")]

    operations = [migrations.RunPython(_on_postgresql(TO_C), _on_postgresql(TO_DEFAULT))]
