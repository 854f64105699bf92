"""Template helpers for the vault's list pages, where Django's general ones cost the most per row."""

from django import template

from vault.links import secret_detail_url

register = template.Library()


@register.filter
def secret_url(path: str) -> str:
    """The secret page of `path`, as `{% url 'vault:secret-detail' secret_path=path %}` gives it."""
    return secret_detail_url(path)
