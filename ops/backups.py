"""Backups that restore: a consistent dump, its checksum, optional encryption, retention, and the way back.

- PostgreSQL: `pg_dump --format=custom` (one consistent snapshot, taken while the service runs), restored with
  `pg_restore --single-transaction --exit-on-error`, so a restore that fails leaves the target as it was.
- SQLite: sqlite3's online backup API copies the live database page by page under its own locks (WAL included);
  a file copy of a database being written can be torn, so none is ever made.

A backup is `booking-<vendor>-<UTC time>.<dump|sqlite3>[.enc]` plus `<that name>.sha256` in `sha256sum` format
(`sha256sum -c` checks it by hand). The checksum is of the file as stored (encrypted, when it is), so a damaged
or truncated file is refused before anything is decrypted or restored. Encryption (BACKUP_ENCRYPTION_KEY, a
Fernet key: AES-128-CBC with HMAC-SHA256) is done in memory, fine for the few hundred megabytes a centre's
database may reach. Retention keeps the newest backup of each of the last BACKUP_KEEP_DAILY days,
BACKUP_KEEP_WEEKLY ISO weeks and BACKUP_KEEP_MONTHLY months that have one, and deletes the rest.
"""
import hashlib
import os
import re
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

NAME = re.compile(r"^booking-(?P<vendor>postgresql|sqlite)-(?P<stamp>\d{8}T\d{6}Z)\.(?:dump|sqlite3)(?:\.enc)?$")
STAMP = "%Y%m%dT%H%M%SZ"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the operator."""


# --- checksums and encryption -----------------------------------------------------------------

def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def checksum_path(path):
    return Path(f"{path}.sha256")


def write_checksum(path):
    checksum_path(path).write_text(f"{sha256_of(path)}  {Path(path).name}\n", encoding="ascii")


def verify_checksum(path):
    """Raise BackupError unless `path` has a checksum file that matches it."""
    path = Path(path)
    try:
        recorded = checksum_path(path).read_text(encoding="ascii").split()[0]
    except (FileNotFoundError, IndexError) as error:
        raise BackupError(f"No checksum file {checksum_path(path).name} beside the backup: not restoring.") from error
    if recorded != sha256_of(path):
        raise BackupError(f"{path.name} does not match its checksum: the file is damaged or incomplete.")


def fernet(key=None):
    from cryptography.fernet import Fernet

    key = key or settings.BACKUP_ENCRYPTION_KEY
    if not key:
        raise BackupError("The backup is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with.")
    try:
        return Fernet(key)
    except ValueError as error:
        raise BackupError("BACKUP_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes; "
                          "make one with `python manage.py backup --new-key`).") from error


def new_key():
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


# --- the database --------------------------------------------------------------------------------

def vendor_of(alias):
    return connections[alias].vendor


def _pg_arguments_and_env(settings_dict):
    """Connection arguments for pg_dump/pg_restore from Django's settings (the password by environment)."""
    arguments = ["--dbname", settings_dict["NAME"], "--no-password"]
    if settings_dict.get("HOST"):
        arguments += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        arguments += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        arguments += ["--username", settings_dict["USER"]]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return arguments, env


def _run(command, env):
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools; see README).") from error
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def dump_database(alias, target):
    """Write a consistent copy of database `alias` to the file `target`."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        arguments, env = _pg_arguments_and_env(connection.settings_dict)
        _run([settings.BACKUP_PG_DUMP, "--format=custom", "--file", str(target), *arguments], env)
    elif connection.vendor == "sqlite":
        source = sqlite3.connect(connection.settings_dict["NAME"])
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
    else:
        raise BackupError(f"No backup for {connection.vendor} databases.")


def table_names(alias):
    connection = connections[alias]
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def is_empty(alias):
    """Empty: no tables at all (a database just created, before `migrate`)."""
    connection = connections[alias]
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        if not Path(name).exists() or Path(name).stat().st_size == 0:
            return True
    return not table_names(alias)


def load_database(alias, source, *, force):
    """Replace the content of database `alias` with the dump in file `source` (vendor of the backup = alias's)."""
    connection = connections[alias]
    connection.close()
    if connection.vendor == "postgresql":
        arguments, env = _pg_arguments_and_env(connection.settings_dict)
        if force:
            # What pg_restore --clean leaves behind (tables the dump lacks) would survive; start from nothing.
            with connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
            connection.close()
        _run([settings.BACKUP_PG_RESTORE, "--single-transaction", "--exit-on-error", "--no-owner",
              "--no-privileges", *arguments, str(source)], env)
    elif connection.vendor == "sqlite":
        source_db = sqlite3.connect(source)
        target_db = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            with target_db:
                source_db.backup(target_db)
        finally:
            target_db.close()
            source_db.close()
    else:
        raise BackupError(f"No restore for {connection.vendor} databases.")


# --- backup, retention, restore ----------------------------------------------------------------

@dataclass(frozen=True)
class Backup:
    path: Path
    vendor: str
    taken_at: datetime

    @classmethod
    def parse(cls, path):
        match = NAME.match(Path(path).name)
        if not match:
            return None
        taken_at = datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)
        return cls(Path(path), match["vendor"], taken_at)


def backups_in(directory):
    """The backups in `directory`, newest first."""
    found = (Backup.parse(path) for path in Path(directory).iterdir() if path.is_file())
    return sorted((backup for backup in found if backup), key=lambda backup: backup.taken_at, reverse=True)


def backup(*, alias="default", directory=None, encrypt=None, now=None):
    """Dump database `alias` into `directory` (BACKUP_DIR); returns the Backup. `encrypt` defaults to whether
    BACKUP_ENCRYPTION_KEY is set. The file appears under its final name only once complete, with its checksum."""
    directory = Path(directory or settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    encrypt = bool(settings.BACKUP_ENCRYPTION_KEY) if encrypt is None else encrypt
    taken_at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    vendor = vendor_of(alias)
    name = f"booking-{vendor}-{taken_at.strftime(STAMP)}.{'dump' if vendor == 'postgresql' else 'sqlite3'}"
    name += ".enc" if encrypt else ""
    final = directory / name
    if final.exists():
        raise BackupError(f"{final} exists already.")
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as scratch:
        plain = Path(scratch) / "dump"
        dump_database(alias, plain)
        partial = Path(scratch) / name
        if encrypt:
            partial.write_bytes(fernet().encrypt(plain.read_bytes()))
        else:
            plain.rename(partial)
        os.chmod(partial, 0o600)
        write_checksum(partial)
        checksum_path(partial).rename(checksum_path(final))
        partial.rename(final)
    return Backup(final, vendor, taken_at)


def to_keep(backups, *, daily, weekly, monthly):
    """The backups retention keeps: the newest of each of the `daily` latest days, `weekly` latest ISO weeks and
    `monthly` latest months that have a backup (`backups` newest first)."""
    keep = set()
    for count, period in ((daily, lambda t: t.date()), (weekly, lambda t: t.isocalendar()[:2]),
                          (monthly, lambda t: (t.year, t.month))):
        seen = []
        for item in backups:
            key = period(item.taken_at)
            if key not in seen:
                if len(seen) == count:
                    break
                seen.append(key)
                keep.add(item.path)
    return keep


def prune(*, directory=None, dry_run=False):
    """Delete the backups (and their checksums) that retention does not keep; returns the deleted Backups."""
    backups = backups_in(directory or settings.BACKUP_DIR)
    keep = to_keep(backups, daily=settings.BACKUP_KEEP_DAILY, weekly=settings.BACKUP_KEEP_WEEKLY,
                   monthly=settings.BACKUP_KEEP_MONTHLY)
    deleted = [item for item in backups if item.path not in keep]
    if not dry_run:
        for item in deleted:
            item.path.unlink(missing_ok=True)
            checksum_path(item.path).unlink(missing_ok=True)
    return deleted


def restore(path, *, alias="default", force=False):
    """Load the backup at `path` into database `alias`, which must be empty unless `force`.

    The checksum is checked first; the backup must come from the same kind of database."""
    path = Path(path)
    found = Backup.parse(path)
    if found is None:
        raise BackupError(f"{path.name} is not a backup's name (booking-<vendor>-<time>.<dump|sqlite3>[.enc]).")
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    vendor = vendor_of(alias)
    if found.vendor != vendor:
        raise BackupError(f"{path.name} is a {found.vendor} backup; the database is {vendor}.")
    verify_checksum(path)
    if not force and not is_empty(alias):
        raise BackupError("The database is not empty: restore into a new, empty database, or pass --force to "
                          "replace everything in it.")
    with tempfile.TemporaryDirectory(prefix="restore-") as scratch:
        source = path
        if path.name.endswith(".enc"):
            source = Path(scratch) / "dump"
            from cryptography.fernet import InvalidToken

            cipher = fernet()
            try:
                source.write_bytes(cipher.decrypt(path.read_bytes()))
            except InvalidToken as error:
                raise BackupError("The backup cannot be decrypted with BACKUP_ENCRYPTION_KEY.") from error
        load_database(alias, source, force=force)
    return found
