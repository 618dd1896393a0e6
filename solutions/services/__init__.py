"""The solutions app's state changes, by domain: `tickets` (submit, triage, feedback,
escalation, acceptance, rating), `experts` (profiles, queue, claims, answers, SLAs),
`knowledge` (articles) and `common` (timeline events and notifications, shared by all three).
Import the module you need: `from solutions.services import tickets`."""
