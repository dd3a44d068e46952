"""Plausible step payloads, secrets to redact and hostile strings.

The demo must look like real traffic and must also try to break the client
that shows it: escape sequences, markup, bidi controls and huge lines turn
up in payloads, names and labels, as they do in the wild.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "authorization",
        "api_key",
        "access_token",
        "refresh_token",
        "password",
        "card_number",
        "cvc",
        "client_secret",
        "signing_secret",
    }
)

ESC = "\x1b"
BEL = "\x07"
HOSTILE_STRINGS = (
    f"{ESC}[2J{ESC}[H screen cleared",
    f"{ESC}]0;pwned{BEL} title changed",
    f"{ESC}]52;c;cHduZWQ={BEL} clipboard written",
    f"{ESC}]8;;https://evil.example/{ESC}\\click me{ESC}]8;;{ESC}\\",
    f"{ESC}[31mred alert{ESC}[0m",
    "[@click=app.quit]x[/]",
    "[/]",
    "[bold",
    "ends with a backslash \\",
    "[[x]]",
    "\u202eexe.txt\u202c invoice",
    "🚀 注文の同期 ✅ 订单 👩‍💻",
    "x" * 10_000,
)
"""Strings a careless terminal UI would interpret instead of showing."""

HOSTILE_FLOW_NAME = f"Partner feed {ESC}]0;pwned{BEL}[@click=app.quit]x[/] \u202e🚀"
HOSTILE_STEP_NAME = f"Parse [bold feed {ESC}[2J[/] 注文"
HOSTILE_LABEL = f"SFTP {ESC}]52;c;cHduZWQ={BEL} [[x]] \u202epartner\\"

Payload = dict[str, Any]
Generator = Callable[[random.Random, Payload], Any]

_FIRST = ("Ada", "Grace", "Linus", "Mei", "Omar", "Priya", "Sven", "Zoë", "Ngozi")
_LAST = ("Okafor", "Lindqvist", "Tanaka", "García", "Novak", "Haddad", "Kim")
_CITIES = ("Seattle", "Lisbon", "Osaka", "Nairobi", "Toronto", "Kraków")
_PRODUCTS = ("Trail Runner 2", "Wool Beanie", "Canvas Tote", "Espresso Kit")


def _person(rng: random.Random) -> Payload:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    return {
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "address": {
            "city": rng.choice(_CITIES),
            "country": rng.choice(["US", "PT", "JP", "KE", "CA", "PL"]),
        },
    }


def _order(rng: random.Random, context: Payload) -> Any:
    lines = [
        {
            "sku": f"SKU-{rng.randint(1000, 9999)}",
            "title": rng.choice(_PRODUCTS),
            "quantity": rng.randint(1, 4),
            "price": {"amount": rng.randint(900, 25_000), "currency": "USD"},
        }
        for _ in range(rng.randint(1, 4))
    ]
    return {
        "order": {
            "id": context.get("correlation_id"),
            "customer": _person(rng),
            "line_items": lines,
            "payment": {"card_number": "4242424242424242", "cvc": "123"},
        }
    }


def _invoice(rng: random.Random, context: Payload) -> Any:
    return {
        "invoice": {
            "id": f"in_{rng.getrandbits(48):012x}",
            "amount_due": rng.randint(1_000, 90_000),
            "days_overdue": rng.randint(1, 60),
            "customer": _person(rng),
        },
        "request": {"headers": {"authorization": "Bearer sk_live_51Hx9"}},
    }


def _refund(rng: random.Random, context: Payload) -> Any:
    return {
        "refund": {
            "id": f"re_{rng.getrandbits(48):012x}",
            "charge": f"ch_{rng.getrandbits(48):012x}",
            "amount": rng.randint(500, 20_000),
            "reason": rng.choice(["requested_by_customer", "duplicate", "fraudulent"]),
        }
    }


def _lead(rng: random.Random, context: Payload) -> Any:
    return {
        "lead": {
            **_person(rng),
            "company": {
                "domain": rng.choice(["acme.io", "globex.com", "initech.net"]),
                "employees": rng.randint(5, 50_000),
                "funding": {"stage": rng.choice(["seed", "A", "B", "public"])},
            },
            "score": rng.randint(0, 100),
        },
        "enrichment": {"api_key": "ck_4f9a7c", "source": "clearbit"},
    }


def _incidents(rng: random.Random, context: Payload) -> Any:
    services = ("checkout", "search", "auth", "billing")
    return {
        "incidents": [
            {
                "id": f"P{rng.randint(100_000, 999_999)}",
                "service": rng.choice(services),
                "urgency": rng.choice(["high", "low"]),
                "title": rng.choice(["Latency > 2 s", "5xx spike", "Queue backlog"]),
            }
            for _ in range(rng.randint(0, 6))
        ]
    }


def _ticket(rng: random.Random, context: Payload) -> Any:
    return {
        "ticket": {
            "id": rng.randint(10_000, 99_999),
            "priority": rng.choice(["urgent", "high"]),
            "requester": _person(rng),
            "subject": rng.choice(
                ["Charged twice", "Cannot log in", "Where is my order?"]
            ),
        }
    }


def _message(rng: random.Random, context: Payload) -> Any:
    return {
        "channel": rng.choice(["#orders", "#oncall", "#finance", "#sales"]),
        "ts": f"{rng.randint(1_700_000_000, 1_799_999_999)}.{rng.randint(0, 9999):04d}",
        "ok": True,
    }


def _inventory(rng: random.Random, context: Payload) -> Any:
    # Deliberately large (well over 100 KB): the client must cope.
    return {
        "rows": [
            {
                "sku": f"SKU-{index:05d}",
                "title": f"{rng.choice(_PRODUCTS)} — variant {index}",
                "on_hand": rng.randint(0, 500),
                "locations": {"SEA": rng.randint(0, 99), "LIS": rng.randint(0, 99)},
            }
            for index in range(900)
        ]
    }


def _hostile(rng: random.Random, context: Payload) -> Any:
    return {
        "record": {
            "name": rng.choice(HOSTILE_STRINGS),
            "notes": list(rng.sample(HOSTILE_STRINGS, 3)),
            "nested": {"deeper": {"value": rng.choice(HOSTILE_STRINGS)}},
        },
        "password": "hunter2",
    }


def _generic(rng: random.Random, context: Payload) -> Any:
    return {
        "ok": True,
        "items": rng.randint(0, 40),
        "trace": f"{rng.getrandbits(64):016x}",
    }


GENERATORS: dict[str, Generator] = {
    "order": _order,
    "invoice": _invoice,
    "refund": _refund,
    "lead": _lead,
    "incidents": _incidents,
    "ticket": _ticket,
    "message": _message,
    "inventory": _inventory,
    "hostile": _hostile,
    "generic": _generic,
}


def make_payload(kind: str, rng: random.Random, context: Payload) -> Any:
    """A payload of `kind` (a key of GENERATORS; unknown kinds are generic)."""
    return GENERATORS.get(kind, _generic)(rng, context)


def redact(value: Any, pointer: str = "") -> tuple[Any, list[str]]:
    """`value` with secrets replaced by "[redacted]", and their JSON pointers."""
    if isinstance(value, dict):
        pointers: list[str] = []
        result: dict[str, Any] = {}
        for key, item in value.items():
            child = f"{pointer}/{_escape(str(key))}"
            if str(key).lower() in SECRET_KEYS and item is not None:
                result[key] = REDACTED
                pointers.append(child)
            else:
                result[key], found = redact(item, child)
                pointers.extend(found)
        return result, pointers
    if isinstance(value, list):
        items, pointers = [], []
        for index, item in enumerate(value):
            clean, found = redact(item, f"{pointer}/{index}")
            items.append(clean)
            pointers.extend(found)
        return items, pointers
    return value, []


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
