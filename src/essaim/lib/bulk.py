"""Inserting many model instances fast, with their ids, on SQLite and PostgreSQL.

`QuerySet.bulk_create` compiles every value of every row through the ORM (about 2 µs a
value: 100,000 members with their memberships and payments are 5 million values) and, on
SQLite, sends at most 999 values per INSERT. This inserter prepares each column once, sends
multi-row INSERTs as large as the database allows, and reads the ids back with RETURNING
(SQLite ≥ 3.35, PostgreSQL), as bulk_create does. It writes exactly the columns bulk_create
would: every concrete field but the primary key, `auto_now`/`auto_now_add` fields set to
`now`. Model save() and signals are not run, as with bulk_create.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Sequence

from django.db import connection, models


def _converter(field: models.Field) -> Callable:
    """Python value → database value, for one column, with a cache for repeated values."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        adapt = ops.adapt_datetimefield_value
    elif isinstance(field, models.DateField):
        adapt = ops.adapt_datefield_value
    elif isinstance(field, models.UUIDField):
        if connection.features.has_native_uuid_field:
            return lambda value: value
        return lambda value: value.hex if isinstance(value, uuid.UUID) else value
    elif isinstance(field, models.JSONField | models.DecimalField | models.BinaryField):
        return lambda value: field.get_db_prep_save(value, connection)
    else:
        # Text, numbers, booleans and foreign key ids go to the driver as they are.
        return lambda value: value
    cache: dict = {}

    def convert(value):
        if value is None:
            return None
        try:
            return cache[value]
        except KeyError:
            if len(cache) > 10_000:
                cache.clear()
            cache[value] = converted = adapt(value)
            return converted

    return convert


def _max_params() -> int:
    if connection.vendor == "sqlite":
        raw = connection.connection
        getlimit = getattr(raw, "getlimit", None)
        if getlimit is not None:
            import sqlite3

            return getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return 999
    return 60_000  # PostgreSQL: 65,535 parameters per statement


def insert(objects: Sequence[models.Model], *, now: dt.datetime) -> None:
    """INSERT `objects` (all of one model) and set their primary keys."""
    if not objects:
        return
    model = type(objects[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objects:
                setattr(obj, f.attname, now)
    attnames = [f.attname for f in fields]
    converters = [_converter(f) for f in fields]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        _copy(objects, meta, fields, attnames, converters)
        return
    columns = ", ".join(quote(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = max(1, min(2000, _max_params() // len(fields)))
    pk = meta.pk
    with connection.cursor() as cursor:
        connection.ensure_connection()
        for start in range(0, len(objects), batch):
            chunk = objects[start : start + batch]
            params = []
            for obj in chunk:
                values = obj.__dict__
                params.extend(
                    convert(values[name])
                    for name, convert in zip(attnames, converters, strict=True)
                )
            # Only identifiers from the model's _meta and %s placeholders: values go as
            # parameters.
            sql = (
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([row_sql] * len(chunk))
                + f" RETURNING {quote(pk.column)}"
            )
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
            if len(ids) != len(chunk):
                raise RuntimeError("the database did not return one id per inserted row")
            for obj, pk_value in zip(chunk, ids, strict=True):
                setattr(obj, pk.attname, pk_value)
                obj._state.adding = False
                obj._state.db = connection.alias


def _copy(objects, meta, fields, attnames, converters) -> None:
    """PostgreSQL: ids taken from the table's sequence first, then one COPY.

    A multi-row INSERT of 100,000 rows sends 2 million parameters that the driver and the
    server each parse (14 s for 20,000 members with their memberships and payments); COPY
    streams the rows (1 s). The ids come from the sequence, so rows inserted meanwhile by
    other requests never collide with them.
    """
    quote = connection.ops.quote_name
    pk = meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objects)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(quote(c) for c in [pk.column, *(f.column for f in fields)])
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj, pk_value in zip(objects, ids, strict=True):
                values = obj.__dict__
                copy.write_row(
                    [pk_value]
                    + [
                        convert(values[name])
                        for name, convert in zip(attnames, converters, strict=True)
                    ]
                )
    for obj, pk_value in zip(objects, ids, strict=True):
        setattr(obj, pk.attname, pk_value)
        obj._state.adding = False
        obj._state.db = connection.alias


_DEFAULTS: dict[type, tuple[dict, list]] = {}


def new(model: type[models.Model], **values) -> models.Model:
    """An unsaved instance, as `model(**values)` makes it but ten times faster: `values` are
    attnames (`person_id`, not `person`); the fields' defaults are worked out once per model.

    Model.__init__ looks up every field's default and goes through the descriptors of
    foreign keys for each instance: 40 µs, two seconds per 50,000 rows.
    """
    cached = _DEFAULTS.get(model)
    if cached is None:
        static, dynamic = {}, []
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                dynamic.append((f.attname, f.default))
            else:
                static[f.attname] = f.get_default()
        cached = _DEFAULTS[model] = (static, dynamic)
    static, dynamic = cached
    obj = model.__new__(model)
    obj._state = models.base.ModelState()
    attributes = obj.__dict__
    attributes.update(static)
    for name, factory in dynamic:
        if name not in values:
            attributes[name] = factory()
    attributes.update(values)
    return obj
