"""Import parsers and the export envelope, without a database: happy files, malformed ones with line numbers."""

import json
from pathlib import Path

import pytest

from vault.transfer import envelope
from vault.transfer.formats import ExportedSecret, ExportFormatError, env_name, render_env, render_json
from vault.transfer.parsers import file_text, parse_bitwarden, parse_env, parse_json
from vault.transfer.rows import ImportFileError

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n"
SECRET = "s3cr3t-Value-never-echoed"


def test_env_reads_comments_export_quotes_escapes_and_multiline_values():
    parsed = parse_env((FIXTURES / "transfer.env").read_text(), path="prod/app", max_rows=10)
    assert parsed.errors == []
    [row] = parsed.rows
    assert row.path == "prod/app"
    assert dict(row.fields) == {
        "DB_USER": "app",
        "DB_PASSWORD": 'multi\nline "quoted" $HOME\n',
        "SINGLE": "literal \\n stays",
        "UNQUOTED": "plain value",
        "HASH": "a#b",
    }


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        (f"A=1\nnot a line {SECRET}\n", "line 2", "expected NAME=value"),
        (f'A=1\n\nB="{SECRET}\n', "line 3", "never closed"),
        (f"A={SECRET}\nA=2\n", "line 2", "already set on line 1"),
        (f"A='{SECRET}' trailing\n", "line 1", "text after the closing quote"),
    ],
)
def test_env_errors_name_the_line_and_never_the_value(text, where, words):
    parsed = parse_env(text, path="p", max_rows=10)
    [error] = parsed.errors
    assert error.where == where
    assert words in error.message
    assert SECRET not in error.message


def test_env_without_variables_is_refused():
    with pytest.raises(ImportFileError, match="no variables"):
        parse_env("# only a comment\n", path="p", max_rows=10)


def test_json_nested_objects_become_paths_and_scalars_fields():
    parsed = parse_json((FIXTURES / "transfer.json").read_text(), max_rows=10)
    assert parsed.errors == []
    rows = {row.path: row for row in parsed.rows}
    assert sorted(rows) == ["home/wifi", "prod/api", "prod/db"]
    assert dict(rows["prod/db"].fields) == {"user": "app", "password": "Xk9#mQ2$vL7pW4zR", "port": "5432"}
    assert rows["prod/db"].notes == "primary"


def test_json_syntax_error_gives_the_line_and_no_content():
    with pytest.raises(ImportFileError, match=r"line 3, column") as caught:
        parse_json('{\n "a": {"b": "' + SECRET + '"}\n,,}', max_rows=10)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"a": {"x": "1", "x": "2"}}', "used twice"),
        ('{"a": {"x": null}}', "null is not a field value"),
        ('{"a": {"x": ["1"]}}', "an array is not a field value"),
        ('{"x": "top"}', "need a path"),
    ],
)
def test_json_row_errors_are_located_by_path(text, words):
    parsed = parse_json(text, max_rows=10)
    assert words in parsed.errors[0].message


@pytest.mark.parametrize("text", ['["a"]', '"a"', "{" * 5000 + "}" * 5000])
def test_json_that_is_not_an_object_tree_is_refused(text):
    with pytest.raises(ImportFileError):
        parse_json(text, max_rows=10)


def test_json_with_more_secrets_than_the_limit_is_refused():
    with pytest.raises(ImportFileError, match="more than 2"):
        parse_json(json.dumps({f"s{i}": {"k": "v"} for i in range(3)}), max_rows=2)


def test_bitwarden_rows_become_folder_paths_with_login_custom_fields_and_notes():
    parsed = parse_bitwarden((FIXTURES / "bitwarden.csv").read_text(), max_rows=10)
    assert parsed.errors == []
    rows = {row.path: row for row in parsed.rows}
    assert [row.where for row in parsed.rows] == ["line 2", "line 4", "line 6"]
    assert dict(rows["Work/GitLab"].fields) == {
        "username": "alice",
        "password": "Pq7#Lm2$Zx9!Rt4w",
        "uri": "https://gitlab.example",
    }
    assert rows["Work/GitLab"].notes == "two-line\nnote"
    assert dict(rows["Mail"].fields) == {
        "username": "bob@example.test",
        "password": "password",
        "recovery": "abc def",
        "pin": "1234",
    }
    assert dict(rows["Door code"].fields) == {"note": "4711"}


def test_bitwarden_wrong_header_is_refused():
    with pytest.raises(ImportFileError, match="not a Bitwarden CSV"):
        parse_bitwarden("name,password\nx,y\n", max_rows=10)


def test_bitwarden_row_errors_carry_line_numbers():
    text = HEADER + ",,login,Ok,,,0,,u,p,\n" + ",,login,,,,0,,u,p,\n" + ",,card,Visa,,,0,,,,\n" + ",,login,Short,,\n"
    parsed = parse_bitwarden(text, max_rows=10)
    assert [(e.where, e.message) for e in parsed.errors] == [
        ("line 3", "the item has no name"),
        ("line 4", "only login and note items can be imported"),
        ("line 5", "expected 11 columns, found 6"),
    ]
    assert [row.path for row in parsed.rows] == ["Ok"]


def test_bitwarden_custom_field_without_colon_is_an_error_without_its_value():
    parsed = parse_bitwarden(HEADER + f',,login,X,,"{SECRET}",0,,,,\n', max_rows=10)
    assert parsed.errors[0].where == "line 2"
    assert "name: value" in parsed.errors[0].message
    assert SECRET not in parsed.errors[0].message


@pytest.mark.parametrize(
    ("data", "words"), [(b"\x00\x01binary", "binary"), (b"ok\n\xff\xfe bad", "not valid UTF-8 (line 2)")]
)
def test_binary_or_non_utf8_files_are_refused(data, words):
    with pytest.raises(ImportFileError, match=words.replace("(", r"\(").replace(")", r"\)")):
        file_text(data)


def test_utf8_byte_order_mark_is_dropped():
    assert file_text("\ufeffA=1".encode()) == "A=1"


def test_json_export_parses_back_to_the_same_secrets():
    secrets = [
        ExportedSecret("db", 1, {"user": "root"}),
        ExportedSecret("db/main", 3, {"password": "p\nw"}, "notes here"),
    ]
    parsed = parse_json(render_json(secrets), max_rows=10)
    assert [(r.path, dict(r.fields), r.notes) for r in parsed.rows] == [
        ("db", {"user": "root"}, ""),
        ("db/main", {"password": "p\nw"}, "notes here"),
    ]


def test_json_export_refuses_a_field_that_shadows_a_folder():
    secrets = [ExportedSecret("db", 1, {"main": "x"}), ExportedSecret("db/main", 1, {"password": "y"})]
    with pytest.raises(ExportFormatError, match="db/main"):
        render_json(secrets)


def test_env_export_names_quotes_and_parses_back():
    secrets = [ExportedSecret("prod/db/main", 2, {"pass-word": 'a"b$c\\d\ne'})]
    text = render_env(secrets, folder="prod/")
    assert "DB_MAIN_PASS_WORD=" in text
    [row] = parse_env(text, path="x", max_rows=10).rows
    assert dict(row.fields) == {"DB_MAIN_PASS_WORD": 'a"b$c\\d\ne'}


def test_env_export_refuses_colliding_names():
    secrets = [ExportedSecret("a/b", 1, {"c": "1"}), ExportedSecret("a", 1, {"b_c": "2"})]
    with pytest.raises(ExportFormatError, match="A_B_C would be written twice"):
        render_env(secrets)
    assert env_name("9lives", "x") == "_9LIVES_X"


def test_envelope_passphrase_round_trip_and_wrong_passphrase():
    sealed = envelope.encrypt_to_passphrase(b"plain", passphrase="a long passphrase", content="json")
    assert b"plain" not in sealed
    assert envelope.decrypt(sealed, passphrase="a long passphrase") == ("json", b"plain")
    with pytest.raises(envelope.EnvelopeError, match="Wrong passphrase"):
        envelope.decrypt(sealed, passphrase="another passphrase")


def test_envelope_recipient_round_trip_wrong_identity_and_tampering():
    identity, public = envelope.identity_generate()
    other_identity, _ = envelope.identity_generate()
    sealed = envelope.encrypt_to_recipient(b"plain", recipient=public, content="env")
    assert envelope.decrypt(sealed, identity=envelope.identity_parse(identity)) == ("env", b"plain")
    with pytest.raises(envelope.EnvelopeError, match="not to this identity"):
        envelope.decrypt(sealed, identity=envelope.identity_parse(other_identity))
    document = json.loads(sealed)
    document["content"] = "json"  # the header is authenticated
    with pytest.raises(envelope.EnvelopeError, match="failed authentication"):
        envelope.decrypt(json.dumps(document).encode(), identity=envelope.identity_parse(identity))


def test_envelope_refuses_unbounded_scrypt_parameters_and_bad_keys():
    document = json.loads(envelope.encrypt_to_passphrase(b"x", passphrase="a long passphrase", content="json"))
    document["n"] = 2**30
    with pytest.raises(envelope.EnvelopeError, match="scrypt parameters"):
        envelope.decrypt(json.dumps(document).encode(), passphrase="a long passphrase")
    with pytest.raises(envelope.EnvelopeError, match="not a Keyhold public key"):
        envelope.encrypt_to_recipient(b"x", recipient="age1abc", content="json")
    with pytest.raises(envelope.EnvelopeError, match="not an encrypted Keyhold export"):
        envelope.decrypt(b'{"hello": 1}', passphrase="x")
