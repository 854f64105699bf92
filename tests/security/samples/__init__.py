"""Code samples the static checks must flag (read as text by the tests, never imported)."""
