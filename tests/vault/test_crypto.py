"""Envelope encryption: round trips, and every kind of tampering or misplacement fails closed."""

import uuid

import pytest
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.vault import keys
from vault.crypto import (
    DecryptError,
    Sealed,
    UnknownKeyError,
    open_sealed,
    rewrap,
    rewrap_many,
    row_aad,
    seal,
    wrapped_kek_id,
)

RING = keys.ring(*keys.entries("k1", "k0").values())
ROW = row_aad(7, 42, 3)
SMALL = {"password": "hunter2"}


def sealed_small() -> Sealed:
    return seal(SMALL, aad=ROW, ring=RING)


fields_strategy = st.dictionaries(st.text(max_size=40), st.text(max_size=200), max_size=8)
ids = st.integers(min_value=0, max_value=2**64 - 1)


@settings(max_examples=200)
@given(fields=fields_strategy, owner=ids, secret=ids | st.uuids(), version=ids)
def test_round_trip_of_any_unicode_fields(fields, owner, secret, version):
    aad = row_aad(owner, secret, version)
    assert open_sealed(seal(fields, aad=aad, ring=RING), aad=aad, ring=RING) == fields


def test_each_seal_uses_a_fresh_data_key_and_nonces():
    first, second = sealed_small(), sealed_small()
    assert first.wrapped_key != second.wrapped_key
    assert first.ciphertext != second.ciphertext
    assert b"hunter2" not in first.ciphertext + first.wrapped_key


def test_blobs_carry_a_version_byte_and_the_active_kek_id():
    sealed = sealed_small()
    assert sealed.ciphertext[0] == 1
    assert sealed.wrapped_key[:4] == b"\x01\x02k1"
    assert sealed.kek_id == "k1"
    assert wrapped_kek_id(sealed.wrapped_key) == "k1"


def flips(blob: bytes):
    for position in range(len(blob) * 8):
        flipped = bytearray(blob)
        flipped[position // 8] ^= 1 << (position % 8)
        yield bytes(flipped)


def test_flipping_any_single_bit_of_either_blob_fails():
    sealed = sealed_small()
    attempts = 0
    for wrapped in flips(sealed.wrapped_key):
        with pytest.raises(DecryptError):
            open_sealed(Sealed(wrapped, sealed.ciphertext), aad=ROW, ring=RING)
        attempts += 1
    for ciphertext in flips(sealed.ciphertext):
        with pytest.raises(DecryptError):
            open_sealed(Sealed(sealed.wrapped_key, ciphertext), aad=ROW, ring=RING)
        attempts += 1
    assert attempts == 8 * (len(sealed.wrapped_key) + len(sealed.ciphertext))


def test_truncating_or_extending_either_blob_fails():
    sealed = sealed_small()
    for length in range(len(sealed.wrapped_key)):
        with pytest.raises(DecryptError):
            open_sealed(Sealed(sealed.wrapped_key[:length], sealed.ciphertext), aad=ROW, ring=RING)
    for length in range(len(sealed.ciphertext)):
        with pytest.raises(DecryptError):
            open_sealed(Sealed(sealed.wrapped_key, sealed.ciphertext[:length]), aad=ROW, ring=RING)
    for extended in (
        Sealed(sealed.wrapped_key + b"\0", sealed.ciphertext),
        Sealed(sealed.wrapped_key, sealed.ciphertext + b"\0"),
    ):
        with pytest.raises(DecryptError):
            open_sealed(extended, aad=ROW, ring=RING)


OTHER_ROWS = {
    "other owner": row_aad(8, 42, 3),
    "other secret": row_aad(7, 43, 3),
    "other version": row_aad(7, 42, 4),
    "uuid secret": row_aad(7, uuid.UUID(int=42), 3),
    "empty": b"",
}


@pytest.mark.parametrize("other", OTHER_ROWS.values(), ids=OTHER_ROWS.keys())
def test_blobs_moved_to_another_row_or_version_fail(other):
    here, there = sealed_small(), seal(SMALL, aad=other, ring=RING)
    for moved in (
        Sealed(here.wrapped_key, there.ciphertext),  # ciphertext copied in from the other row
        Sealed(there.wrapped_key, here.ciphertext),  # wrapped key copied in from the other row
    ):
        with pytest.raises(DecryptError):
            open_sealed(moved, aad=ROW, ring=RING)
    with pytest.raises(DecryptError):  # both blobs copied to this row
        open_sealed(there, aad=ROW, ring=RING)
    with pytest.raises(DecryptError):  # this row's blobs opened as the other row
        open_sealed(here, aad=other, ring=RING)


def test_swapping_the_two_columns_fails():
    sealed = sealed_small()
    with pytest.raises(DecryptError):
        open_sealed(Sealed(sealed.ciphertext, sealed.wrapped_key), aad=ROW, ring=RING)


def test_unknown_kek_fails():
    sealed = sealed_small()
    with pytest.raises(DecryptError, match="not in the keyring"):
        open_sealed(sealed, aad=ROW, ring=keys.ring(*keys.entries("k9").values()))
    # Same id, different key material: authentication fails rather than returning garbage.
    with pytest.raises(DecryptError):
        open_sealed(sealed, aad=ROW, ring=keys.ring(*keys.entries("k1").values()))


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_format_version_fails(version):
    sealed = sealed_small()
    for bad in (
        Sealed(bytes([version]) + sealed.wrapped_key[1:], sealed.ciphertext),
        Sealed(sealed.wrapped_key, bytes([version]) + sealed.ciphertext[1:]),
    ):
        with pytest.raises(DecryptError, match="format"):
            open_sealed(bad, aad=ROW, ring=RING)


def test_decrypt_errors_never_show_keys_or_plaintext():
    entry = keys.entries("k1")["k1"]
    sealed = seal(SMALL, aad=ROW, ring=keys.ring(entry))
    with pytest.raises(DecryptError) as caught:
        open_sealed(sealed, aad=row_aad(1, 1, 1), ring=keys.ring(entry))
    text = str(caught.value) + repr(caught.value)
    assert "hunter2" not in text
    assert keys.material(entry) not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_rewrap_moves_a_data_key_to_a_new_kek_without_touching_the_ciphertext():
    found = keys.entries("old", "new")
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        sealed = seal(SMALL, aad=ROW)
        assert sealed.kek_id == "old"
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        rewrapped = Sealed(rewrap(sealed.wrapped_key, aad=ROW, to_kek="new"), sealed.ciphertext)
        assert rewrapped.kek_id == "new"
        assert open_sealed(rewrapped, aad=ROW) == SMALL
        assert open_sealed(sealed, aad=ROW) == SMALL  # not yet rewrapped rows still open mid-rotation
    with override_settings(VAULT_KEYS=keys.setting(found["new"])):
        assert open_sealed(rewrapped, aad=ROW) == SMALL
        with pytest.raises(DecryptError):
            open_sealed(sealed, aad=ROW)


def test_rewrap_is_idempotent_and_checks_the_row():
    sealed = sealed_small()
    once = rewrap(sealed.wrapped_key, aad=ROW, to_kek="k0", ring=RING)
    assert rewrap(once, aad=ROW, to_kek="k0", ring=RING) == once
    assert open_sealed(Sealed(once, sealed.ciphertext), aad=ROW, ring=RING) == SMALL
    with pytest.raises(DecryptError):
        rewrap(sealed.wrapped_key, aad=row_aad(7, 42, 4), to_kek="k0", ring=RING)
    with pytest.raises(UnknownKeyError):
        rewrap(sealed.wrapped_key, aad=ROW, to_kek="k9", ring=RING)
    # A rewrapped key is bound to the same row as before.
    with pytest.raises(DecryptError):
        open_sealed(Sealed(once, sealed.ciphertext), aad=row_aad(7, 42, 4), ring=RING)


def test_rewrap_many_reports_a_bad_row_in_its_place_and_rewraps_the_others():
    rows = [row_aad(7, secret_id, 1) for secret_id in range(1, 6)]
    sealed = [seal({"n": str(index)}, aad=aad, ring=RING) for index, aad in enumerate(rows)]
    items = [(one.wrapped_key, aad) for one, aad in zip(sealed, rows, strict=True)]
    items[2] = (sealed[3].wrapped_key, rows[2])  # another row's key pasted in
    results = rewrap_many(items, to_kek="k0", ring=RING)
    assert isinstance(results[2], DecryptError)
    for index in (0, 1, 3, 4):
        assert wrapped_kek_id(results[index]) == "k0"
        assert open_sealed(Sealed(results[index], sealed[index].ciphertext), aad=rows[index], ring=RING) == {
            "n": str(index)
        }
    # Every new wrap got its own nonce, though they were drawn from the OS in one call.
    nonces = {result[4:16] for result in results if isinstance(result, bytes)}
    assert len(nonces) == 4


@pytest.mark.parametrize("fields", [{"a": 1}, {1: "a"}, ["a"], {"a": None}, {"a": b"bytes"}])
def test_seal_refuses_non_text_fields(fields):
    with pytest.raises(TypeError):
        seal(fields, aad=ROW, ring=RING)


def test_seal_refuses_lone_surrogates():
    with pytest.raises(ValueError, match="Unicode"):
        seal({"a": "\ud800"}, aad=ROW, ring=RING)


@pytest.mark.parametrize(
    ("owner", "secret", "version"), [(-1, 1, 1), (1, 1, 2**64), (True, 1, 1), (1, "1", 1), (1, 1.0, 1)]
)
def test_row_aad_refuses_ids_it_cannot_encode_unambiguously(owner, secret, version):
    with pytest.raises(ValueError, match="must be an integer"):
        row_aad(owner, secret, version)


@given(a=st.tuples(ids, ids | st.uuids(), ids), b=st.tuples(ids, ids | st.uuids(), ids))
def test_row_aad_is_injective(a, b):
    assert (row_aad(*a) == row_aad(*b)) == (a == b)
