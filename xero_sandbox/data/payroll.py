"""Payroll records of one organisation: employees, calendars, pay runs with a payslip per employee paid,
timesheets, leave and pay items, in the shape of the organisation's own payroll spec (AU 1.0, NZ 2.0, UK 2.0).

One neutral plan (people, calendars, pay runs, amounts) is drawn from (seed, tenant index) and then written out
in each country's field names. Payroll books are small (15-25 employees at scale 1, 6-10 pay runs), so a whole
book is built at once, on first use, and kept. Values are Python `datetime` (UTC, millisecond precision; whole
seconds for 2.0, whose wire stamps carry none) and `date`; payroll_api.py renders them per country.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from ..msdate import from_epoch_ms
from .common import FIRST_NAMES, LAST_NAMES, h64, rng_for, uuid_for
from .reference import CHART

AU, NZ, UK = "AU", "NZ", "UK"
EMPLOYEES, PAY_RUNS, PAYSLIPS, TIMESHEETS, LEAVE, PAY_ITEMS, CALENDARS = (
    "payroll_employees",
    "payroll_pay_runs",
    "payslips",
    "payroll_timesheets",
    "payroll_leave",
    "payroll_pay_items",
    "payroll_calendars",
)
STREAMS = (EMPLOYEES, PAY_RUNS, PAYSLIPS, TIMESHEETS, LEAVE, PAY_ITEMS, CALENDARS)

_WAGES_ACCOUNT = next(i for i, row in enumerate(CHART) if row[0] == "477")  # "Wages and Salaries"
_CITIES = {
    AU: (("Adelaide", "SA", "5000"), ("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000"), ("Brisbane", "QLD", "4000")),
    NZ: (("Wellington", "Te Aro", "6011"), ("Auckland", "Ponsonby", "1011"), ("Christchurch", "Riccarton", "8011")),
    UK: (("Milton Keynes", None, "MK9 1EB"), ("Leeds", None, "LS1 4AP"), ("Bristol", None, "BS1 5TR")),
}
Stamp = Callable[[random.Random, float], datetime]  # a change stamp up to N days before the anchor
Uid = Callable[[str, Any], str]  # a record id from (what, which)
_COUNTRY_NAME = {AU: "AUSTRALIA", NZ: "NEW ZEALAND", UK: "UNITED KINGDOM"}
_JOBS = ("Barista", "Accountant", "Warehouse Assistant", "Developer", "Office Manager", "Sales Representative", "Chef")


@dataclass
class Book:
    """One organisation's payroll, as its API serves it (before rendering dates)."""

    kind: str
    records: Dict[str, List[dict]]  # stream -> records, in creation order
    pay_items: Optional[dict] = None  # AU: the PayItems object (EarningsRates, DeductionTypes, ...)
    run_payslips: Dict[str, List[dict]] = field(default_factory=dict)  # AU: PayRunID -> its PayslipSummary list
    payslip_run: Dict[str, str] = field(default_factory=dict)  # payslip id -> its pay run id
    leave_of: Dict[str, List[dict]] = field(default_factory=dict)  # 2.0: employeeID -> its leave


@dataclass
class _Person:
    id: str
    first: str
    last: str
    title: str
    gender: str
    born: date
    start: date
    end: Optional[date]
    calendar: int
    hourly: bool
    rate: float  # per hour, or the annual salary
    created: datetime
    updated: datetime
    email: str
    phone: str
    city: tuple
    street: str
    job: str


@dataclass
class _Calendar:
    id: str
    name: str
    weekly: bool
    start: date  # the first period's start
    updated: datetime


@dataclass
class _Run:
    id: str
    calendar: int
    start: date
    end: date
    payment: date
    posted: bool
    updated: datetime
    slips: List[_Slip] = field(default_factory=list)


@dataclass
class _Slip:
    id: str
    person: _Person
    units: float  # hours (hourly staff) or 1 period of salary
    earnings: float
    tax: float
    deduction: float
    reimbursement: float
    retirement: float  # AU super, NZ KiwiSaver (employee), UK pension (as a deduction)
    employer: float  # employer's contribution / taxes
    updated: datetime

    @property
    def net(self) -> float:
        return round(self.earnings - self.tax - self.deduction + self.reimbursement, 2)


def payroll_counts(seed: int, tenant_index: int, scale: float) -> Dict[str, int]:
    """Employees (15-25 at scale 1, scaled) and pay runs (6-10) of one organisation."""
    key = f"{seed}/{tenant_index}"
    employees = max(2, round((15 + h64(key, "payroll", "employees") % 11) * scale))
    return {"employees": employees, "pay_runs": 6 + h64(key, "payroll", "pay_runs") % 5}


def build_book(seed: int, tenant_index: int, kind: str, anchor: datetime, scale: float = 1.0) -> Book:
    key = f"{seed}/{tenant_index}"
    counts = payroll_counts(seed, tenant_index, scale)
    anchor_day = anchor.date()
    if kind == AU:
        rounding = 1  # milliseconds kept: AU stamps are /Date(ms+0000)/
    else:
        rounding = 1000  # 2.0 stamps are written without a fraction of a second

    def stamp(rng: random.Random, days_back: float) -> datetime:
        ms = int((anchor - timedelta(days=days_back * rng.random())).timestamp() * 1000)
        return from_epoch_ms(ms - ms % rounding)

    def uid(stream: str, index: Any) -> str:
        return uuid_for(key, "payroll", stream, index)

    calendars = [
        _Calendar(
            uid("calendar", 0),
            "Weekly staff",
            True,
            anchor_day - timedelta(days=anchor_day.weekday() + 7 * 60),
            stamp(rng_for(key, "payroll", "calendar", 0), 700),
        ),
        _Calendar(
            uid("calendar", 1),
            "Monthly salaried",
            False,
            date(anchor_day.year - 2, anchor_day.month, 1),
            stamp(rng_for(key, "payroll", "calendar", 1), 700),
        ),
    ]
    people = [_person(key, kind, i, stamp, uid, anchor_day, len(calendars)) for i in range(counts["employees"])]
    runs = _runs(key, counts["pay_runs"], calendars, people, uid, anchor_day - timedelta(days=7))  # paid before the anchor
    if kind == AU:
        return _au_book(key, calendars, people, runs, uid, stamp)
    return _v2_book(key, kind, calendars, people, runs, uid, stamp)


# ---------------------------------------------------------------------------------------------- the plan


def _person(key: str, kind: str, i: int, stamp: Stamp, uid: Uid, today: date, calendars: int) -> _Person:
    rng = rng_for(key, "payroll", "employee", i)
    first, last = FIRST_NAMES[(i * 7 + 3) % len(FIRST_NAMES)], LAST_NAMES[(i * 5 + 1) % len(LAST_NAMES)]
    calendar = i % calendars
    hourly = calendar == 0
    start = today - timedelta(days=rng.randint(30, 2500)) if i % 6 else today - timedelta(days=rng.randint(400, 3000))
    end = (today - timedelta(days=rng.randint(100, 300))) if i % 9 == 8 else None
    if end is not None and end <= start:
        end = start + timedelta(days=60)
    created = stamp(rng, 900)
    updated = max(created, stamp(rng, 200))
    gender = "F" if rng.random() < 0.5 else "M"
    return _Person(
        id=uid("employee", i),
        first=first,
        last=last,
        title="Ms" if gender == "F" else "Mr",
        gender=gender,
        born=date(1960 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28)),
        start=start,
        end=end,
        calendar=calendar,
        hourly=hourly,
        rate=round(rng.uniform(24, 48), 2) if hourly else float(rng.randrange(55_000, 140_000, 500)),
        created=created,
        updated=updated,
        email=f"{first}.{last}.{i}@example.com".lower().replace(" ", ""),
        phone=f"0{rng.randint(200000000, 999999999)}",
        city=_CITIES[kind][i % len(_CITIES[kind])],
        street=f"{rng.randint(1, 250)} {LAST_NAMES[i % len(LAST_NAMES)]} Street",
        job=_JOBS[i % len(_JOBS)],
    )


def _runs(key: str, count: int, calendars: List[_Calendar], people: List[_Person], uid: Uid, today: date) -> List[_Run]:
    """`count` pay runs, alternating between the calendars, oldest first; the newest is a draft."""
    per_calendar = [(count + 1 - c) // len(calendars) for c in range(len(calendars))]
    runs: List[_Run] = []
    for c, calendar in enumerate(calendars):
        for k in range(per_calendar[c]):
            back = per_calendar[c] - k  # periods before the current one
            if calendar.weekly:
                end = today - timedelta(days=today.weekday() + 1 + 7 * (back - 1))
                start = end - timedelta(days=6)
            else:
                month = today.replace(day=1)
                for _ in range(back):
                    month = (month - timedelta(days=1)).replace(day=1)
                start = month
                end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            runs.append(_Run(uid("payrun", (c, k)), c, start, end, end + timedelta(days=2), True, datetime.min))
    runs.sort(key=lambda r: (r.end, r.calendar))
    for n, run in enumerate(runs):
        rng = rng_for(key, "payroll", "payrun", run.id)
        run.posted = n != len(runs) - 1
        paid_at = datetime.combine(run.payment, datetime.min.time(), tzinfo=people[0].updated.tzinfo)
        run.updated = paid_at + timedelta(hours=rng.randint(1, 30), milliseconds=rng.randint(0, 999))
        run.updated = run.updated.replace(microsecond=run.updated.microsecond - run.updated.microsecond % 1000)
        for person in people:
            if person.calendar != run.calendar or person.start > run.end or (person.end and person.end < run.start):
                continue
            run.slips.append(_slip(key, run, person, uid))
    return runs


def _slip(key: str, run: _Run, person: _Person, uid: Uid) -> _Slip:
    rng = rng_for(key, "payroll", "payslip", run.id, person.id)
    if person.hourly:
        units = float(rng.choice((16, 24, 30, 32.5, 38, 40, 40, 45)))
        earnings = round(units * person.rate, 2)
    else:
        units = 1.0
        earnings = round(person.rate / 12, 2)
    tax = round(earnings * rng.uniform(0.17, 0.3), 2)
    deduction = rng.choice((0.0, 0.0, 15.0, 25.5))
    reimbursement = rng.choice((0.0, 0.0, 0.0, 42.8, 18.5))
    return _Slip(
        uid("payslip", (run.id, person.id)),
        person,
        units,
        earnings,
        tax,
        deduction,
        reimbursement,
        round(earnings * 0.03, 2),
        round(earnings * 0.11, 2),
        run.updated,
    )


# ------------------------------------------------------------------------------------------------- AU 1.0

_AU_EARNINGS = (  # Name, EarningsType, RateType, TypeOfUnits
    ("Ordinary Hours", "ORDINARYTIMEEARNINGS", "RATEPERUNIT", "Hours"),
    ("Overtime Hours (exempt from super)", "OVERTIMEEARNINGS", "MULTIPLE", "Hours"),
    ("Salary", "ORDINARYTIMEEARNINGS", "RATEPERUNIT", "Period"),
    ("Travel Allowance", "ALLOWANCE", "FIXEDAMOUNT", None),
    ("Bonus", "BONUSESANDCOMMISSIONS", "FIXEDAMOUNT", None),
    ("Redundancy", "LUMPSUMD", "FIXEDAMOUNT", None),
)
_AU_DEDUCTIONS = (
    ("Union Fees", "850", False, "UNIONFEES"),
    ("Salary Sacrifice", "850", True, "NONE"),
    ("Workplace Giving", "850", False, "WORKPLACEGIVING"),
)
_AU_LEAVE = (
    ("Annual Leave", 152.0, 0.175, "ANNUALLEAVE"),
    ("Personal (Sick/Carer's) Leave", 76.0, 0.0, "PERSONALSICKCARERSLEAVE"),
    ("Long Service Leave", 0.0, 0.0, "LONGSERVICELEAVE"),
)
_AU_REIMBURSEMENTS = (("Travel Costs", "493"), ("Other Reimbursable Costs", "429"))


def _au_book(key: str, calendars: List[_Calendar], people: List[_Person], runs: List[_Run], uid: Uid, stamp: Stamp) -> Book:
    rng = rng_for(key, "payroll", "au-items")
    earnings = [
        dict(
            _drop_none(
                {
                    "EarningsRateID": uid("earnings", i),
                    "Name": name,
                    "AccountCode": "477",
                    "TypeOfUnits": units,
                    "IsExemptFromTax": kind == "LUMPSUMD",
                    "IsExemptFromSuper": i in (1, 5),
                    "IsReportableAsW1": True,
                    "IsQualifyingEarnings": kind == "ORDINARYTIMEEARNINGS",
                    "AllowanceContributesToAnnualLeaveRate": False,
                    "AllowanceContributesToOvertimeRate": False,
                    "EarningsType": kind,
                    "RateType": rate,
                    # RatePerUnit is a string in the AU spec, a number in its example: left out, as Xero does for a rate
                    # whose amount each pay template states.
                    "Multiplier": 1.5 if rate == "MULTIPLE" else None,
                    "Amount": 120.0 if rate == "FIXEDAMOUNT" else None,
                    "AccrueLeave": rate == "RATEPERUNIT",
                    "AllowanceType": "TRAVEL" if kind == "ALLOWANCE" else None,
                    "UpdatedDateUTC": stamp(rng, 800),
                    "CurrentRecord": True,
                }
            )
        )
        for i, (name, kind, rate, units) in enumerate(_AU_EARNINGS)
    ]
    deductions = [
        {
            "DeductionTypeID": uid("deduction", i),
            "Name": name,
            "AccountCode": code,
            "ReducesTax": reduces,
            "ReducesSuper": reduces,
            "IsExemptFromW1": False,
            "DeductionCategory": category,
            "UpdatedDateUTC": stamp(rng, 800),
            "CurrentRecord": True,
        }
        for i, (name, code, reduces, category) in enumerate(_AU_DEDUCTIONS)
    ]
    leave_types = [
        {
            "LeaveTypeID": uid("leavetype", i),
            "Name": name,
            "TypeOfUnits": "Hours",
            "NormalEntitlement": entitlement,
            "LeaveLoadingRate": loading,
            "IsPaidLeave": True,
            "IsQualifyingEarnings": i == 0,
            "SGCExempt": False,
            "ShowOnPayslip": i == 0,
            "CurrentRecord": True,
            "LeaveCategoryCode": code,
            "UpdatedDateUTC": stamp(rng, 800),
        }
        for i, (name, entitlement, loading, code) in enumerate(_AU_LEAVE)
    ]
    reimbursements = [
        {
            "ReimbursementTypeID": uid("reimbursement", i),
            "Name": name,
            "AccountCode": code,
            "UpdatedDateUTC": stamp(rng, 800),
            "CurrentRecord": True,
        }
        for i, (name, code) in enumerate(_AU_REIMBURSEMENTS)
    ]
    ordinary, salary = earnings[0]["EarningsRateID"], earnings[2]["EarningsRateID"]

    au_calendars = [
        {
            "PayrollCalendarID": c.id,
            "Name": c.name,
            "CalendarType": "WEEKLY" if c.weekly else "MONTHLY",
            "StartDate": c.start,
            "PaymentDate": c.start + timedelta(days=8 if c.weekly else 32),
            "ReferenceDate": c.start,
            "UpdatedDateUTC": c.updated,
        }
        for c in calendars
    ]
    employees = []
    for i, p in enumerate(people):
        city, region, post = p.city
        employees.append(
            _drop_none(
                {
                    "EmployeeID": p.id,
                    "Title": p.title,
                    "FirstName": p.first,
                    "LastName": p.last,
                    "Status": "TERMINATED" if p.end else "ACTIVE",
                    "Email": p.email,
                    "DateOfBirth": p.born,
                    "Gender": p.gender,
                    "Phone": p.phone,
                    "Mobile": f"04{p.phone[-8:]}",
                    "StartDate": p.start,
                    "TerminationDate": p.end,
                    "JobTitle": p.job,
                    "OrdinaryEarningsRateID": ordinary if p.hourly else salary,
                    "PayrollCalendarID": calendars[p.calendar].id,
                    "HomeAddress": {
                        "AddressLine1": p.street,
                        "City": city,
                        "Region": region,
                        "PostalCode": post,
                        "Country": _COUNTRY_NAME[AU],
                    },
                    "IsAuthorisedToApproveLeave": i % 5 == 0,
                    "IsAuthorisedToApproveTimesheets": i % 5 == 0,
                    "IsSTP2Qualified": True,
                    "UpdatedDateUTC": p.updated,
                }
            )
        )

    pay_runs, payslips, run_payslips, payslip_run = [], [], {}, {}
    for run in runs:
        totals = {
            k: round(sum(getattr(s, a) for s in run.slips), 2)
            for k, a in (
                ("Wages", "earnings"),
                ("Deductions", "deduction"),
                ("Tax", "tax"),
                ("Super", "employer"),
                ("Reimbursement", "reimbursement"),
            )
        }
        pay_runs.append(
            {
                "PayRunID": run.id,
                "PayrollCalendarID": calendars[run.calendar].id,
                "PayRunPeriodStartDate": run.start,
                "PayRunPeriodEndDate": run.end,
                "PaymentDate": run.payment,
                **totals,
                "NetPay": round(sum(s.net for s in run.slips), 2),
                "PayRunStatus": "POSTED" if run.posted else "DRAFT",
                "UpdatedDateUTC": run.updated,
            }
        )
        summaries = []
        for s in run.slips:
            p = s.person
            money = {
                "Wages": s.earnings,
                "Deductions": s.deduction,
                "Tax": s.tax,
                "Super": s.employer,
                "Reimbursements": s.reimbursement,
                "NetPay": s.net,
            }
            summaries.append(
                {
                    "EmployeeID": p.id,
                    "PayslipID": s.id,
                    "FirstName": p.first,
                    "LastName": p.last,
                    "EmployeeGroup": p.job,
                    **money,
                    "UpdatedDateUTC": s.updated,
                }
            )
            srng = rng_for(key, "payroll", "au-lines", s.id)
            payslips.append(
                {
                    "EmployeeID": p.id,
                    "PayslipID": s.id,
                    "FirstName": p.first,
                    "LastName": p.last,
                    **money,
                    "EarningsLines": [
                        {
                            "EarningsRateID": ordinary if p.hourly else salary,
                            "RatePerUnit": p.rate if p.hourly else s.earnings,
                            "NumberOfUnits": s.units,
                        }
                    ],
                    "LeaveEarningsLines": (
                        [{"EarningsRateID": ordinary, "RatePerUnit": p.rate, "NumberOfUnits": 7.6, "PayOutType": "DEFAULT"}]
                        if p.hourly and srng.random() < 0.2
                        else []
                    ),
                    "TimesheetEarningsLines": [],
                    "DeductionLines": (
                        [
                            {
                                "DeductionTypeID": deductions[0]["DeductionTypeID"],
                                "CalculationType": "FIXEDAMOUNT",
                                "Amount": s.deduction,
                            }
                        ]
                        if s.deduction
                        else []
                    ),
                    "LeaveAccrualLines": [
                        {
                            "LeaveTypeID": leave_types[0]["LeaveTypeID"],
                            "NumberOfUnits": round(s.units * 0.0769, 4),
                            "AutoCalculate": True,
                        }
                    ],
                    "ReimbursementLines": (
                        [
                            {
                                "ReimbursementTypeID": reimbursements[0]["ReimbursementTypeID"],
                                "Description": "Travel",
                                "ExpenseAccount": "493",
                                "Amount": s.reimbursement,
                            }
                        ]
                        if s.reimbursement
                        else []
                    ),
                    "SuperannuationLines": [
                        {
                            "SuperMembershipID": uid("supermembership", p.id),
                            "ContributionType": "SGC",
                            "CalculationType": "STATUTORY",
                            "MinimumMonthlyEarnings": 450.0,
                            "ExpenseAccountCode": "478",
                            "LiabilityAccountCode": "826",
                            "PaymentDateForThisPeriod": run.payment + timedelta(days=28),
                            "Amount": s.employer,
                        }
                    ],
                    "TaxLines": [
                        {
                            "PayslipTaxLineID": uid("taxline", s.id),
                            "TaxTypeName": "PAYG Tax",
                            "Description": "Tax file number provided (Australian resident)",
                            "Amount": s.tax,
                            "LiabilityAccount": "825",
                        }
                    ],
                    "UpdatedDateUTC": s.updated,
                }
            )
            payslip_run[s.id] = run.id
        run_payslips[run.id] = summaries

    timesheets = []
    for n, (run, s) in enumerate(_timesheet_slips(runs)):
        days = _spread(s.units)
        timesheets.append(
            {
                "TimesheetID": uid("timesheet", n),
                "EmployeeID": s.person.id,
                "StartDate": run.start,
                "EndDate": run.end,
                "Status": "PROCESSED" if run.posted else "APPROVED",
                "Hours": s.units,
                "TimesheetLines": [{"EarningsRateID": ordinary, "NumberOfUnits": days, "UpdatedDateUTC": s.updated}],
                "UpdatedDateUTC": s.updated,
            }
        )
    leave = []
    for n, (p, start, length, lrng) in enumerate(_leave_plan(key, people)):
        end = start + timedelta(days=length - 1)
        leave.append(
            {
                "LeaveApplicationID": uid("leave", n),
                "EmployeeID": p.id,
                "LeaveTypeID": leave_types[n % 2]["LeaveTypeID"],
                "Title": ("Holiday", "Sick leave")[n % 2],
                "StartDate": start,
                "EndDate": end,
                "Description": f"{length} days",
                "PayOutType": "DEFAULT",
                "LeavePeriods": [
                    {
                        "PayPeriodStartDate": start,
                        "PayPeriodEndDate": end,
                        "NumberOfUnits": 7.6 * length,
                        "LeavePeriodStatus": "PROCESSED" if start < p.updated.date() else "SCHEDULED",
                    }
                ],
                "UpdatedDateUTC": stamp(lrng, 300),
            }
        )
    pay_items = {
        "EarningsRates": earnings,
        "DeductionTypes": deductions,
        "LeaveTypes": leave_types,
        "ReimbursementTypes": reimbursements,
    }
    return Book(
        AU,
        {
            EMPLOYEES: employees,
            PAY_RUNS: pay_runs,
            PAYSLIPS: payslips,
            TIMESHEETS: timesheets,
            LEAVE: leave,
            PAY_ITEMS: earnings,
            CALENDARS: au_calendars,
        },
        pay_items=pay_items,
        run_payslips=run_payslips,
        payslip_run=payslip_run,
    )


# ------------------------------------------------------------------------------------------ NZ and UK 2.0

_V2_EARNINGS = {  # name, earningsType, rateType, typeOfUnits
    NZ: (
        ("Ordinary Time", "RegularEarnings", "RatePerUnit", "Hours"),
        ("Salary", "RegularEarnings", "RatePerUnit", "Period"),
        ("Overtime", "OvertimeEarnings", "MultipleOfOrdinaryEarningsRate", "Hours"),
        ("Holiday Pay", "HolidayPay", "FixedAmount", "Fixed Amount"),
        ("Bonus", "Bonus", "FixedAmount", "Fixed Amount"),
    ),
    UK: (
        ("Regular Hours", "RegularEarnings", "RatePerUnit", "Hours"),
        ("Salary", "RegularEarnings", "RatePerUnit", "Period"),
        ("Overtime Hours", "OvertimeEarnings", "MultipleOfOrdinaryEarningsRate", "Hours"),
        ("Statutory Sick Pay", "StatutorySickPay", "FixedAmount", "Fixed Amount"),
        ("Bonus", "Bonus", "FixedAmount", "Fixed Amount"),
    ),
}


def _v2_book(
    key: str, kind: str, calendars: List[_Calendar], people: List[_Person], runs: List[_Run], uid: Uid, stamp: Stamp
) -> Book:
    rng = rng_for(key, "payroll", "v2-items")
    wages_account = uuid_for(key, "accounts", _WAGES_ACCOUNT)  # the organisation's own 477 account (Accounting API)
    earnings = []
    for i, (name, etype, rtype, units) in enumerate(_V2_EARNINGS[kind]):
        earnings.append(
            _drop_none(
                {
                    "earningsRateID": uid("earnings", i),
                    "name": name,
                    "earningsType": etype,
                    "rateType": rtype,
                    "typeOfUnits": units,
                    "currentRecord": True,
                    "expenseAccountID": wages_account,
                    "ratePerUnit": round(rng.uniform(22, 30), 2) if rtype == "RatePerUnit" and units == "Hours" else None,
                    "multipleOfOrdinaryEarningsRate": 1.5 if rtype == "MultipleOfOrdinaryEarningsRate" else None,
                    "fixedAmount": 100.0 if rtype == "FixedAmount" else None,
                }
            )
        )
    ordinary, salary = earnings[0]["earningsRateID"], earnings[1]["earningsRateID"]
    leave_type_ids = [uid("leavetype", i) for i in range(2)]
    v2_calendars = [
        {
            "payrollCalendarID": c.id,
            "name": c.name,
            "calendarType": "Weekly" if c.weekly else "Monthly",
            "periodStartDate": c.start,
            "periodEndDate": c.start + timedelta(days=6 if c.weekly else 30),
            "paymentDate": c.start + timedelta(days=8 if c.weekly else 32),
            "updatedDateUTC": c.updated,
        }
        for c in calendars
    ]

    employees = []
    for i, p in enumerate(people):
        city, suburb, post = p.city
        record = {
            "employeeID": p.id,
            "title": p.title,
            "firstName": p.first,
            "lastName": p.last,
            "dateOfBirth": p.born,
            "address": _drop_none(
                {
                    "addressLine1": p.street,
                    "city": city,
                    "suburb": suburb if kind == NZ else None,
                    "postCode": post,
                    "countryName": _COUNTRY_NAME[kind],
                }
            ),
            "email": p.email,
            "gender": p.gender,
            "phoneNumber": p.phone,
            "startDate": p.start,
            "endDate": p.end,
            "payrollCalendarID": calendars[p.calendar].id,
            "updatedDateUTC": p.updated,
            "createdDateUTC": p.created,
        }
        if kind == NZ:
            record.update(
                jobTitle=p.job, engagementType="Casual" if p.hourly and i % 4 == 0 else "Permanent", fixedTermEndDate=None
            )
        else:
            record.update(
                niCategory="A",
                nationalInsuranceNumber=f"QQ{123456 + i:06d}C",
                isOffPayrollWorker=False,
                contracts=[
                    {
                        "startDate": p.start,
                        "employmentStatus": "Employee",
                        "contractType": "PartTime" if p.hourly else "FullTime",
                        "isFixedTerm": False,
                    }
                ],
            )
        employees.append(record)

    pay_runs, payslips, payslip_run = [], [], {}
    for run in runs:
        employer_total = sum(s.employer for s in run.slips)
        pay_runs.append(
            {
                "payRunID": run.id,
                "payrollCalendarID": calendars[run.calendar].id,
                "periodStartDate": run.start,
                "periodEndDate": run.end,
                "paymentDate": run.payment,
                "totalCost": round(sum(s.earnings + s.reimbursement for s in run.slips) + employer_total, 2),
                "totalPay": round(sum(s.net for s in run.slips), 2),
                "payRunStatus": "Posted" if run.posted else "Draft",
                "payRunType": "Scheduled",
                "calendarType": "Weekly" if calendars[run.calendar].weekly else "Monthly",
                "postedDateTime": run.updated.replace(microsecond=0) if run.posted else None,
            }
        )
        for s in run.slips:
            payslips.append(_v2_payslip(kind, run, s, ordinary, salary, leave_type_ids[0], uid))
            payslip_run[s.id] = run.id

    timesheets = []
    for n, (run, s) in enumerate(_timesheet_slips(runs)):
        days = _spread(s.units)
        timesheets.append(
            {
                "timesheetID": uid("timesheet", n),
                "payrollCalendarID": calendars[run.calendar].id,
                "employeeID": s.person.id,
                "startDate": run.start,
                "endDate": run.end,
                "status": "Completed" if run.posted else "Approved",
                "totalHours": s.units,
                "updatedDateUTC": s.updated.replace(microsecond=0),
                "timesheetLines": [
                    {
                        "timesheetLineID": uid("timesheetline", (n, d)),
                        "date": run.start + timedelta(days=d),
                        "earningsRateID": ordinary,
                        "numberOfUnits": hours,
                    }
                    for d, hours in enumerate(days)
                    if hours
                ],
            }
        )
    leave: List[dict] = []
    leave_of: Dict[str, List[dict]] = {}
    for n, (p, start, length, lrng) in enumerate(_leave_plan(key, people)):
        end = start + timedelta(days=length - 1)
        period = _drop_none(
            {
                "periodStartDate": start,
                "periodEndDate": end,
                "numberOfUnits": 7.5 * length,
                "periodStatus": "Completed" if start < p.updated.date() else "Approved",
                "typeOfUnits": "Hours" if kind == NZ else None,
            }
        )
        record = {
            "leaveID": uid("leave", n),
            "leaveTypeID": leave_type_ids[n % 2],
            "description": ("Holiday", "Sick leave")[n % 2] + f", {length} days",
            "startDate": start,
            "endDate": end,
            "periods": [period],
            "updatedDateUTC": stamp(lrng, 300),
        }
        leave.append(record)
        leave_of.setdefault(p.id, []).append(record)
    return Book(
        kind,
        {
            EMPLOYEES: employees,
            PAY_RUNS: pay_runs,
            PAYSLIPS: payslips,
            TIMESHEETS: timesheets,
            LEAVE: leave,
            PAY_ITEMS: earnings,
            CALENDARS: v2_calendars,
        },
        payslip_run=payslip_run,
        leave_of=leave_of,
    )


def _v2_payslip(kind: str, run: _Run, s: _Slip, ordinary: str, salary: str, leave_type: str, uid: Uid) -> dict:
    p = s.person
    rate = p.rate if p.hourly else s.earnings
    earning = {
        "earningsLineID": uid("earningsline", s.id),
        "earningsRateID": ordinary if p.hourly else salary,
        "displayName": "Ordinary Time" if p.hourly else "Salary",
        "ratePerUnit": rate,
        "numberOfUnits": s.units,
        "fixedAmount": None,
        "amount": s.earnings,
        "isLinkedToTimesheet": p.hourly,
        "isAverageDailyPayRate": False,
    }
    if kind == NZ:
        earning["isSystemGenerated"] = False
    employee_tax = {
        "taxLineID": uid("taxline", (s.id, 0)),
        "description": "PAYE" if kind == NZ else "Income Tax",
        "amount": s.tax,
        "globalTaxTypeID": "11" if kind == NZ else "0",
        "manualAdjustment": False,
    }
    employer_tax = {
        "taxLineID": uid("taxline", (s.id, 1)),
        "description": "ACC Levy" if kind == NZ else "Employer NI",
        "amount": s.employer,
        "globalTaxTypeID": "14" if kind == NZ else "5",
        "manualAdjustment": False,
    }
    if kind == UK:
        employee_tax["isEmployerTax"], employer_tax["isEmployerTax"] = False, True
    record = {
        "paySlipID": s.id,
        "employeeID": p.id,
        "payRunID": run.id,
        "lastEdited": s.updated.replace(microsecond=0),
        "firstName": p.first,
        "lastName": p.last,
        "totalEarnings": s.earnings,
        "grossEarnings": s.earnings,
        "totalPay": s.net,
        "totalEmployerTaxes": s.employer if kind == UK else 0.0,
        "totalEmployeeTaxes": s.tax,
        "totalDeductions": s.deduction,
        "totalReimbursements": s.reimbursement,
    }
    if kind == NZ:
        record.update(totalStatutoryDeductions=s.retirement, totalSuperannuation=s.employer)
    else:
        record.update(totalCourtOrders=0.0, totalBenefits=0.0)
    record.update(
        {
            "bacsHash": None,
            "paymentMethod": "Electronically",
            "earningsLines": [earning],
            "leaveEarningsLines": [],
            "timesheetEarningsLines": [],
            "deductionLines": (
                [
                    {"deductionTypeID": uid("deduction", 0), "amount": s.deduction, "subjectToTax": False, "percentage": None}
                    | ({"displayName": "Union Fees"} if kind == NZ else {})
                ]
                if s.deduction
                else []
            ),
            "reimbursementLines": (
                [{"reimbursementTypeID": uid("reimbursement", 0), "description": "Travel", "amount": s.reimbursement}]
                if s.reimbursement
                else []
            ),
            "leaveAccrualLines": [{"leaveTypeID": leave_type, "numberOfUnits": round(s.units * 0.08, 4)}],
        }
    )
    if kind == NZ:
        record["superannuationLines"] = [
            {
                "superannuationTypeID": uid("superannuation", 0),
                "displayName": "KiwiSaver",
                "amount": s.employer,
                "fixedAmount": None,
                "percentage": 3.0,
                "manualAdjustment": False,
            }
        ]
    else:
        record["benefitLines"] = []
    record.update(
        {
            "paymentLines": [
                {
                    "paymentLineID": uid("paymentline", s.id),
                    "amount": s.net,
                    "accountNumber": None,
                    "sortCode": None,
                    "accountName": None,
                }
            ],
            "employeeTaxLines": [employee_tax],
            "employerTaxLines": [employer_tax],
        }
    )
    if kind == NZ:
        record.update(
            statutoryDeductionLines=[
                {
                    "statutoryDeductionTypeID": uid("statutorydeduction", 0),
                    "amount": s.retirement,
                    "fixedAmount": None,
                    "manualAdjustment": False,
                }
            ],
            taxSettings={
                "periodUnits": 1.0,
                "periodType": "weeks" if p.hourly else "months",
                "taxCode": "M",
                "specialTaxRate": None,
                "lumpSumTaxCode": None,
                "lumpSumAmount": None,
            },
            grossEarningsHistory={"daysPaid": 5 if p.hourly else 21, "unpaidWeeks": 0},
        )
    else:
        record["courtOrderLines"] = []
    return record


# ------------------------------------------------------------------------------------------------ shared


def _timesheet_slips(runs: List[_Run]) -> List[Tuple[_Run, _Slip]]:
    """The hourly staff's payslips of the last two weekly pay runs: a timesheet each."""
    weekly = [run for run in runs if run.calendar == 0][-2:]
    return [(run, s) for run in weekly for s in run.slips if s.person.hourly]


def _spread(hours: float) -> List[float]:
    """A week's hours over Monday..Sunday, weekdays first."""
    days, left = [], hours
    for _ in range(7):
        today = min(8.0, left)
        days.append(today)
        left = round(left - today, 2)
    return days


def _leave_plan(key: str, people: List[_Person]) -> Iterator[Tuple[_Person, date, int, random.Random]]:
    """About one leave application for every second employee."""
    for i, p in enumerate(people):
        if i % 2:
            continue
        rng = rng_for(key, "payroll", "leave", i)
        start = p.updated.date() - timedelta(days=rng.randint(-40, 160))
        yield p, start, rng.randint(1, 10), rng


def _drop_none(record: dict) -> dict:
    return {k: v for k, v in record.items() if v is not None}
