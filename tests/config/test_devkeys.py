"""Development keys are created once, whole, private, and every process that races to create them agrees."""

import stat
from concurrent.futures import ProcessPoolExecutor

from config.devkeys import dev_secret_key, dev_vault_keys


def test_created_once_private_and_then_reused(tmp_path):
    first = dev_vault_keys(tmp_path)
    assert first.startswith("dev1:")
    assert len(first) > 40
    assert dev_vault_keys(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "vault_keys").stat().st_mode) == 0o600
    assert dev_secret_key(tmp_path) != first
    assert sorted(path.name for path in tmp_path.iterdir()) == ["secret_key", "vault_keys"]


def test_processes_racing_on_first_start_all_read_the_same_complete_key(tmp_path):
    for attempt in range(5):
        var_dir = tmp_path / str(attempt)
        with ProcessPoolExecutor(max_workers=6) as pool:
            keys = list(pool.map(dev_vault_keys, [var_dir] * 24))
        assert len(set(keys)) == 1, set(keys)
        assert keys[0].startswith("dev1:")
        assert [path.name for path in var_dir.iterdir()] == ["vault_keys"]
