"""Deterministic building blocks: per-record random generators, UUIDs, names, text, money.

Everything is derived from (tenant key, stream, index), so record i of a stream can be built on its own,
in any order, without generating the others: that is what lets 100,000 invoices cost almost nothing
until a page of them is served.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import date, datetime, timedelta


def h64(*parts) -> int:
    text = "\x1f".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def uuid_for(*parts) -> str:
    text = "\x1f".join(map(str, parts)).encode()
    return str(uuid.UUID(bytes=hashlib.blake2b(text, digest_size=16, person=b"xero-uuid").digest(), version=4))


def rng_for(*parts) -> random.Random:
    return random.Random(h64(*parts))


def money(rng: random.Random, low: float, high: float) -> float:
    """A two-decimal amount (as Xero sends it: a JSON number)."""
    return round(rng.uniform(low, high), 2)


def day_before(moment: datetime, rng: random.Random, max_days: int = 60) -> date:
    """A calendar date a little before a timestamp (a document is dated before it is last edited)."""
    return (moment - timedelta(days=rng.randint(0, max_days))).date()


# Names that break naive code: accents, macrons, CJK, RTL, emoji, quotes, backslashes, ampersands.
SPECIAL_CONTACT_NAMES = (
    "Café Ōtautahi Ltd",
    "Zürich GmbH",
    "Ünïcødé Rockets 🚀 Ltd",
    "東京商事株式会社",
    'Quote "Marks" & Back\\slash Ltd',
    "Ταβέρνα Ελληνική",
    "مطعم الشرق",
    "O'Brien & Sons",
    "Tāmaki Makaurau Plumbing 🔧🚿",
    "Żółć Sp. z o.o.",
    "Ngā Hua o Te Whenua Trust",
    "Line\nBreak Traders",
)

FIRST_NAMES = (
    "Aroha", "Liam", "Mia", "Noah", "Olivia", "Wiremu", "Chloé", "Søren", "Yuki", "Priya", "Mateo",
    "Ana", "Hēmi", "Zoë", "Björn", "Fatima", "Kai", "Isla", "Tomás", "Mei", "Oliver", "Ngaio", "Léa",
)
LAST_NAMES = (
    "Smith", "Ngata", "Williams", "Brown", "Tākoko", "Müller", "García", "Nguyen", "O'Connor", "Kowalski",
    "Patel", "Tanaka", "Jones", "Te Rangi", "Dubois", "Andersen", "Rossi", "Kim", "Walker", "Parata",
)
COMPANY_WORDS = (
    "Harbour", "Kiwi", "Southern", "Alpine", "Coastal", "Summit", "Pacific", "Kōwhai", "Pōhutukawa",
    "Metro", "Tasman", "Ridge", "Totara", "Bay", "Urban", "Golden", "Silver", "Fern", "River", "Cedar",
)
COMPANY_KINDS = (
    "Consulting", "Plumbing", "Bakery", "Electrical", "Design", "Logistics", "Cafe", "Motors",
    "Landscaping", "Accounting", "Builders", "Print", "Brewing", "Dental", "Florist", "Software",
)
COMPANY_SUFFIXES = ("Ltd", "Limited", "& Co", "Group", "Trust", "Partners", "Holdings", "")

STREETS = ("Queen Street", "Lambton Quay", "Colombo Street", "Ponsonby Road", "George Street", "Cuba Street")
CITIES = (("Auckland", "Auckland", "1010"), ("Wellington", "Wellington", "6011"),
          ("Christchurch", "Canterbury", "8011"), ("Dunedin", "Otago", "9016"), ("Ōtautahi", "Waitaha", "8013"))

WORDS = (
    "consulting", "services", "rendered", "materials", "labour", "supply", "installation", "maintenance",
    "monthly", "retainer", "hardware", "software", "licence", "freight", "travel", "catering", "repairs",
    "design", "review", "support", "training", "equipment", "hire", "delivery", "cleaning", "audit",
)


def contact_name(seed_key: str, index: int) -> str:
    if index < len(SPECIAL_CONTACT_NAMES):
        return SPECIAL_CONTACT_NAMES[index]
    rng = rng_for(seed_key, "contact-name", index)
    if rng.random() < 0.3:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    suffix = rng.choice(COMPANY_SUFFIXES)
    name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
    # a running number keeps names unique, as Xero requires
    return f"{name} {suffix} #{index}".replace("  ", " ")


def sentence(rng: random.Random, low: int = 3, high: int = 9) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize()


def long_text(rng: random.Random, min_chars: int = 2100) -> str:
    """Text longer than 2,000 characters, with a few non-ASCII characters and line breaks inside."""
    parts = []
    length = 0
    while length < min_chars:
        part = sentence(rng, 8, 16) + rng.choice((". ", ". ", ".\n", " — ", " · ", "; ü ō é. "))
        parts.append(part)
        length += len(part)
    return "".join(parts)


def maybe(rng: random.Random, probability: float, value):
    """`value` with the given probability, else None (an optional field sent as null)."""
    return value if rng.random() < probability else None
