from django.core.management.base import BaseCommand, CommandError

from ops import backups


class Command(BaseCommand):
    help = ("Write a consistent backup of the database into BACKUP_DIR (pg_dump custom format, or SQLite's online "
            "backup), with a .sha256 checksum, encrypted when BACKUP_ENCRYPTION_KEY is set; then delete the backups "
            "that retention (BACKUP_KEEP_DAILY/WEEKLY/MONTHLY) does not keep.")

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="Database alias (default: default).")
        parser.add_argument("--dir", dest="directory", help="Where to write it (default: BACKUP_DIR).")
        parser.add_argument("--no-prune", action="store_true", help="Keep every older backup.")
        parser.add_argument("--dry-run", action="store_true", help="Write nothing; list what retention would delete.")
        parser.add_argument("--new-key", action="store_true",
                            help="Print a new key for BACKUP_ENCRYPTION_KEY and do nothing else.")

    def handle(self, *args, database, directory, no_prune, dry_run, new_key, **options):
        if new_key:
            self.stdout.write(backups.new_key())
            return
        try:
            if not dry_run:
                made = backups.backup(alias=database, directory=directory)
                self.stdout.write(f"Backup written: {made.path}")
            if not no_prune:
                for item in backups.prune(directory=directory, dry_run=dry_run):
                    self.stdout.write(f"{'Would delete' if dry_run else 'Deleted'} (retention): {item.path.name}")
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
