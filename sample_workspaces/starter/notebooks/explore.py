"""Revenue by country, from the starter datasets (plain Python, no extra packages)."""

import csv
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"

with (DATA / "customers.csv").open() as f:
    countries = {row["customer_id"]: row["country"] for row in csv.DictReader(f)}
revenue: Counter[str] = Counter()
with (DATA / "orders.csv").open() as f:
    for order in csv.DictReader(f):
        if order["status"] == "paid":
            revenue[countries[order["customer_id"]]] += float(order["amount_eur"])
for country, total in revenue.most_common():
    print(f"{country}  {total:12.2f}")
