"""Each block breaks one rule of .semgrep.yml; test_semgrep_rules.py expects every `ruleid:` line flagged."""

import logging

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)


# ruleid: keyhold-no-csrf-exempt
@csrf_exempt
def settings_update(request):
    return request


# ruleid: keyhold-no-csrf-exempt
exempted = csrf_exempt(settings_update)


def greeting(name):
    # ruleid: keyhold-no-mark-safe-on-data
    return mark_safe(f"<b>{name}</b>")  # noqa: S308


def note_html(secret):
    # ruleid: keyhold-no-mark-safe-on-data
    return SafeString(secret.notes)


def label(name):
    # ruleid: keyhold-no-format-html-preformatted
    return format_html(f"<i>{name}</i>")


def label_percent(name):
    # ruleid: keyhold-no-format-html-preformatted
    return format_html("<i>%s</i>" % name)  # noqa: UP031


def share(task, secret, plaintext, password):
    # ruleid: keyhold-no-secret-in-task-arguments
    task.delay(secret.pk, plaintext)
    # ruleid: keyhold-no-secret-in-task-arguments
    task.delay(secret_id=secret.pk, value=secret.value)
    # ruleid: keyhold-no-secret-in-task-arguments
    task.apply_async(args=[secret.pk, password], queue="maintenance")
    # ruleid: keyhold-no-secret-in-task-arguments
    task.apply_async(kwargs={"secret_id": secret.pk, "token": secret.token})


def reveal(secret, plaintext, token):
    # ruleid: keyhold-no-secret-in-log-calls
    logger.info("revealed %s: %s", secret.path, plaintext)
    # ruleid: keyhold-no-secret-in-log-calls
    logging.warning("token %s refused", token)
    # ruleid: keyhold-no-secret-in-log-calls
    logger.debug(f"fields {secret.fields}")
