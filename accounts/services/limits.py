"""The throttles that guard sign-in, password reset and sign-up, in one place so staff tools find them."""

from accounts.services.throttle import Limit

# Five wrong passwords lock the account for 15 minutes, whichever addresses they came from.
LOGIN_ACCOUNT = Limit(name="login-account", attempts=5, window=15 * 60, lockout=15 * 60)
# Higher, because several people may share one address (an office, a carrier-grade NAT).
LOGIN_IP = Limit(name="login-ip", attempts=50, window=15 * 60, lockout=15 * 60)
# Every reset request counts, so the form cannot be used to flood one mailbox or probe many.
RESET_EMAIL = Limit(name="reset-email", attempts=3, window=60 * 60, lockout=60 * 60)
RESET_IP = Limit(name="reset-ip", attempts=20, window=60 * 60, lockout=60 * 60)
# Every sign-up counts: each one sends a mail, to a new address or to an existing owner.
SIGNUP_IP = Limit(name="signup-ip", attempts=10, window=60 * 60, lockout=60 * 60)
# Verification mails a signed-in user asks to be sent again.
VERIFY_RESEND = Limit(name="verify-resend", attempts=3, window=60 * 60, lockout=60 * 60)
# Wrong passwords when confirming a reveal: a borrowed or stolen session must not be a free guessing oracle.
REVEAL_CONFIRM = Limit(name="reveal-confirm", attempts=5, window=15 * 60, lockout=15 * 60)

UNKNOWN_IP = "unknown"


def ip_subject(ip: str | None) -> str:
    """The throttle subject for a client address; requests without one share a single bucket."""
    return ip or UNKNOWN_IP
