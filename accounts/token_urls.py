"""API token pages (included under accounts/tokens/ in the accounts namespace)."""

urlpatterns: list = []
