"""The settings' own checks that were said in English only are said in the admin's
language, each with a code of its own: a controller's worker not among pbx.workers, the
sandbox's dial string in host mode, both names of the callback patience, a dial string
or link template with a placeholder it cannot fill, a console user's name or entry, a
worker's host:port, an ACL's network, a link template or dial string Python cannot
read, a season calendar that cannot be used; calling hours written as clock times, a
caller ID without a valid number (or the sandbox's in host mode), an industry the
contact model has no shape for, a data-protection contact of several lines. A check
across sections names where each key it read came from, in the same language. (A check
the packs do not word stays English whole: tests/test_config_value_words.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from spillway.config_values import OWN_CHECKS
from tests.test_config_errors_language import _failed

WORKERS = b"pbx:\n  workers:\n    - {name: a, fastagi: 'h:1'}\n    - {name: b, fastagi: 'h:2'}\n"
SANDBOX_DIAL = "'Local/{digits}@spillway-sim-customer'"

# (file, Danish, English): {file} is the configuration file.
CASES = {
    "not_a_listed_worker": (
        WORKERS + b"controller:\n  worker: c\n",
        "fejl i konfigurationen: controller.worker = 'c': værdien skal være et af navnene i "
        "pbx.workers (a, b) (i {file} linje 6; pbx.workers i {file} linje 2)",
        "config error: controller.worker = 'c': expected one of the names in pbx.workers "
        "(a, b) (in {file} line 6; pbx.workers in {file} line 2)",
    ),
    "no_workers_listed": (
        b"controller:\n  worker: c\n",
        "fejl i konfigurationen: controller.worker = 'c': værdien skal være tom, for "
        "pbx.workers har ingen poster "
        "(i {file} linje 2; pbx.workers har den indbyggede standardværdi)",
        "config error: controller.worker = 'c': expected empty: pbx.workers lists no workers "
        "(in {file} line 2; pbx.workers at its built-in default)",
    ),
    "host_dial_string": (
        b"pbx:\n  mode: host\n",
        f"fejl i konfigurationen: callbacks.dial_string = {SANDBOX_DIAL}: med pbx.mode: host "
        "skal værdien være en opkaldsstreng til denne PBX's trunk, fx "
        "PJSIP/{e164}@my-trunk (spillway-sim-customer findes kun i sandkassen, så alle "
        "tilbagekald ville mislykkes) (den indbyggede standardværdi; pbx.mode i {file} linje 2)",
        f"config error: callbacks.dial_string = {SANDBOX_DIAL}: expected a dial string of this "
        "PBX's trunk with pbx.mode: host, e.g. PJSIP/{e164}@my-trunk (spillway-sim-customer "
        "exists only in the sandbox, so every callback would fail) (the built-in default; "
        "pbx.mode in {file} line 2)",
    ),
    "patience_twice": (
        b"callbacks:\n  patience_hours: 6\n  lead_half_life_hours: 6\n",
        "fejl i konfigurationen: callbacks.patience_hours = 6: patience_hours skal stå alene, "
        "men det ældre navn lead_half_life_hours er også sat; behold patience_hours "
        "(i {file} linje 2; callbacks.lead_half_life_hours i {file} linje 3)",
        "config error: callbacks.patience_hours = 6: expected patience_hours alone: its older "
        "name lead_half_life_hours is set too; keep patience_hours "
        "(in {file} line 2; callbacks.lead_half_life_hours in {file} line 3)",
    ),
    "dial_string_placeholder": (
        b"callbacks:\n  dial_string: 'PJSIP/{phone}@my-trunk'\n",
        "fejl i konfigurationen: callbacks.dial_string = 'PJSIP/{phone}@my-trunk': værdien "
        "skal være en opkaldsstreng med kundens nummer som {e164} eller {digits}, fx "
        "PJSIP/{e164}@my-trunk ({phone} er ingen af delene) (i {file} linje 2)",
        "config error: callbacks.dial_string = 'PJSIP/{phone}@my-trunk': expected a dial "
        "string with the customer's number as {e164} or {digits}, e.g. PJSIP/{e164}@my-trunk "
        "({phone} is neither) (in {file} line 2)",
    ),
    "dial_string_without_number": (
        b"callbacks:\n  dial_string: PJSIP/my-trunk\n",
        "fejl i konfigurationen: callbacks.dial_string = 'PJSIP/my-trunk': værdien skal være "
        "en opkaldsstreng med kundens nummer som {e164} eller {digits}, fx "
        "PJSIP/{e164}@my-trunk (den har ingen af delene) (i {file} linje 2)",
        "config error: callbacks.dial_string = 'PJSIP/my-trunk': expected a dial string with "
        "the customer's number as {e164} or {digits}, e.g. PJSIP/{e164}@my-trunk "
        "(it has neither) (in {file} line 2)",
    ),
    "url_template_placeholder": (
        b"shop:\n  return_label_url: 'https://s.dk/r/{case}'\n",
        "fejl i konfigurationen: shop.return_label_url = 'https://s.dk/r/{case}': værdien skal "
        "være en URL-skabelon med pladsholderne {order}, ikke {case} (i {file} linje 2)",
        "config error: shop.return_label_url = 'https://s.dk/r/{case}': expected a URL "
        "template whose placeholders are {order}, not {case} (in {file} line 2)",
    ),
    "host_port": (
        b"pbx:\n  workers:\n    - {name: a, fastagi: nowhere}\n",
        "fejl i konfigurationen: pbx.workers.0.fastagi = 'nowhere': værdien skal være "
        "vært:port, fx 10.0.0.11:4573 (i {file} linje 3)",
        "config error: pbx.workers.0.fastagi = 'nowhere': expected host:port, "
        "e.g. 10.0.0.11:4573 (in {file} line 3)",
    ),
    "host_port_host": (
        b"pbx:\n  workers:\n    - {name: a, fastagi: '::1:4573'}\n",
        "fejl i konfigurationen: pbx.workers.0.fastagi = '::1:4573': værdien skal være "
        "vært:port, fx 10.0.0.11:4573 ([::1]:4573 for en IPv6-adresse) (i {file} linje 3)",
        "config error: pbx.workers.0.fastagi = '::1:4573': expected host:port, "
        "e.g. 10.0.0.11:4573 ([::1]:4573 for an IPv6 address) (in {file} line 3)",
    ),
    "acl_network": (
        b"pbx:\n  ami_permit: [10.0.0.1/33]\n",
        "fejl i konfigurationen: pbx.ami_permit.0 = '10.0.0.1/33': værdien skal være et "
        "IPv4-netværk, fx 127.0.0.1/255.255.255.255, 10.0.0.0/24 eller 10.0.0.5 "
        "(i {file} linje 2)",
        "config error: pbx.ami_permit.0 = '10.0.0.1/33': expected an IPv4 network such as "
        "127.0.0.1/255.255.255.255, 10.0.0.0/24 or 10.0.0.5 (in {file} line 2)",
    ),
    "acl_host_bits": (
        b"pbx:\n  ami_permit: [10.0.0.5/24]\n",
        "fejl i konfigurationen: pbx.ami_permit.0 = '10.0.0.5/24': værdien skal være et "
        "netværk uden satte værtsbit: 10.0.0.0/24 for hele netværket eller adressen alene for "
        "netop den ene vært (i {file} linje 2)",
        "config error: pbx.ami_permit.0 = '10.0.0.5/24': expected a network without host bits "
        "set: 10.0.0.0/24 for the whole network, or the address alone for that one host "
        "(in {file} line 2)",
    ),
    "url_template": (
        b"shop:\n  return_label_url: 'https://s.dk/r/{order'\n",
        "fejl i konfigurationen: shop.return_label_url = 'https://s.dk/r/{order': værdien "
        "skal være en URL-skabelon med pladsholderne {order}, hvor hver tuborgklamme er "
        "lukket, og en tuborgklamme, der skal stå som tegn, er skrevet dobbelt "
        "({{ eller }}) (i {file} linje 2)",
        "config error: shop.return_label_url = 'https://s.dk/r/{order': expected a URL "
        "template with {order} placeholders, each brace closed, and a brace meant as a "
        "character doubled ({{ or }}) (in {file} line 2)",
    ),
    "dial_string": (
        b"callbacks:\n  dial_string: 'PJSIP/}{e164}@my-trunk'\n",
        "fejl i konfigurationen: callbacks.dial_string = 'PJSIP/}{e164}@my-trunk': værdien "
        "skal være en opkaldsstreng, fx PJSIP/{e164}@my-trunk, hvor hver tuborgklamme er "
        "lukket, og en tuborgklamme, der skal stå som tegn, er skrevet dobbelt "
        "({{ eller }}) (i {file} linje 2)",
        "config error: callbacks.dial_string = 'PJSIP/}{e164}@my-trunk': expected a dial "
        "string such as PJSIP/{e164}@my-trunk, each brace closed, and a brace meant as a "
        "character doubled ({{ or }}) (in {file} line 2)",
    ),
    "hours_as_clock": (
        b"callbacks:\n  weekdays: [8:00, 16:00]\n",
        "fejl i konfigurationen: callbacks.weekdays = [8:00, 16:00]: skriv timerne som "
        "almindelige tal, fx [8, 16]: YAML læser klokkeslættet 8:00 som tallet 480 "
        "(i {file} linje 2)",
        "config error: callbacks.weekdays = [8:00, 16:00]: write the hours as plain numbers, "
        "e.g. [8, 16]: YAML reads the clock time 8:00 as the number 480 (in {file} line 2)",
    ),
    "caller_id_number": (
        b"callbacks:\n  caller_id: 'Spillway <70 20 12 3x>'\n",
        "fejl i konfigurationen: callbacks.caller_id = 'Spillway <70 20 12 3x>': værdien skal "
        "være en nummervisning med et gyldigt telefonnummer, fx 'Jeres Butik <+4532123456>' "
        "('70 20 12 3x' er ikke et gyldigt nummer) (i {file} linje 2)",
        "config error: callbacks.caller_id = 'Spillway <70 20 12 3x>': expected a caller ID "
        "with a valid phone number, e.g. 'Your Shop <+4532123456>' ('70 20 12 3x' is not one) "
        "(in {file} line 2)",
    ),
    "host_caller_id": (
        b"pbx:\n  mode: host\ncallbacks:\n  dial_string: PJSIP/{e164}@trunk\n",
        "fejl i konfigurationen: callbacks.caller_id = 'Spillway <4500000000>': med pbx.mode: "
        "host skal værdien være butikkens eget nummer, fx 'Jeres Butik <+4532123456>' (det "
        "her er sandkassens nummervisning: et nummer, som ingen kunde kan ringe tilbage til) "
        "(den indbyggede standardværdi; pbx.mode i {file} linje 2)",
        "config error: callbacks.caller_id = 'Spillway <4500000000>': expected the shop's own "
        "number with pbx.mode: host, e.g. 'Your Shop <+4532123456>' (this is the sandbox's "
        "caller ID, a number no customer can call back) "
        "(the built-in default; pbx.mode in {file} line 2)",
    ),
    "not_an_industry": (
        b"callbacks:\n  segment_industry: {salg: kontorartikler}\n",
        "fejl i konfigurationen: callbacks.segment_industry.salg = 'kontorartikler': værdien "
        "skal være 'consumer' eller 'it': de brancher, der har deres eget udgangspunkt, før "
        "der er data (udelad segmentet, så tager det udgangspunkt i almindelig kontortid) "
        "(i {file} linje 2)",
        "config error: callbacks.segment_industry.salg = 'kontorartikler': expected 'consumer' "
        "or 'it', the industries with a cold-start shape of their own (leave a segment out "
        "and it starts from ordinary business hours) (in {file} line 2)",
    ),
    "seasons_file": (
        b"callbacks:\n  seasons_file: /nonexistent/seasons.yaml\n",
        "fejl i konfigurationen: callbacks.seasons_file = '/nonexistent/seasons.yaml': "
        "sæsonkalenderen /nonexistent/seasons.yaml: filen findes ikke (i {file} linje 2)",
        "config error: callbacks.seasons_file = '/nonexistent/seasons.yaml': season calendar "
        "/nonexistent/seasons.yaml: there is no such file (in {file} line 2)",
    ),
    "not_a_contact": (
        b"gdpr:\n  contact: |\n    privacy@shop.dk\n    70 20 30 40\n",
        "fejl i konfigurationen: gdpr.contact = 'privacy@shop.dk\\n70 20 30 40\\n': værdien "
        "skal være én linje om, hvordan man kontakter butikken om personoplysninger, fx "
        "privacy@shop.dk, 70 20 30 40 (null: brevet nævner shop.name) (i {file} linje 2)",
        "config error: gdpr.contact = 'privacy@shop.dk\\n70 20 30 40\\n': expected one line "
        "saying how to reach the shop about personal data, such as privacy@shop.dk, "
        "70 20 30 40 (null: the letter names shop.name) (in {file} line 2)",
    ),
}


# The cases with their codes: tests/test_config_value_words.py says each in en and da.
WITH_CODES = {
    name: (yaml, f"{danish} [config.{name}]", f"{english} [config.{name}]")
    for name, (yaml, danish, english) in CASES.items()
}


def test_every_case_is_an_own_check_the_packs_word() -> None:
    assert set(CASES) <= OWN_CHECKS


@pytest.mark.parametrize(
    ("users", "name", "danish", "english"),
    [
        (
            '{"Bob": "admin:$argon2id$x"}',
            "web_user_name",
            "brugernavne må kun bestå af små bogstaver, cifre, '.', '_' og '-' (ikke 'Bob')",
            "expected user names of lowercase letters, digits, '.', '_' or '-' (not 'Bob')",
        ),
        (
            '{"bob": "root:plain-password"}',
            "web_user_entry",
            "værdien for 'bob' skal være ROLLE:ARGON2-HASH med rollen viewer, supervisor eller "
            "admin; `spillway web user add` skriver den",
            "expected ROLE:ARGON2-HASH with a role of viewer, supervisor or admin for 'bob'; "
            "`spillway web user add` writes it",
        ),
    ],
)
@pytest.mark.parametrize("language", ["da", "en"])
def test_a_console_user_is_refused_in_the_admins_language_without_showing_the_entry(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    users: str,
    name: str,
    danish: str,
    english: str,
    language: str,
) -> None:
    said, _ = _failed(
        tmp_path,
        monkeypatch,
        b"queue:\n  agents: 2\n",
        SPILLWAY_WEB__USERS=users,
        SPILLWAY_SHOP__LANGUAGE=language,
    )
    if language == "da":
        expected = (
            f"fejl i konfigurationen: web.users = <secret>: {danish} (fra $SPILLWAY_WEB__USERS)"
        )
    else:
        expected = f"config error: web.users = <secret>: {english} (from $SPILLWAY_WEB__USERS)"
    assert said == f"{expected} [config.{name}]"
    assert "argon2" not in said and "plain-password" not in said
