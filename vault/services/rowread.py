"""Rows of a hand-written SELECT read the way Django's compiler reads them, without RawQuerySet's per-call setup."""

from functools import cache

from django.db import connections


def column_list(fields, table_alias: str, connection) -> str:
    """`alias."column", ...` for `fields`, in order: the SELECT list that `converted` expects."""
    return ", ".join(f"{table_alias}.{connection.ops.quote_name(field.column)}" for field in fields)


def converted(row, fields: tuple, connection) -> list:
    """`row`'s values, selected as `fields` (model fields, in order), through each field's database converters.

    The converters are the ones a queryset applies (JSON text parsed, SQLite's dates and booleans typed), looked
    up once per field list and database; RawQuerySet looks them up again on every query.
    """
    values = list(row)
    for index, converters, column in _converters(fields, connection.alias):
        value = values[index]
        for convert in converters:
            value = convert(value, column, connection)
        values[index] = value
    return values


@cache
def _converters(fields: tuple, alias: str) -> tuple:
    connection = connections[alias]
    found = []
    for index, field in enumerate(fields):
        column = field.get_col(field.model._meta.db_table)
        chain = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if chain:
            found.append((index, tuple(chain), column))
    return tuple(found)
