"""Sub-folders of a folder, found by skipping through the (owner, mount, path) index: one query, one index probe
per sub-folder, however many secrets each folder holds (10,000 secrets list as fast as 100)."""

from django.db import connection

from vault.models import DEFAULT_MOUNT, Secret

MAX_FOLDERS = 500

# Each step finds the first path after the previous sub-folder's range that has a "/" after the prefix, and
# names its sub-folder. All paths under `<prefix><name>/` sort before `<prefix><name>0` ("0" is the byte
# after "/"), which holds because paths compare bytewise (migration vault 0003).
_SUBFOLDERS = """
WITH RECURSIVE sub(name) AS (
    SELECT ({step} AND path > %(prefix)s ORDER BY path LIMIT 1)
    UNION ALL
    SELECT ({step} AND path >= %(prefix)s || sub.name || '0' ORDER BY path LIMIT 1) FROM sub WHERE sub.name IS NOT NULL
)
SELECT name FROM sub WHERE name IS NOT NULL LIMIT %(limit)s
"""
_STEP = """
    SELECT substr(path, %(start)s, {find}(substr(path, %(start)s), '/') - 1) FROM {table}
    WHERE owner_id = %(owner)s AND mount = %(mount)s{below} AND {find}(substr(path, %(start)s), '/') > 0
"""


def subfolder_names(*, owner_id: int, prefix: str, mount: str = DEFAULT_MOUNT, limit: int = MAX_FOLDERS) -> list[str]:
    """Names of the direct sub-folders of `prefix` ("" or ending in "/") holding the owner's secrets in `mount`."""
    find = "strpos" if connection.vendor == "postgresql" else "instr"
    # Every path under the prefix sorts before the prefix with its final "/" replaced by "0": an index bound,
    # so the last step stops at the end of the folder instead of scanning the owner's remaining paths.
    below = " AND path < %(upper)s" if prefix else ""
    table = connection.ops.quote_name(Secret._meta.db_table)
    step = _STEP.format(find=find, table=table, below=below).strip()
    upper = prefix[:-1] + "0" if prefix else ""
    params = {
        "owner": owner_id,
        "mount": mount,
        "prefix": prefix,
        "upper": upper,
        "start": len(prefix) + 1,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SUBFOLDERS.format(step=step), params)
        # Found in path order ("b-c/" before "b/"); people read folder names in name order.
        return sorted(name for (name,) in cursor.fetchall())
