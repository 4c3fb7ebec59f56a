"""Canonical slot names (DESIGN.md). The chat API reports them in `asking_for`;
Rasa's domain, the rule table, the IVR prompts and the docs all use these names."""

ENTERPRISE_SIZE = "enterprise_size"  # "sme" (中小微企业) / "other"
AFFECTED_BY_EPIDEMIC = "affected_by_epidemic"
EMPLOYEES = "employees"  # insured staff count
LAYOFFS = "layoffs"
LAYOFF_RATE = "layoff_rate"
CONTRIBUTION_YEARS = "contribution_years"
SEPARATION_REASON = "separation_reason"  # "personal" / "employer" / ...
CLASS_HOURS = "class_hours"
CLASS_MINUTES = "class_minutes"
UNEMPLOYED_REGISTERED_MONTHS = "unemployed_registered_months"
CONTRACT_YEARS = "contract_years"
SOCIAL_INSURANCE_PAID = "social_insurance_paid"
EMPLOYER_EPIDEMIC_SUPPLY_FIRM = "employer_epidemic_supply_firm"
GRAD_YEAR = "grad_year"
ORIGIN = "origin"  # "dalian" / "non_dalian"
COVID_INFECTED = "covid_infected"
MIGRANT_WORKER = "migrant_worker"
ACCIDENT_INSURANCE_PREMIUM = "accident_insurance_premium"  # yuan per person, optional (art. 9)

ALL = tuple(v for k, v in sorted(globals().items()) if k.isupper() and isinstance(v, str))
