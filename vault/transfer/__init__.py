"""Import and export of vault secrets: file parsers, preview and commit, export rendering and encryption.

`envelope` (the encrypted export format) imports nothing from Django so the decrypt command also works
offline; `parsers` and `formats` are plain Python too. `importing` and `exporting` are the services.
"""
