"""The development-only embedded stack behind `make run` and `make test`: real servers from pip packages."""
