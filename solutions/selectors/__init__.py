"""The solutions app's reads that carry a rule, by domain: `tickets` (the list's filters,
triage panels, which suggestions are shown), `knowledge` (which articles a member may read)
and `experts` (an expert's profile, queue and visible tickets). Re-exported here: import
`from solutions.selectors import …`."""

from .experts import (
    SlaRecord,
    expert_profile_of,
    expert_queue,
    expert_sla_record,
    expert_ticket_taken,
    expert_ticket_visible,
    experts_directory,
    priority_rank,
)
from .knowledge import ARTICLE_SEARCH_MAX, articles_filtered, articles_visible
from .tickets import (
    TICKET_OPEN_STATUSES,
    SuggestionCard,
    SuggestionsShown,
    suggestion_calibrations_reset,
    suggestion_solve_calibration,
    suggestion_thresholds,
    ticket_assignees,
    ticket_counts,
    ticket_suggestions_shown,
    ticket_triage_panel,
    ticket_triage_summary,
    tickets_awaiting_category_review,
    tickets_awaiting_triage,
    tickets_filtered,
    tickets_open,
    triage_neighbour_paths,
)

__all__ = [
    "ARTICLE_SEARCH_MAX",
    "TICKET_OPEN_STATUSES",
    "SuggestionCard",
    "SlaRecord",
    "SuggestionsShown",
    "articles_filtered",
    "articles_visible",
    "expert_profile_of",
    "expert_sla_record",
    "expert_queue",
    "expert_ticket_taken",
    "expert_ticket_visible",
    "experts_directory",
    "priority_rank",
    "suggestion_calibrations_reset",
    "suggestion_solve_calibration",
    "suggestion_thresholds",
    "ticket_assignees",
    "ticket_counts",
    "ticket_suggestions_shown",
    "ticket_triage_panel",
    "ticket_triage_summary",
    "tickets_awaiting_category_review",
    "tickets_awaiting_triage",
    "tickets_filtered",
    "tickets_open",
    "triage_neighbour_paths",
]
