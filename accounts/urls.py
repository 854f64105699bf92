"""Account pages."""

from django.urls import include, path

from accounts.views import passwords, sessions, signin, signup

app_name = "accounts"

urlpatterns = [
    path("login/", signin.login_view, name="login"),
    path("logout/", signin.logout_view, name="logout"),
    path("signup/", signup.signup_view, name="signup"),
    path("verify/resend/", signup.verify_email_resend_view, name="verify-email-resend"),
    path("verify/<str:token>/", signup.verify_email_view, name="verify-email"),
    path("password/", passwords.password_change_view, name="password-change"),
    path("password/reset/", passwords.password_reset_view, name="password-reset"),
    path(
        "password/reset/<uidb64>/<token>/",
        passwords.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("sessions/", sessions.session_list_view, name="sessions"),
    path("sessions/<int:session_id>/revoke/", sessions.session_revoke_view, name="session-revoke"),
    path("sessions/revoke-others/", sessions.session_revoke_others_view, name="session-revoke-others"),
    path("sessions/logout-everywhere/", sessions.logout_everywhere_view, name="logout-everywhere"),
    path("activity/", sessions.activity_view, name="activity"),
    path("2fa/", include("accounts.twofactor_urls")),
    path("tokens/", include("accounts.token_urls")),
]
