"""`manage.py audit_verify`: walk the audit hash chain and report the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from accounts.services.auditchain import chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero at the first broken link."

    def handle(self, *args, **options) -> None:
        report = chain_verify()
        if not report.intact:
            where = f"record id {report.event_id}" if report.event_id is not None else "chain head"
            raise CommandError(
                f"Audit chain broken at {where}: {report.problem} ({report.records} records verified before it)."
            )
        self.stdout.write(f"{report.records} records, chain intact")
