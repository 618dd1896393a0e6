"""The three plans every organization chooses from. Prices in cents (USD)."""

from django.db import migrations

PLANS = [
    {
        "code": "starter",
        "name": "Starter",
        "sort_order": 1,
        "base_price_cents": 4900,
        "included_ai_answers": 100,
        "ai_overage_cents": 50,
        "expert_price_cents": {"low": 3000, "medium": 5000, "high": 8000, "critical": 12000},
        "sla_hours": {"low": 72, "medium": 24, "high": 4, "critical": 1},
        "api_requests_per_minute": 60,
        "commission_bps": 2000,
    },
    {
        "code": "team",
        "name": "Team",
        "sort_order": 2,
        "base_price_cents": 19900,
        "included_ai_answers": 1000,
        "ai_overage_cents": 30,
        "expert_price_cents": {"low": 2500, "medium": 4500, "high": 7000, "critical": 11000},
        "sla_hours": {"low": 72, "medium": 24, "high": 4, "critical": 1},
        "api_requests_per_minute": 300,
        "commission_bps": 2000,
    },
    {
        "code": "enterprise",
        "name": "Enterprise",
        "sort_order": 3,
        "base_price_cents": 79900,
        "included_ai_answers": 10000,
        "ai_overage_cents": 15,
        "expert_price_cents": {"low": 2000, "medium": 4000, "high": 6000, "critical": 10000},
        "sla_hours": {"low": 24, "medium": 8, "high": 2, "critical": 1},
        "api_requests_per_minute": 1200,
        "commission_bps": 1500,
    },
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for spec in PLANS:
        Plan.objects.update_or_create(code=spec["code"], defaults=spec)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_plans_accounts_stripe_earnings")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
