"""Projects API records (`xero-openapi/xero-projects.yaml`): projects, their tasks and time entries, and the
organisation's project users.

Project i is pure in (ctx, i): its tasks (0 to 15; every seventh project has none) and time entries (0 to 15,
none without tasks) come from its own seeded generator, and its totals are summed from them. About one
project in four is CLOSED. Project users are the organisation's Accounting users (same ids). Timestamps are
stored as `datetime` (UTC): the wire renders ISO 8601 with a Z, the ground truth YYYY-MM-DDTHH:MM:SS.fffZ.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Dict, List, Tuple

from ..msdate import from_epoch_ms
from .budgets import refs
from .common import COMPANY_KINDS, COMPANY_WORDS, sentence
from .context import Ctx

INPROGRESS, CLOSED = "INPROGRESS", "CLOSED"
_TASKS = ("Design", "Demolition", "Site visit", "Build", "Review", "Install", "Testing", "Handover", "Travel",
          "Project management", "Materials run", "Consultation", "Painting", "Cleanup", "Documentation")


def _amount(currency: str, value: float) -> dict:
    return {"currency": currency, "value": round(value, 2)}


def user(ctx: Ctx, accounting_user: dict) -> dict:
    return {"userId": accounting_user["UserID"],
            "name": f"{accounting_user['FirstName']} {accounting_user['LastName']}",
            "email": accounting_user["EmailAddress"]}


def users(ctx: Ctx) -> List[dict]:
    return [user(ctx, u) for u in refs(ctx).users]


def project(ctx: Ctx, index: int) -> Tuple[dict, List[dict], List[dict]]:
    """(project, its tasks, its time entries)."""
    rng = ctx.rng("projects", index)
    currency = ctx.tenant.currency
    project_id = ctx.pk("projects", index)
    anchor = from_epoch_ms(ctx.anchor_ms)
    started = anchor - timedelta(days=rng.randint(10, 900))
    task_count = 0 if index % 7 == 5 else rng.randint(1, 15)
    tasks = []
    for k in range(task_count):
        charge = rng.choice(("TIME", "TIME", "FIXED", "NON_CHARGEABLE"))
        tasks.append({
            "taskId": ctx.pk("project_tasks", index * 1000 + k),
            "name": f"{_TASKS[k % len(_TASKS)]}{'' if k < len(_TASKS) else f' {k}'}",
            "rate": _amount(currency, rng.choice((0, 45, 60, 85, 120, 150)) if charge != "FIXED" else rng.randint(200, 5000)),
            "chargeType": charge,
            "estimateMinutes": rng.choice((60, 120, 240, 480, 960, 12000)),
            "projectId": project_id,
        })
    entries = []
    user_ids = [u["UserID"] for u in refs(ctx).users]
    for k in range(rng.randint(0, 15) if tasks else 0):
        task = rng.choice(tasks)
        logged = started + timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 23))
        logged = logged.replace(minute=0, second=0, microsecond=0)
        entries.append({
            "timeEntryId": ctx.pk("project_time_entries", index * 1000 + k),
            "userId": rng.choice(user_ids),
            "projectId": project_id,
            "taskId": task["taskId"],
            "dateUtc": logged,
            "dateEnteredUtc": logged + timedelta(hours=rng.randint(1, 72), milliseconds=rng.randint(1, 999_999)),
            "duration": rng.choice((15, 30, 45, 60, 90, 120, 240, 480)),
            "description": sentence(rng, 2, 6),
            "status": "INVOICED" if rng.random() < 0.3 else "ACTIVE",
        })
    totals = _task_totals(tasks, entries, currency)
    task_amount = sum(t["totalAmount"]["value"] for t in totals)
    invoiced = sum(t["amountInvoiced"]["value"] for t in totals)
    expenses = float(rng.choice((0, 0, 120, 499, 1800)))
    estimate = round(task_amount * rng.uniform(0.8, 1.6) + 100, 2)
    record = {
        "projectId": project_id,
        "contactId": ctx.contact_ref(rng)["ContactID"],
        "name": f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS).lower()} project #{index + 1}",
        "currencyCode": currency,
        "minutesLogged": sum(e["duration"] for e in entries),
        "totalTaskAmount": _amount(currency, task_amount),
        "totalExpenseAmount": _amount(currency, expenses),
        "estimateAmount": _amount(currency, estimate),
        "minutesToBeInvoiced": sum(t["minutesToBeInvoiced"] for t in totals),
        "taskAmountToBeInvoiced": _amount(currency, task_amount - invoiced),
        "taskAmountInvoiced": _amount(currency, invoiced),
        "expenseAmountToBeInvoiced": _amount(currency, expenses),
        "expenseAmountInvoiced": _amount(currency, 0.0),
        "projectAmountInvoiced": _amount(currency, invoiced),
        "deposit": _amount(currency, 0.0),
        "depositApplied": _amount(currency, 0.0),
        "creditNoteAmount": _amount(currency, 0.0),
        "deadlineUtc": (started + timedelta(days=rng.randint(30, 400))).replace(hour=11, minute=0, second=0, microsecond=0)
        if rng.random() < 0.8 else None,
        "totalInvoiced": _amount(currency, invoiced),
        "totalToBeInvoiced": _amount(currency, task_amount - invoiced + expenses),
        "estimate": _amount(currency, estimate),
        "status": CLOSED if index % 4 == 3 else INPROGRESS,
    }
    return record, totals, entries


def _task_totals(tasks: List[dict], entries: List[dict], currency: str) -> List[dict]:
    """The tasks with the totals their time entries make."""
    minutes: Dict[str, List[dict]] = {t["taskId"]: [] for t in tasks}
    for entry in entries:
        minutes[entry["taskId"]].append(entry)
    out = []
    for task in tasks:
        logged = minutes[task["taskId"]]
        total = sum(e["duration"] for e in logged)
        billed = sum(e["duration"] for e in logged if e["status"] == "INVOICED")
        charge, rate = task["chargeType"], task["rate"]["value"]
        amount = rate * total / 60 if charge == "TIME" else rate if charge == "FIXED" else 0.0
        amount_invoiced = rate * billed / 60 if charge == "TIME" else (rate if charge == "FIXED" and billed else 0.0)
        chargeable = charge != "NON_CHARGEABLE"
        out.append({
            **task,
            "totalMinutes": total,
            "totalAmount": _amount(currency, amount),
            "minutesInvoiced": billed if chargeable else 0,
            "minutesToBeInvoiced": total - billed if chargeable else 0,
            "fixedMinutes": total if charge == "FIXED" else 0,
            "nonChargeableMinutes": total if charge == "NON_CHARGEABLE" else 0,
            "amountToBeInvoiced": _amount(currency, amount - amount_invoiced),
            "amountInvoiced": _amount(currency, amount_invoiced),
            "status": "INVOICED" if charge == "FIXED" and billed else "ACTIVE",
        })
    return out
