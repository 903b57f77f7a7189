from django.core.management.base import BaseCommand, CommandError

from ops import backups


class Command(BaseCommand):
    help = ("Restore a backup made by `backup` into an empty database (checked against its .sha256 first; "
            "decrypted with BACKUP_ENCRYPTION_KEY when it ends in .enc). A database with tables is refused unless "
            "--force, which replaces everything in it.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file (its .sha256 must be beside it).")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")
        parser.add_argument("--force", action="store_true",
                            help="Restore even into a database that has tables, replacing all of its content.")

    def handle(self, *args, path, database, force, **options):
        try:
            restored = backups.restore(path, alias=database, force=force)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        tables = len(backups.table_names(database))
        self.stdout.write(f"Restored {restored.path.name} (taken {restored.taken_at:%Y-%m-%d %H:%M} UTC): "
                          f"{tables} tables. Next: `python manage.py migrate` if the code is newer than the backup.")
