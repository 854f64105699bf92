"""What .semgrep.yml must let through: literals, escaped HTML, ids in task arguments, paths in log lines."""

import logging

from django.utils.html import format_html
from django.utils.safestring import mark_safe

logger = logging.getLogger(__name__)


def badge():
    return mark_safe("<span>new</span>")


def label(name):
    return format_html("<i>{}</i>", name)


def rotate(task, secret, target):
    task.delay(secret.pk, to_kek=target)
    task.apply_async(kwargs={"to_kek": target, "batch_size": 100}, queue="maintenance")


def reveal(secret, request):
    logger.info("revealed %s version %s for %s", secret.path, secret.version, request.user.pk)


def refuse_sign_in():
    logger.info("sign-in refused: every core is hashing a password")
