"""Account forms: sign-in, sign-up and passwords for people; user forms for the admin."""

from accounts.forms.admin import UserChangeAdminForm, UserCreationAdminForm
from accounts.forms.people import (
    LoginForm,
    PasswordChangeLimitedForm,
    PasswordResetRequestForm,
    SetPasswordLimitedForm,
    SignupForm,
)

__all__ = [
    "LoginForm",
    "PasswordChangeLimitedForm",
    "PasswordResetRequestForm",
    "SetPasswordLimitedForm",
    "SignupForm",
    "UserChangeAdminForm",
    "UserCreationAdminForm",
]
