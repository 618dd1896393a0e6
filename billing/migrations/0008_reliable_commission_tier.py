"""The seeded plans get a reliable tier: vetted experts with a reliable record in a ticket's
category (solutions.selectors.reputation) pay 5 points less commission. Staff change or clear
it per plan in the admin; a plan whose tier was already set keeps it."""

from django.db import migrations

# Plan code → the reliable tier's commission (basis points), 5 points under the standard.
RELIABLE_TIERS = {"starter": 1500, "team": 1500, "enterprise": 1000}


def add_tiers(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in Plan.objects.filter(code__in=RELIABLE_TIERS, reliable_commission_bps__isnull=True):
        # Never above the plan's own commission (the check constraint), if staff lowered it.
        plan.reliable_commission_bps = min(RELIABLE_TIERS[plan.code], plan.commission_bps)
        plan.save(update_fields=["reliable_commission_bps"])


def remove_tiers(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for code, bps in RELIABLE_TIERS.items():
        Plan.objects.filter(code=code, reliable_commission_bps=bps).update(
            reliable_commission_bps=None
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0007_ledger_tiers_org_calendar")]
    operations = [migrations.RunPython(add_tiers, remove_tiers)]
