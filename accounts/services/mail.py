"""Account mails (verification, reset, notices), rendered from templates/accounts/email/."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def account_mail_send(*, to: str, template: str, context: dict) -> bool:
    """Send the mail `templates/accounts/email/<template>_subject.txt` / `_body.txt` to `to`.

    Returns False when the mail server refused or was unreachable; the failure is logged without
    the body, because bodies carry single-use links. Callers answer the user the same either way,
    so a mail fault never tells anyone whether an address has an account.
    """
    subject = " ".join(render_to_string(f"accounts/email/{template}_subject.txt", context).split())
    body = render_to_string(f"accounts/email/{template}_body.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except OSError:
        logger.warning("account mail %s could not be sent", template)
        return False
    return True
