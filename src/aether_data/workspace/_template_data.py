"""The generated datasets of the sample templates (pyarrow), loaded only when needed."""

from __future__ import annotations

import bisect
import csv
import random
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["GENERATORS"]

# Fixed writer options: the bytes depend only on the data (and the pyarrow version in created_by).
_PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "row_group_size": 1 << 16,
}
_KEY_METADATA = b"aether.key"


def _write_parquet(table: pa.Table, path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = table.replace_schema_metadata({_KEY_METADATA: key.encode()})
    pq.write_table(table, path, **_PARQUET_OPTIONS)


def _write_csv(table: pa.Table, path: Path) -> None:
    """Quote only where needed, as most tools write CSV (pyarrow would quote every string)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.column_names)
        writer.writerows(zip(*(column.to_pylist() for column in table.columns), strict=True))


# --- shared vocabulary of the fake world ------------------------------------------------------

_FIRST = (
    "Anna", "Ben", "Chloé", "David", "Elena", "Femi", "Greta", "Hiroshi", "Inès", "Jakub",
    "Karin", "Luca", "Maja", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tomás",
    "Uma", "Victor", "Wiebke", "Xavier", "Yara", "Zoë", "Amélie", "Björn", "Carmen", "Dario",
)  # fmt: skip
_LAST = (
    "Müller", "García", "Rossi", "Dubois", "de Vries", "Kowalski", "Smith", "Johansson",
    "Peeters", "O'Brien", "Fernández", "Schmidt", "Bianchi", "Martin", "Jansen", "Nowak",
    "Brown", "Lindqvist", "Lambert", "Weber", "López", "Romano", "Bernard", "Bakker",
)  # fmt: skip
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
_COUNTRIES = ("DE", "FR", "ES", "IT", "NL", "BE", "PL", "SE", "GB", "US")
_COUNTRY_WEIGHTS = (22, 16, 12, 11, 8, 5, 6, 4, 9, 7)
_CURRENCY = {"GB": "GBP", "US": "USD", "SE": "SEK", "PL": "PLN"}  # the rest pay in EUR
_EUR_RATE = {"EUR": 1.0, "GBP": 0.85, "USD": 1.08, "SEK": 11.4, "PLN": 4.3}


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_FIRST), rng.choice(_LAST)


def _email(first: str, last: str, number: int, domain: str) -> str:
    local = f"{first}.{last}{number}".replace(" ", "").replace("'", "").lower()
    return f"{unicodedata.normalize('NFKD', local).encode('ascii', 'ignore').decode()}@{domain}"


def _days(rng: random.Random, start: date, end: date, count: int, skew: float = 1.0) -> list[date]:
    """``count`` sorted days in [start, end]; ``skew`` < 1 leans towards the end (growth)."""
    span = (end - start).days + 1
    return sorted(start + timedelta(days=int(span * rng.random() ** skew)) for _ in range(count))


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


# --- analytics: customers, products, orders ---------------------------------------------------

_SEGMENTS = ("consumer", "small_business", "enterprise")
_CATEGORIES = (  # SKU prefix, kind, price range in EUR, weight range in kg
    ("LAP", "Laptop", (600, 2500), (1.0, 2.6)), ("MON", "Monitor", (120, 900), (3.0, 9.0)),
    ("KEY", "Keyboard", (20, 180), (0.4, 1.2)), ("MOU", "Mouse", (10, 120), (0.05, 0.2)),
    ("AUD", "Headphones", (25, 400), (0.15, 0.45)), ("CAB", "Cable", (5, 40), (0.02, 0.2)),
    ("STO", "SSD", (40, 350), (0.03, 0.1)), ("PRN", "Printer", (80, 600), (4.0, 15.0)),
)  # fmt: skip
_BRANDS = ("Aether", "Nimbus", "Stratus", "Cirrus", "Zephyr")
_MODELS = ("One", "Pro", "Air", "Max", "Mini", "S", "X", "Plus")
_ORDER_STATUSES = ("delivered", "shipped", "cancelled", "refunded")
_ORDER_STATUS_WEIGHTS = (88, 2, 6, 4)
_RECENT_STATUSES = ("pending", "shipped", "delivered", "cancelled")
_RECENT_STATUS_WEIGHTS = (30, 45, 20, 5)
_ORDERS_START, _ORDERS_END = date(2023, 1, 1), date(2025, 12, 31)


def _generate_analytics(dest: Path) -> None:
    rng = random.Random(20240601)
    customers = _customers(rng, 12_000)
    products = _products(rng, 400)
    orders = _orders(rng, 25_000, customers, products)
    _write_csv(customers, dest / "data" / "customers.csv")
    _write_parquet(products, dest / "data" / "products.parquet", key="sku")
    _write_parquet(orders, dest / "data" / "orders.parquet", key="order_id")


def _customers(rng: random.Random, count: int) -> pa.Table:
    """Customer ids grow with the signup date, as a sequence in the source system would."""
    people = [_person(rng) for _ in range(count)]
    ids = range(1, count + 1)
    domains = rng.choices(_DOMAINS, k=count)
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.int64()),
            "name": [f"{first} {last}" for first, last in people],
            "email": [_email(*p, i, d) for p, i, d in zip(people, ids, domains, strict=True)],
            "country": rng.choices(_COUNTRIES, _COUNTRY_WEIGHTS, k=count),
            "signup_date": pa.array(_days(rng, date(2021, 1, 1), date(2025, 6, 30), count)),
            "segment": rng.choices(_SEGMENTS, (70, 24, 6), k=count),
        }
    )


def _products(rng: random.Random, count: int) -> pa.Table:
    rows = []
    for n in range(count):
        prefix, kind, euros, kilos = _CATEGORIES[n % len(_CATEGORIES)]
        sku = f"{prefix}-{10001 + n // len(_CATEGORIES)}"
        name = f"{rng.choice(_BRANDS)} {kind} {rng.choice(_MODELS)} {rng.randint(1, 9)}"
        price = _money(rng.randint(*euros) * 100 - 1)
        launched = date(2019, 1, 1) + timedelta(days=rng.randrange(6 * 365))
        rows.append((sku, name, kind, price, round(rng.uniform(*kilos), 2), launched))
    rows.sort()
    names = ("sku", "name", "category", "unit_price_eur", "weight_kg", "launched_on")
    columns = dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))
    columns["unit_price_eur"] = pa.array(columns["unit_price_eur"], pa.decimal128(10, 2))
    columns["active"] = [rng.random() > 0.08 for _ in rows]
    return pa.table(columns)


def _orders(rng: random.Random, count: int, customers: pa.Table, products: pa.Table) -> pa.Table:
    """Orders in date order, each by a customer who had signed up by then."""
    signups = customers["signup_date"].to_pylist()
    countries = customers["country"].to_pylist()
    cents = [int(p * 100) for p in products["unit_price_eur"].to_pylist()]
    skus = products["sku"].to_pylist()
    rows = []
    for day in _days(rng, _ORDERS_START, _ORDERS_END, count, skew=0.8):
        customer = _pick_customer(rng, signups, day)
        product = int(len(skus) * rng.random() ** 2)  # a few best sellers
        quantity = rng.choices((1, 2, 3, 4, 5), (70, 18, 7, 3, 2))[0]
        currency = _CURRENCY.get(countries[customer], "EUR")
        amount = _money(round(cents[product] * quantity * _EUR_RATE[currency]))
        status = _order_status(rng, day)
        rows.append((day, customer + 1, skus[product], quantity, amount, currency, status))
    day, customer, sku, quantity, amount, currency, status = map(list, zip(*rows, strict=True))
    return pa.table(
        {
            "order_id": pa.array(range(1_000_001, 1_000_001 + count), pa.int64()),
            "customer_id": pa.array(customer, pa.int64()),
            "order_date": pa.array(day, pa.date32()),
            "sku": sku,
            "quantity": pa.array(quantity, pa.int32()),
            "amount": pa.array(amount, pa.decimal128(12, 2)),
            "currency": currency,
            "status": status,
            "country": [countries[c - 1] for c in customer],
        }
    )


def _pick_customer(rng: random.Random, signups: list[date], day: date) -> int:
    """A new customer's first order, or a repeat order, likelier from recent customers."""
    signed_up = bisect.bisect_right(signups, day)
    if rng.random() < 0.3:
        recent = bisect.bisect_left(signups, day - timedelta(days=30))
        if recent < signed_up:
            return rng.randrange(recent, signed_up)
    return signed_up - 1 - int(signed_up * rng.random() ** 1.5)


def _order_status(rng: random.Random, day: date) -> str:
    if (_ORDERS_END - day).days < 10:
        return rng.choices(_RECENT_STATUSES, _RECENT_STATUS_WEIGHTS)[0]
    return rng.choices(_ORDER_STATUSES, _ORDER_STATUS_WEIGHTS)[0]


# --- pipeline: users (with near-duplicates to dedup) and a month of events --------------------

_PLANS = ("free", "pro", "team")
_EVENT_TYPES = ("page_view", "search", "add_to_cart", "checkout", "purchase", "refund")
_EVENT_WEIGHTS = (560, 170, 130, 60, 75, 5)
_HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 9, 10, 10, 9, 9, 9, 10, 11, 12, 11, 8, 5, 3)
_DEVICES = ("web", "ios", "android")
_EVENTS_START = datetime(2025, 6, 1, tzinfo=UTC)
_EVENT_DAYS = 30
_HOUR_US = 3_600_000_000


def _generate_pipeline(dest: Path) -> None:
    rng = random.Random(20250601)
    users = _users(rng, 8_000, duplicates=240)
    events = _events(rng, 60_000, users)
    _write_csv(users, dest / "data" / "baseline" / "users.csv")
    _write_parquet(events, dest / "data" / "baseline" / "events.parquet", key="event_id")


def _users(rng: random.Random, count: int, duplicates: int) -> pa.Table:
    """Users, plus a few sign-ups again under the same e-mail spelled differently."""
    people = [_person(rng) for _ in range(count)]
    emails = [_email(*p, n, rng.choice(_DOMAINS)) for n, p in enumerate(people, 1)]
    signups = _days(rng, date(2023, 1, 1), date(2025, 6, 30), count)
    rows = [(s, f"{f} {la}", e) for s, (f, la), e in zip(signups, people, emails, strict=True)]
    for original in rng.sample(range(count), duplicates):
        signup, name, email = rows[original]
        again = min(signup + timedelta(days=rng.randint(1, 300)), date(2025, 6, 30))
        rows.append((again, name, _respell(rng, email)))
    rows.sort(key=lambda row: row[0])  # stable: ties keep generation order
    signup, name, email = map(list, zip(*rows, strict=True))
    total = len(rows)
    return pa.table(
        {
            "user_id": pa.array(range(1, total + 1), pa.int64()),
            "email": email,
            "name": name,
            "country": rng.choices(_COUNTRIES, _COUNTRY_WEIGHTS, k=total),
            "signup_date": pa.array(signup, pa.date32()),
            "plan": rng.choices(_PLANS, (80, 16, 4), k=total),
        }
    )


def _respell(rng: random.Random, email: str) -> str:
    respellings: Sequence[Callable[[str], str]] = (str.upper, str.title, lambda e: f" {e} ")
    return rng.choice(respellings)(email)


def _events(rng: random.Random, count: int, users: pa.Table) -> pa.Table:
    """Events in time order, each by a user who had signed up by that day."""
    signups = users["signup_date"].to_pylist()
    hours = rng.choices(range(24), _HOUR_WEIGHTS, k=count)
    moments = sorted(
        _EVENTS_START
        + timedelta(days=rng.randrange(_EVENT_DAYS), hours=h, microseconds=rng.randrange(_HOUR_US))
        for h in hours
    )
    kinds = rng.choices(_EVENT_TYPES, _EVENT_WEIGHTS, k=count)
    user_ids = [1 + rng.randrange(bisect.bisect_right(signups, m.date())) for m in moments]
    return pa.table(
        {
            "event_id": pa.array(range(50_000_001, 50_000_001 + count), pa.int64()),
            "occurred_at": pa.array(moments, pa.timestamp("us", tz="UTC")),
            "user_id": pa.array(user_ids, pa.int64()),
            "event_type": kinds,
            "value": pa.array([_event_value(rng, kind) for kind in kinds], pa.float64()),
            "device": rng.choices(_DEVICES, (55, 25, 20), k=count),
        }
    )


def _event_value(rng: random.Random, kind: str) -> float:
    if kind in ("purchase", "refund"):
        amount = round(rng.lognormvariate(3.6, 0.7), 2)
        return amount if kind == "purchase" else -amount
    return 0.0


GENERATORS: dict[str, Callable[[Path], None]] = {
    "analytics": _generate_analytics,
    "pipeline": _generate_pipeline,
}
