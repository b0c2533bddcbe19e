"""Contacts: the fullest shape (addresses, phones, persons, groups, balances, payment terms)."""

from __future__ import annotations

from .common import CITIES, FIRST_NAMES, LAST_NAMES, STREETS, contact_name, maybe, money
from .reference import contact_group_name

ARCHIVED_EVERY = 12  # one contact in twelve is ARCHIVED (only listed with includeArchived=true)


def is_archived(index: int) -> bool:
    return index % ARCHIVED_EVERY == 5


def contact(ctx, i, rng, stamp):
    name = contact_name(ctx.key, i)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, region, postcode = rng.choice(CITIES)
    supplier, customer = rng.random() < 0.4, rng.random() < 0.8
    groups = ctx.count("contact_groups")
    record = {
        "ContactID": ctx.pk("contacts", i),
        "ContactNumber": maybe(rng, 0.5, f"C-{i:05d}"),
        "AccountNumber": maybe(rng, 0.3, f"ACC{i:05d}"),
        "ContactStatus": "ARCHIVED" if is_archived(i) else "ACTIVE",
        "Name": name,
        "FirstName": first,
        "LastName": last,
        "CompanyNumber": maybe(rng, 0.2, str(rng.randint(100000, 999999))),
        "EmailAddress": f"{first.lower()}.{last.lower().replace(' ', '')}{i}@example.com" if i % 9 else "",
        "ContactPersons": [
            {"FirstName": rng.choice(FIRST_NAMES), "LastName": rng.choice(LAST_NAMES),
             "EmailAddress": f"person{k}.{i}@example.com", "IncludeInEmails": k == 0}
            for k in range(rng.choice((0, 0, 1, 2)))
        ],
        "BankAccountDetails": maybe(rng, 0.3, f"01-0{i % 9}00-{rng.randint(1000000, 9999999)}-00"),
        "TaxNumber": maybe(rng, 0.4, f"{rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}"),
        "AccountsReceivableTaxType": "OUTPUT2" if customer else None,
        "AccountsPayableTaxType": "INPUT2" if supplier else None,
        "Addresses": [
            {"AddressType": "POBOX", "AddressLine1": f"PO Box {rng.randint(1, 9999)}", "City": city,
             "Region": region, "PostalCode": postcode, "Country": "New Zealand", "AttentionTo": maybe(rng, 0.3, first)},
            {"AddressType": "STREET", "AddressLine1": f"{rng.randint(1, 400)} {rng.choice(STREETS)}",
             "AddressLine2": maybe(rng, 0.3, f"Level {rng.randint(1, 30)}"), "City": city, "Region": region,
             "PostalCode": postcode, "Country": "New Zealand"},
        ],
        "Phones": [
            {"PhoneType": "DEFAULT", "PhoneNumber": f"{rng.randint(2000000, 9999999)}", "PhoneAreaCode": "09", "PhoneCountryCode": "64"},
            {"PhoneType": "DDI", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""},
            {"PhoneType": "MOBILE", "PhoneNumber": f"{rng.randint(2000000, 9999999)}", "PhoneAreaCode": "021", "PhoneCountryCode": "64"},
            {"PhoneType": "FAX", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""},
        ],
        "IsSupplier": supplier,
        "IsCustomer": customer,
        "DefaultCurrency": ctx.tenant.currency if i % 23 else "AUD",
        "UpdatedDateUTC": stamp,
        "ContactGroups": [
            {"ContactGroupID": ctx.pk("contact_groups", g), "Name": contact_group_name(g), "Status": "ACTIVE"}
            for g in sorted({rng.randrange(groups) for _ in range(rng.choice((0, 0, 1, 2)))})
        ] if groups else [],
        "HasAttachments": rng.random() < 0.05,
        "HasValidationErrors": False,
        "Balances": {
            "AccountsReceivable": {"Outstanding": money(rng, 0, 5000), "Overdue": money(rng, 0, 800)},
            "AccountsPayable": {"Outstanding": money(rng, 0, 3000), "Overdue": 0.0},
        } if customer or supplier else None,
        "PaymentTerms": {"Sales": {"Day": 20, "Type": "OFFOLLOWINGMONTH"}} if i % 4 == 0 else None,
        "SalesDefaultAccountCode": "200" if customer else None,
        "PurchasesDefaultAccountCode": "429" if supplier else None,
        "Website": maybe(rng, 0.2, f"https://www.example{i}.co.nz"),
    }
    return record
