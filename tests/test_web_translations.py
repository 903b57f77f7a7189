"""Polish comes first: every string of the project is translated, and the pages speak Polish by default."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.conftest import need_service

PO_FILE = Path(settings.BASE_DIR) / "locale" / "pl" / "LC_MESSAGES" / "django.po"
PENDING = sorted((Path(settings.BASE_DIR) / "locale" / "pl" / "pending").glob("*.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def po_entries(path):
    """The entries of a .po file as dicts: msgid, msgid_plural, msgstr (list), flags. Obsolete ones are left out."""
    entries, entry, key = [], None, None

    def finish():
        if entry and "msgid" in entry:
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#~") or not line.strip():
            continue
        if line.startswith("#,"):
            finish()
            entry, key = {"flags": {f.strip() for f in line[2:].split(",")}, "msgstr": {}}, None
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"$', line)
        if match:
            keyword, index, text = match.groups()
            if keyword in ("msgid", "msgctxt") and entry is not None and "msgid" in entry:
                finish()
                entry = None
            if entry is None:
                entry = {"flags": set(), "msgstr": {}}
            if keyword.startswith("msgstr"):
                key = ("msgstr", int(index or 0))
                entry["msgstr"][key[1]] = text
            else:
                key = (keyword, None)
                entry[keyword] = text
        elif line.startswith('"') and key is not None:
            text = line[1:-1]
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += text
            else:
                entry[key[0]] += text
    finish()
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


def test_every_polish_entry_is_translated_and_not_fuzzy():
    entries = po_entries(PO_FILE)
    assert len(entries) > 300, "locale/pl/LC_MESSAGES/django.po looks empty: run `make messages`"
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values()) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def test_makemessages_finds_nothing_left_to_translate(tmp_path):
    """The committed catalogue is complete for the code as it is: `makemessages` over a copy of the sources
    adds no entry that lacks a Polish text. A branch brings its Polish texts in `locale/pl/pending/<branch>.po`
    (merged into django.po by the lead): the copy's catalogue takes them first, as the merge will."""
    if not shutil.which("xgettext"):
        need_service("gettext is not installed (apt-get install gettext)")
    base = Path(settings.BASE_DIR)
    for name in ("config", "ngo", "booking", "web", "api", "notifications", "ops", "locale"):
        shutil.copytree(base / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(base / "manage.py", tmp_path)
    catalogue = tmp_path / "locale" / "pl" / "LC_MESSAGES" / "django.po"
    for pending in sorted((tmp_path / "locale" / "pl" / "pending").glob("*.po")):
        subprocess.run(["msgcat", "--use-first", "-o", str(catalogue), str(catalogue), str(pending)], check=True,
                       capture_output=True)
    subprocess.run([sys.executable, "manage.py", "makemessages", "--locale=pl", "--no-obsolete"],
                   cwd=tmp_path, check=True, capture_output=True, env={"PATH": "/usr/bin:/bin", "DEBUG": "false",
                                                                      "SECRET_KEY": "makemessages-only"})
    entries = po_entries(tmp_path / "locale" / "pl" / "LC_MESSAGES" / "django.po")
    # Branches put their translations in locale/pl/pending/<name>.po until they are merged into the catalogue.
    pending = {(e.get("msgctxt"), e["msgid"]) for path in PENDING for e in po_entries(path)
               if "fuzzy" not in e["flags"] and all(e["msgstr"].values())}
    missing = [e["msgid"] for e in entries if ("fuzzy" in e["flags"] or not all(e["msgstr"].values()))
               and (e.get("msgctxt"), e["msgid"]) not in pending]
    assert not missing, f"{len(missing)} strings lack a Polish text (run `make messages`), e.g. {missing[:5]}"


def test_polish_plurals_have_every_form():
    """As many forms as the header's Plural-Forms says (Django's own Polish catalogue uses four)."""
    forms = int(re.search(r"nplurals=(\d+)", PO_FILE.read_text(encoding="utf-8")).group(1))
    plurals = [e for e in po_entries(PO_FILE) if "msgid_plural" in e]
    assert plurals
    assert [e["msgid"] for e in plurals if sorted(e["msgstr"]) != list(range(forms))] == []


def test_translations_keep_their_placeholders():
    wrong = []
    for entry in [entry for path in [PO_FILE, *PENDING] for entry in po_entries(path)]:
        wanted = sorted(PLACEHOLDER.findall(entry.get("msgid_plural") or entry["msgid"]))
        for text in entry["msgstr"].values():
            if sorted(PLACEHOLDER.findall(text)) != wanted and not (
                    "msgid_plural" in entry and set(PLACEHOLDER.findall(text)) <= set(wanted)):
                wrong.append((entry["msgid"], text))
    assert not wrong, wrong[:5]


def test_compiled_catalogue_is_in_step_with_the_po_file():
    """The .mo is what Django reads: a translation only in the .po would not show."""
    with translation.override("pl"):
        for entry in po_entries(PO_FILE):
            if "msgid_plural" in entry or "msgctxt" in entry or "\\" in entry["msgid"]:
                continue
            assert translation.gettext(entry["msgid"]) == entry["msgstr"][0], (
                f"{entry['msgid']!r}: run `manage.py compilemessages`")


@pytest.mark.django_db
def test_pages_are_polish_by_default(client, room, member, organisation):
    page = client.get("/").content.decode()
    assert '<html lang="pl">' in page
    assert "Centra i sale" in page and "Godziny otwarcia" in page
    client.force_login(member)
    with translation.override("pl"):
        page = client.get(reverse("web:booking_create", args=[room.pk])).content.decode()
    assert "Wyślij prośbę" in page and "Organizacja" in page
