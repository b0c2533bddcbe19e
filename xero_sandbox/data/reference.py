"""Settings-like records: accounts, tax rates, tracking categories, currencies, branding themes,
the organisation, items, users, employees and contact groups.

Each generator is `make(ctx, i, rng, stamp) -> record`; `stamp` is the record's timestamp as the
store holds it (None for streams without one).
"""

from __future__ import annotations

from datetime import date

from .common import FIRST_NAMES, LAST_NAMES, contact_name, long_text, maybe, money, sentence

# (Code, Name, Type, Class, TaxType, SystemAccount)
CHART = (
    ("090", "Business Bank Account", "BANK", "ASSET", "NONE", None),
    ("091", "Business Savings Account", "BANK", "ASSET", "NONE", None),
    ("092", "Company Credit Card", "BANK", "ASSET", "NONE", None),
    ("200", "Sales", "REVENUE", "REVENUE", "OUTPUT2", None),
    ("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT2", None),
    ("270", "Interest Income", "REVENUE", "REVENUE", "NONE", None),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT2", None),
    ("400", "Advertising", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("404", "Bank Fees", "OVERHEADS", "EXPENSE", "NONE", None),
    ("408", "Cleaning", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("412", "Consulting & Accounting", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("416", "Depreciation", "DEPRECIATN", "EXPENSE", "NONE", None),
    ("420", "Entertainment", "OVERHEADS", "EXPENSE", "NONE", None),
    ("425", "Freight & Courier", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("429", "General Expenses", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("433", "Insurance", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("437", "Interest Expense", "OVERHEADS", "EXPENSE", "NONE", None),
    ("441", "Legal expenses", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("445", "Light, Power, Heating", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("449", "Motor Vehicle Expenses", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("453", "Office Expenses", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("461", "Printing & Stationery", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("469", "Rent", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("473", "Repairs and Maintenance", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("477", "Wages and Salaries", "OVERHEADS", "EXPENSE", "NONE", None),
    ("485", "Subscriptions", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("489", "Telephone & Internet", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("493", "Travel - National", "OVERHEADS", "EXPENSE", "INPUT2", None),
    ("494", "Travel - International", "OVERHEADS", "EXPENSE", "NONE", None),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "DEBTORS"),
    ("620", "Prepayments", "CURRENT", "ASSET", "NONE", None),
    ("630", "Inventory", "INVENTORY", "ASSET", "NONE", None),
    ("710", "Office Equipment", "FIXED", "ASSET", "INPUT2", None),
    ("720", "Computer Equipment", "FIXED", "ASSET", "INPUT2", None),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "CREDITORS"),
    ("820", "GST", "CURRLIAB", "LIABILITY", "NONE", "GST"),
    ("900", "Loan", "TERMLIAB", "LIABILITY", "NONE", None),
    ("960", "Retained Earnings", "EQUITY", "EQUITY", "NONE", "RETAINEDEARNINGS"),
    ("970", "Owner A Funds Introduced", "EQUITY", "EQUITY", "NONE", None),
)
_BANK_TYPES = ("BANK", "BANK", "CREDITCARD")


def account(ctx, i, rng, stamp):
    if i < len(CHART):
        code, name, kind, klass, tax, system = CHART[i]
    else:
        code, name, kind, klass, tax, system = (
            f"5{i:02d}", f"Expense category {i} – {sentence(rng, 1, 2)}", "EXPENSE", "EXPENSE", "INPUT2", None,
        )
    bank = kind == "BANK"
    record = {
        "AccountID": ctx.pk("accounts", i),
        "Code": code,
        "Name": name,
        "Status": "ARCHIVED" if i >= len(CHART) and i % 7 == 0 else "ACTIVE",
        "Type": kind,
        "TaxType": tax,
        "Class": klass,
        "EnablePaymentsToAccount": bank or rng.random() < 0.1,
        "ShowInExpenseClaims": kind in ("OVERHEADS", "EXPENSE") and rng.random() < 0.5,
        "ReportingCode": f"{klass[:3]}.{code}",
        "ReportingCodeName": name,
        "HasAttachments": False,
        "AddToWatchlist": rng.random() < 0.1,
        "UpdatedDateUTC": stamp,
    }
    if bank:
        record["BankAccountNumber"] = f"12-3{i}45-{rng.randint(1000000, 9999999)}-00"
        record["BankAccountType"] = _BANK_TYPES[i % 3]
        record["CurrencyCode"] = ctx.tenant.currency
    if system:
        record["SystemAccount"] = system
    record["Description"] = maybe(rng, 0.4, sentence(rng))
    return record


# (Name, TaxType, rate, ReportTaxType, components)
TAX_RATES = (
    ("GST on Expenses", "INPUT2", 15.0, "INPUT"),
    ("GST on Income", "OUTPUT2", 15.0, "OUTPUT"),
    ("No GST", "NONE", 0.0, "NONE"),
    ("Zero Rated", "ZERORATED", 0.0, "ZERORATEDOUTPUT"),
    ("Zero Rated Purchases", "ZERORATEDINPUT", 0.0, "ZERORATEDINPUT"),
    ("Exempt Expenses", "EXEMPTINPUT", 0.0, "EXEMPTINPUT"),
    ("Exempt Income", "EXEMPTOUTPUT", 0.0, "EXEMPTOUTPUT"),
    ("GST on Imports", "GSTONIMPORTS", 0.0, "GSTONIMPORTS"),
    ("BAS Excluded", "BASEXCLUDED", 0.0, "BASEXCLUDED"),
    ("Fuel levy (compound) ⛽", "TAX001", 17.5, "OUTPUT"),
    ("Tourism levy", "TAX002", 2.5, "OUTPUT"),
    ("Old regional tax", "TAX003", 12.5, "INPUT"),
)


def tax_rate(ctx, i, rng, stamp):
    if i < len(TAX_RATES):
        name, tax_type, rate, report = TAX_RATES[i]
    else:
        name, tax_type, rate, report = f"Custom tax {i}", f"TAX{i + 1:03d}", float(i % 20), "OUTPUT"
    components = [{"Name": "GST", "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}]
    if tax_type == "TAX001":
        components = [
            {"Name": "GST", "Rate": 15.0, "IsCompound": False, "IsNonRecoverable": False},
            {"Name": "Fuel levy", "Rate": 2.5, "IsCompound": True, "IsNonRecoverable": False},
        ]
    return {
        "Name": name,
        "TaxType": tax_type,
        "ReportTaxType": report,
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": report.endswith("INPUT") or report == "NONE",
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": report.endswith("OUTPUT") or report == "NONE",
        "DisplayTaxRate": rate,
        "EffectiveRate": rate,
        "Status": "ARCHIVED" if tax_type == "TAX003" else "ACTIVE",
        "TaxComponents": components,
    }


_TRACKING = (
    ("Region", "ACTIVE", ("North", "South", "Ōtautahi", "Te Whanganui-a-Tara", "Overseas 🌏")),
    ("Department", "ACTIVE", ("Sales", "Operations", "R&D", "Admin")),
    ("Project 🚀 (old)", "ARCHIVED", ("Apollo", "Gemini")),
    ("Cost Centre", "ACTIVE", ("CC-100", "CC-200", "CC-300 (closed)")),
)
# Every other organisation: a "Region" and a "Department" of its own (same names, other ids, other options), and
# no "Cost Centre" (a "Channel" instead). Tracking categories belong to one organisation in Xero: a connection of
# several organisations meets exactly this, the same name with different ids, and a name one of them lacks.
_TRACKING_ELSEWHERE = (
    ("Region", "ACTIVE", ("East", "West", "Central", "Overseas 🌏")),
    ("Department", "ACTIVE", ("Sales", "Support", "Admin")),
    ("Project 🚀 (old)", "ARCHIVED", ("Apollo",)),
    ("Channel", "ACTIVE", ("Online", "Retail")),
)


def tracking_category(ctx, i, rng, stamp):
    categories = _TRACKING if ctx.tenant.index == 0 else _TRACKING_ELSEWHERE
    name, status, options = categories[i % len(categories)]
    if i >= len(categories):
        name = f"{name} {i}"
    category_id = ctx.pk("tracking_categories", i)
    return {
        "TrackingCategoryID": category_id,
        "Name": name,
        "Status": status,
        "Options": [
            {
                "TrackingOptionID": ctx.pk(f"tracking-option-{i}", k),
                "Name": option,
                "Status": "ARCHIVED" if option.endswith("(closed)") else "ACTIVE",
                "TrackingCategoryID": category_id,
            }
            for k, option in enumerate(options)
        ],
    }


CURRENCIES = (
    ("NZD", "New Zealand Dollar"), ("USD", "United States Dollar"), ("AUD", "Australian Dollar"),
    ("EUR", "Euro"), ("GBP", "British Pound"), ("JPY", "Japanese Yen"), ("CHF", "Swiss Franc"),
    ("FJD", "Fiji Dollar"), ("CAD", "Canadian Dollar"), ("SGD", "Singapore Dollar"),
)


def currency_codes(ctx):
    base = ctx.tenant.currency
    return [base] + [code for code, _ in CURRENCIES if code != base]


def currency(ctx, i, rng, stamp):
    code = currency_codes(ctx)[i]
    return {"Code": code, "Description": dict(CURRENCIES).get(code, code)}


_THEMES = ("Standard", "Very old theme (1969)", "Très Élégant ✨", "Special Projects")


def branding_theme(ctx, i, rng, stamp):
    return {
        "BrandingThemeID": ctx.pk("branding_themes", i),
        "Name": _THEMES[i] if i < len(_THEMES) else f"Theme {i}",
        "LogoUrl": maybe(rng, 0.5, f"https://in.xero.com/logo?id={ctx.pk('logo', i)}"),
        "Type": "INVOICE",
        "SortOrder": i,
        "CreatedDateUTC": stamp,
    }


def organisation(ctx, i, rng, stamp):
    tenant = ctx.tenant
    return {
        "OrganisationID": tenant.tenant_id,
        "APIKey": None,
        "Name": tenant.name,
        "LegalName": f"{tenant.name} Limited",
        "PaysTax": True,
        "Version": tenant.version,
        "OrganisationType": "COMPANY",
        "BaseCurrency": tenant.currency,
        "CountryCode": tenant.country,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "RegistrationNumber": f"{rng.randint(1000000, 9999999)}",
        "TaxNumber": f"{rng.randint(100, 999)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3,
        "SalesTaxBasis": "INVOICE",
        "SalesTaxPeriod": "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Inclusive",
        "PeriodLockDate": date(2024, 3, 31),
        "EndOfYearLockDate": date(2023, 3, 31),
        "CreatedDateUTC": stamp,
        "Timezone": tenant.timezone,
        "OrganisationEntityType": "COMPANY",
        "ShortCode": f"!{tenant.tenant_id[:5]}",
        "Class": "PREMIUM",
        "Edition": "BUSINESS",
        "LineOfBusiness": "Software & services",
        "Addresses": [
            {"AddressType": "POBOX", "AddressLine1": "PO Box 1234", "City": "Auckland", "PostalCode": "1140", "Country": "New Zealand"},
            {"AddressType": "STREET", "AddressLine1": "23 Main Street", "AddressLine2": "Central City", "City": "Ōtautahi", "Region": "Waitaha", "PostalCode": "8013", "Country": "New Zealand", "AttentionTo": None},
        ],
        "Phones": [
            {"PhoneType": "OFFICE", "PhoneNumber": "8003210", "PhoneAreaCode": "09", "PhoneCountryCode": "64"},
            {"PhoneType": "MOBILE", "PhoneNumber": "5551234", "PhoneAreaCode": "021", "PhoneCountryCode": "64"},
        ],
        "ExternalLinks": [{"LinkType": "Website", "Url": "https://example.co.nz", "Description": None}],
        "PaymentTerms": {"Bills": {"Day": 20, "Type": "OFFOLLOWINGMONTH"}, "Sales": {"Day": 7, "Type": "DAYSAFTERBILLDATE"}},
    }


def item(ctx, i, rng, stamp):
    tracked = rng.random() < 0.3
    refs = ctx.refs
    sale_price = money(rng, 5, 900)
    description = long_text(rng) if i % 17 == 3 else sentence(rng)
    return {
        "ItemID": ctx.pk("items", i),
        "Code": f"ITEM-{i + 1:03d}",
        "Name": f"{sentence(rng, 1, 3)} {i + 1}" if i % 11 else f"Kāwhe beans ☕ {i + 1}",
        "Description": description,
        "PurchaseDescription": maybe(rng, 0.5, sentence(rng)),
        "IsSold": True,
        "IsPurchased": rng.random() < 0.7,
        "IsTrackedAsInventory": tracked,
        "InventoryAssetAccountCode": "630" if tracked else None,
        "TotalCostPool": money(rng, 0, 5000) if tracked else None,
        "QuantityOnHand": float(rng.randint(0, 500)) if tracked else None,
        "PurchaseDetails": {
            "UnitPrice": round(sale_price * 0.6, 2),
            "AccountCode": "310" if tracked else rng.choice(refs.expense_accounts)["Code"],
            "COGSAccountCode": "310" if tracked else None,
            "TaxType": "INPUT2",
        },
        "SalesDetails": {"UnitPrice": sale_price, "AccountCode": "200", "TaxType": "OUTPUT2"},
        "UpdatedDateUTC": stamp,
    }


_ROLES = ("STANDARD", "READONLY", "INVOICEONLY", "FINANCIALADVISER", "MANAGEDCLIENT", "CASHBOOKCLIENT")


def user(ctx, i, rng, stamp):
    first, last = FIRST_NAMES[i % len(FIRST_NAMES)], rng.choice(LAST_NAMES)
    return {
        "UserID": ctx.pk("users", i),
        "EmailAddress": f"{first.lower()}.{i}@example.co.nz",
        "FirstName": first,
        "LastName": last,
        "UpdatedDateUTC": stamp,
        "IsSubscriber": i == 0,
        "OrganisationRole": "STANDARD" if i == 0 else _ROLES[i % len(_ROLES)],
    }


def employee(ctx, i, rng, stamp):
    return {
        "EmployeeID": ctx.pk("employees", i),
        "Status": "ARCHIVED" if i % 5 == 4 else "ACTIVE",
        "FirstName": rng.choice(FIRST_NAMES),
        "LastName": rng.choice(LAST_NAMES),
        "ExternalLink": maybe(rng, 0.5, {"Url": f"https://people.example.co.nz/{i}", "Description": "HR profile"}),
        "UpdatedDateUTC": stamp,
    }


_GROUPS = ("VIP customers ⭐", "Suppliers", "Wholesale", "Retail", "Overseas", "Board", "Old list", "Prospects")


def contact_group_name(i: int) -> str:
    return _GROUPS[i % len(_GROUPS)] + ("" if i < len(_GROUPS) else f" {i}")


def contact_group(ctx, i, rng, stamp):
    members = sorted({rng.randrange(ctx.count("contacts")) for _ in range(rng.randint(0, 4))})
    return {
        "ContactGroupID": ctx.pk("contact_groups", i),
        "Name": contact_group_name(i),
        "Status": "DELETED" if i % len(_GROUPS) == 6 else "ACTIVE",
        "Contacts": [{"ContactID": ctx.pk("contacts", k), "Name": contact_name(ctx.key, k)} for k in members],
    }
