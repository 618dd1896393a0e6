"""Reports: what Expertdesk does for an organization (tickets, deflection, response and
resolution times, SLA, spend, satisfaction) over a date range; the page, the CSV and
`GET /api/v1/reports/summary/`. It reads the other apps through their selectors and keeps one
model of its own, the satisfaction survey. Definitions: docs/reports.md."""
