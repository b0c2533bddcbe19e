"""Fixed Assets API records (`xero-openapi/xero_assets.yaml`): asset types and assets of one organisation.

Pure in (ctx, index): asset i's status, type and figures come from its own seeded generator. Dates are stored as
`date` (the wire renders "YYYY-MM-DDT00:00:00", the ground truth "YYYY-MM-DD"); amounts are two-decimal numbers.
About 1 asset in 18 is a draft and about 1 in 12 is disposed; the rest are registered.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional

from ..msdate import from_epoch_ms
from .common import money
from .context import Ctx

# name, fixed asset account code, depreciation method, averaging method, rate (% a year), effective life (years)
ASSET_TYPES = (
    ("Computer Equipment", "720", "StraightLine", "FullMonth", 33.33, 3),
    ("Office Equipment", "710", "DiminishingValue100", "ActualDays", 20.0, None),
    ("Motor Vehicles", "710", "DiminishingValue150", "FullMonth", 30.0, None),
    ("Furniture & Fittings", "710", "StraightLine", "ActualDays", 10.0, 10),
    ("Land – Kāinga 🏡", "710", "NoDepreciation", "FullMonth", 0.0, None),
)
_NAMES = {
    "Computer Equipment": ("MacBook Pro 14", "Dell Latitude", "Server rack", "Monitor 27\"", "NAS"),
    "Office Equipment": ("Photocopier", "Phone system", "Projector", "Shredder"),
    "Motor Vehicles": ("Toyota Hilux", "Ford Ranger", "Nissan Leaf", "Delivery van"),
    "Furniture & Fittings": ("Standing desk", "Boardroom table", "Office chairs ×6", "Reception fit-out"),
    "Land – Kāinga 🏡": ("Section, Queen Street", "Lot 7 DP 1234"),
}
DRAFT, REGISTERED, DISPOSED = "Draft", "Registered", "Disposed"   # AssetStatus (the wire's casing)


def _account_id(ctx: Ctx, code: str) -> str:
    from .reference import CHART  # the chart's index is the account's record index

    return ctx.pk("accounts", next(i for i, row in enumerate(CHART) if row[0] == code))


def asset_types(ctx: Ctx) -> List[dict]:
    out = []
    for i, (name, account, method, averaging, rate, life) in enumerate(ASSET_TYPES):
        type_id = ctx.pk("asset_types", i)
        out.append({
            "assetTypeId": type_id,
            "assetTypeName": name,
            "fixedAssetAccountId": _account_id(ctx, account),
            "depreciationExpenseAccountId": _account_id(ctx, "416"),
            "accumulatedDepreciationAccountId": _account_id(ctx, account),
            "bookDepreciationSetting": _setting(ctx, "AssetType", type_id, i, method, averaging, rate, life),
            "locks": 0,  # set by assets_api from the assets that use the type
        })
    return out


def _setting(ctx: Ctx, kind: str, object_id: str, index: int, method: str, averaging: str, rate: float,
             life: Optional[int]) -> dict:
    setting = {
        "depreciationMethod": method,
        "averagingMethod": averaging,
        "depreciationRate": rate,
        "depreciationCalculationMethod": "Life" if life else "Rate" if rate else "None",
        "depreciableObjectId": object_id,
        "depreciableObjectType": kind,
        "bookEffectiveDateOfChangeId": ctx.pk(f"{kind}-effective-change", index),
    }
    if life:
        setting["effectiveLifeYears"] = life
    return setting


def status_of(index: int) -> str:
    if index % 18 == 7:
        return DRAFT
    return DISPOSED if index % 11 == 3 else REGISTERED


def asset(ctx: Ctx, index: int) -> dict:
    rng = ctx.rng("assets", index)
    kind = rng.randrange(len(ASSET_TYPES))
    type_name, _, method, averaging, rate, life = ASSET_TYPES[kind]
    status = status_of(index)
    asset_id = ctx.pk("assets", index)
    anchor = from_epoch_ms(ctx.anchor_ms).date()
    purchased = anchor - timedelta(days=rng.randint(20, 2900))
    price = money(rng, 300, 85000)
    depreciating = status != DRAFT and method != "NoDepreciation"
    years = (anchor - purchased).days / 365.25
    total = min(price, round(price * rate / 100 * years, 2)) if depreciating else 0.0
    current = min(total, round(price * rate / 100 * min(years, 0.75), 2)) if depreciating else 0.0
    record: Dict[str, Any] = {
        "assetId": asset_id,
        "assetName": f"{rng.choice(_NAMES[type_name])} #{index + 1}",
        "assetTypeId": ctx.pk("asset_types", kind),
        "assetNumber": f"FA-{index + 1:04d}",
        "purchaseDate": purchased,
        "purchasePrice": price,
        "disposalPrice": 0.0,
        "assetStatus": status,
        # Xero's list leaves these two empty (they come only from /Assets/{id}: XeroAPI/xero-python issue #123)
        "warrantyExpiryDate": None,
        "serialNumber": None,
        "bookDepreciationSetting": _setting(ctx, "Asset", asset_id, index, method, averaging, rate, life),
        "bookDepreciationDetail": {
            "currentCapitalGain": 0.0,
            "currentGainLoss": 0.0,
            "depreciationStartDate": purchased,
            "costLimit": price,
            "residualValue": 0.0,
            "priorAccumDepreciationAmount": round(total - current, 2),
            "currentAccumDepreciationAmount": current,
        },
        "canRollback": status == REGISTERED,
        "accountingBookValue": round(price - total, 2),
        "isDeleteEnabledForDate": status == DRAFT,
    }
    if status == DISPOSED:
        disposed = min(anchor, purchased + timedelta(days=rng.randint(30, 1500)))
        sold = money(rng, 0, price)
        book = round(price - total, 2)
        record.update(disposalDate=disposed, disposalPrice=sold, accountingBookValue=0.0)
        record["bookDepreciationDetail"].update(currentCapitalGain=round(max(0.0, sold - price), 2),
                                                currentGainLoss=round(min(sold, price) - book, 2))
    return record
