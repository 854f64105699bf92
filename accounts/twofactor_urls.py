"""Two-factor pages (included under accounts/2fa/ in the accounts namespace)."""

urlpatterns: list = []
