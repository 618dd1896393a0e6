"""No input is a 5xx: every route of the URLconf (resolved, not listed by hand), called as an
owner, an agent, an expert, an anonymous visitor and, on /api/, with an organization's and an
expert's API key, with hostile query strings (huge, negative and non-ASCII numbers, NUL bytes,
very long values, `a[]=` arrays, repeated keys) and hostile POST bodies (forms and JSON: deep
nesting, wrong types, huge numbers, lists instead of objects). Path parameters get real ids of
the objects in the world below and odd ones (0, the largest id the routes accept).

Hypothesis generates the inputs with a fixed seed and a fixed number of examples per route, so
the run is repeatable and bounded; every failure is collected (route, caller, method, query,
body and the exception or status) and reported together at the end."""

from __future__ import annotations

import base64
import json
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as accounts_services
from accounts.models import ApiKey, Invitation, Membership, Role, User
from billing.models import Plan
from ml.models import ModelVersion, TrainingRun
from solutions.demo import seed_solutions_demo
from solutions.models import Attachment, Claim, KnowledgeArticle, Ticket
from solutions.services import expert_api_keys
from solutions.services import tickets as ticket_services
from tests.billing.conftest import localstripe_url, stripe_settings  # noqa: F401 - shared
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

# ------------------------------------------------------------------ hostile values

HUGE = "9" * 20  # beyond a 64-bit integer
HOSTILE_VALUES = [
    HUGE,
    "-" + HUGE,
    "99999999999999999999999999999999999999999999",
    "-1",
    "0",
    "1e309",
    "NaN",
    "-inf",
    "0x1f",
    " 7",
    "1.5",
    "²³",  # str.isdigit() is True, int() refuses it
    "١٢٣",  # Arabic-Indic digits: int() accepts them
    "",
    "\x00",
    "a\x00b",
    "é漢字🙂\u202e",
    "'\"<>%;--",
    "../../etc/passwd",
    "a" * 3000,
    "[]",
    "{}",
    "null",
    "true",
    "2026-13-45",
    "9999-12-31T23:59:59",
    "0000-00-00",
    "-0001-01-01T00:00:00Z",
    "2026-01",
    "#" + HUGE,
]
QUERY_KEYS = [
    "page",
    "cursor",
    "limit",
    "assignee",
    "status",
    "category",
    "priority",
    "q",
    "search",
    "created_after",
    "created_before",
    "period",
    "month",
    "next",
    "org",
    "format",
    "o",
    "ordering",
    "kind",
    "event",
    "endpoint",
    "id",
    "pk",
]
# Names of the fields the forms and serializers read; a fuzzer that never sends them would
# only ever exercise "this field is required".
BODY_KEYS = [
    "title",
    "body",
    "suggestion",
    "answer",
    "helpful",
    "score",
    "comment",
    "category",
    "priority",
    "price_cents",
    "confirmed_price_cents",
    "follow_up",
    "email",
    "role",
    "name",
    "scopes",
    "expires_at",
    "url",
    "events",
    "description",
    "active",
    "organization",
    "org",
    "next",
    "plan",
    "payment_method",
    "cap",
    "spend_cap",
    "auto_answer_threshold",
    "precision_target",
    "detail",
    "categories",
    "headline",
    "bio",
    "skills",
    "price",
    "available",
    "notification",
    "id",
    "key",
    "version",
    "time_budget_s",
    "file",
    "csv",
    "text",
    "status",
]

values = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=40),
)
keys = st.one_of(
    st.sampled_from(QUERY_KEYS + BODY_KEYS),
    st.sampled_from(QUERY_KEYS).map(lambda k: k + "[]"),
    st.text(min_size=1, max_size=12),
)
query_strings = st.lists(st.tuples(keys, values), max_size=6).map(urlencode)


def _nested(depth: int, open_: str, close: str, leaf: str = "1") -> str:
    return open_ * depth + leaf + close * depth


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(HOSTILE_VALUES),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(BODY_KEYS) | st.text(max_size=8), children, max_size=5),
    ),
    max_leaves=12,
)
RAW_JSON_BODIES = [
    _nested(100_000, "[", "]"),
    _nested(5_000, '{"title":', "}"),
    '{"title": ' + _nested(70, "[", "]") + "}",
    "1" + "0" * 5000,  # beyond Python's int_max_str_digits
    '{"suggestion": 1e400, "score": -1e400}',
    '{"title": "x\\u0000y", "body": "\\u0000"}',
    '[{"title": "a list", "body": "instead of an object"}]',
    '"just a string"',
    "null",
    "",
    "{",
    "\xff\xfe not utf-8",
]
json_bodies = st.one_of(
    st.sampled_from(RAW_JSON_BODIES),
    json_values.map(json.dumps),
    st.dictionaries(st.sampled_from(BODY_KEYS), json_values, max_size=6).map(json.dumps),
)
form_bodies = st.dictionaries(
    st.sampled_from(BODY_KEYS) | st.text(min_size=1, max_size=10),
    st.lists(values, min_size=1, max_size=3),
    max_size=6,
)


# ------------------------------------------------------------------ routes


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, for reverse()
    pattern: str  # for the report
    params: tuple[str, ...]
    int_params: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")


def _pattern_params(pattern: Any) -> tuple[list[str], set[str]]:
    converters = getattr(pattern, "converters", None)
    if converters:  # path(): named converters
        ints = {name for name, conv in converters.items() if "[0-9]" in conv.regex}
        return list(converters), ints
    regex = pattern.regex
    names = list(regex.groupindex)
    ints = {
        name for name in names if re.search(rf"\(\?P<{name}>(\[0-9\]|\\d)[^)]*\)", regex.pattern)
    }
    return names, ints


def _walk(
    patterns: list[Any], prefix: str = "", namespace: tuple[str, ...] = (), params: tuple = ()
) -> Iterator[Route]:
    for entry in patterns:
        names, ints = _pattern_params(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = (*namespace, entry.namespace) if entry.namespace else namespace
            yield from _walk(
                entry.url_patterns, prefix + str(entry.pattern), ns, (*params, (names, ints))
            )
        elif isinstance(entry, URLPattern) and entry.name:
            all_names = [n for group, _ in params for n in group] + names
            all_ints = set().union(*(i for _, i in params), ints) if params else ints
            yield Route(
                name=":".join((*namespace, entry.name)),
                pattern=prefix + str(entry.pattern),
                params=tuple(all_names),
                int_params=frozenset(all_ints),
            )


ROUTES = sorted(set(_walk(get_resolver().url_patterns)), key=lambda r: r.pattern)


# ------------------------------------------------------------------ the world


@dataclass(frozen=True)
class ApiOperation:
    """A body-taking API operation of the OpenAPI schema, with its body's properties."""

    path: re.Pattern[str]
    method: str
    properties: dict[str, dict[str, Any]]

    def plausible_body(self) -> dict[str, Any]:
        """A body that passes validation, to vary one field at a time."""
        body: dict[str, Any] = {}
        for name, spec in self.properties.items():
            kind = spec.get("type")
            if "enum" in spec:
                body[name] = spec["enum"][0]
            elif kind == "integer":
                body[name] = max(int(spec.get("minimum", 1)), 1)
            elif kind == "number":
                body[name] = 1.0
            elif kind == "boolean":
                body[name] = True
            else:
                body[name] = "Printer jams again"
        return body


# Per field type, the values that pass a JSON parser but no sane validator.
FIELD_EDGES: dict[str, list[Any]] = {
    "integer": [10**30, -(10**30), 2**63, 0, 1.5],
    "number": [10**30, 1e308],
    "boolean": ["yes", 2],
    "string": ["a" * 100_000, 10**30, ["x"]],
}


def _api_operations() -> list[ApiOperation]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    operations = []
    for template, methods in schema["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            if ref:
                spec = components[ref.rsplit("/", 1)[1]]
                operations.append(
                    ApiOperation(pattern, method.upper(), dict(spec.get("properties", {})))
                )
    return operations


@dataclass
class World:
    callers: dict[str, Callable[[], Client]]
    ids: list[int]  # every id in the world, and odd ones
    strings: dict[str, list[str]]
    # For the sweep: the object each route's id names, by the route's prefix (the longest
    # that matches); `number` is always a ticket's number.
    real_pks: dict[str, int]
    ticket_number: int
    api_operations: list[ApiOperation] = field(default_factory=list)

    def sweep_kwargs(self, route: Route) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        for name in route.int_params:
            if name == "number":
                kwargs[name] = self.ticket_number
            else:
                prefix = max(
                    (p for p in self.real_pks if route.pattern.startswith(p)), key=len, default=""
                )
                kwargs[name] = self.real_pks.get(prefix, 1)
        variants = [kwargs]
        for name in route.params:
            if name not in route.int_params:
                choices = self.strings.get(name, ODD_STRINGS[:1])
                variants = [{**v, name: c} for v in variants for c in choices]
        return variants


@pytest.fixture
def world(make_org_with_model, make_user, add_member, stripe_settings) -> World:  # noqa: F811
    settings = stripe_settings  # billing talks to a real local Stripe (localstripe)
    # The world's webhook endpoint is on loopback (nothing is sent: on_commit never fires).
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    org = make_org_with_model()
    owner = org.memberships.get(role=Role.OWNER).user
    agent = make_user()
    add_member(org, agent, Role.AGENT)
    expert = make_user()
    seed_solutions_demo(organization=org, owner=owner, agent=agent, expert=expert)
    ticket_services.ticket_submit(
        organization=org,
        author=agent,
        title="Log attached",
        body="See the log.",
        attachments=[SimpleUploadedFile("vpn.log", b"line one\nline two\n")],
    )
    Plan.objects.update(api_requests_per_minute=1_000_000)
    _, org_key = accounts_services.api_key_create(
        organization=org,
        actor=owner,
        name="fuzz",
        scopes=["tickets:read", "tickets:write", "kb:write", "usage:read"],
    )
    _, expert_key = expert_api_keys.expert_api_key_create(expert=expert, actor=expert, name="fuzz")
    invitation = accounts_services.invitation_create(
        actor=owner, organization=org, email="invitee@example.test", role=Role.AGENT
    )
    endpoint, _ = webhook_services.webhook_endpoint_create(
        organization=org, actor=owner, url="http://127.0.0.1:9/hooks", events=["ticket.triaged"]
    )
    webhook_services.webhook_endpoint_send_test(actor=owner, endpoint=endpoint)

    ids: set[int] = {0, 1, 10**18 - 1}
    ids.update(Ticket.objects.filter(organization=org).values_list("number", flat=True))
    for label in ("accounts", "billing", "solutions", "ml", "webhooks"):
        for model in apps.get_app_config(label).get_models():
            ids.update(model._default_manager.order_by("-pk").values_list("pk", flat=True)[:4])

    def session_of(user: User) -> Callable[[], Client]:
        def make() -> Client:
            client = Client()
            client.force_login(user)
            return client

        return make

    return World(
        callers={
            "owner": session_of(owner),
            "agent": session_of(agent),
            "expert": session_of(expert),
            "anonymous": Client,
            "org-key": lambda: Client(HTTP_AUTHORIZATION=f"Bearer {org_key}"),
            "expert-key": lambda: Client(HTTP_AUTHORIZATION=f"Bearer {expert_key}"),
        },
        ids=sorted(i for i in ids if isinstance(i, int)),
        real_pks={
            prefix: model._default_manager.order_by("pk").values_list("pk", flat=True).first() or 1
            for prefix, model in {
                "kb/": KnowledgeArticle,
                "api/v1/^kb/": KnowledgeArticle,
                "settings/webhooks/": WebhookEndpoint,
                "settings/webhooks/deliveries/": WebhookDelivery,
                "experts/tickets/": Ticket,
                "api/v1/^expert/tickets/": Ticket,
                "experts/claims/": Claim,
                "members/": Membership,
                "invitations/": Invitation,
                "api-keys/": ApiKey,
                "model/runs/": TrainingRun,
                "model/versions/": ModelVersion,
                "tickets/": Attachment,
            }.items()
        },
        ticket_number=Ticket.objects.filter(organization=org).order_by("number")[0].number,
        api_operations=_api_operations(),
        strings={
            "action": ["solved", "not-helpful", "correct", "accept", "reopen", "close"],
            "token": [invitation.token],
            "key": ["x" * 64],
            "uidb36": ["zz"],
        },
    )


# ------------------------------------------------------------------ the walk

ODD_STRINGS = ["0", "a" * 300, "é漢字", "x-y", "..", HUGE]
# The deterministic part of the walk: every known key at once set to one of these (the values
# that broke views before: too large for the database, digits int() refuses, NUL bytes); `q`
# gets a ticket-number search with it.
SWEEP_VALUES = [HUGE, "²³", "\x00"]
TAMPERED_CURSORS = [
    base64.b64encode(raw).decode()
    for raw in (b"o=0&p=abc", b"p=" + HUGE.encode(), b"o=" + HUGE.encode(), b"r=1&p=%00", b"p=")
]
JSON_SWEEP_VALUES: list[Any] = [10**30, -(10**30), [], {}, True, None]
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


@dataclass
class Failure:
    route: str
    caller: str
    method: str
    url: str
    body: str
    outcome: str

    def __str__(self) -> str:
        body = self.body if len(self.body) < 200 else self.body[:200] + f"… ({len(self.body)})"
        return (
            f"{self.method} {self.url[:300]} [{self.route}] as {self.caller}\n"
            f"  body: {body!r}\n  -> {self.outcome}"
        )


@dataclass
class Walker:
    world: World
    failures: list[Failure] = field(default_factory=list)
    requests: int = 0

    def send(
        self, route: Route, caller: str, method: str, url: str, body: Any = "", kind: str = ""
    ) -> Any:
        """One request in a savepoint that is rolled back: every request starts from the same
        world, and a database error in one can't poison the next (PostgreSQL aborts the whole
        transaction otherwise). A 5xx or an exception is recorded, not raised."""
        self.requests += 1
        try:
            with transaction.atomic():
                client = self.world.callers[caller]()
                if kind == "form":
                    response = client.post(url, data=body)
                elif kind == "json":
                    data = body.encode("utf-8", "surrogatepass")
                    response = client.generic(method, url, data, "application/json")
                else:
                    response = client.generic(method, url)
                if response.streaming:  # a CSV export fails while it streams, if at all
                    b"".join(getattr(response, "streaming_content", []))
                transaction.set_rollback(True)
        except Exception as exc:
            outcome = (
                f"{type(exc).__name__}: {exc}"[:300]
                + "\n"
                + "".join(traceback.format_tb(exc.__traceback__)[-3:])
            )
        else:
            if response.status_code < 500:
                return response
            outcome = f"HTTP {response.status_code}"
        self.failures.append(Failure(route.pattern, caller, method, url, str(body), outcome))
        return None

    def callers_for(self, route: Route) -> list[str]:
        return [
            name
            for name in self.world.callers
            if route.is_api or name not in ("org-key", "expert-key")
        ]

    def reaches_view(self, route: Route, caller: str, path: str) -> bool:
        """Whether this caller gets past authentication and permissions here: a caller who is
        sent to the login page, refused or told the object isn't theirs never runs the view's
        parsing, so the sweep below spends its requests on the callers who do."""
        response = self.send(route, caller, "GET", path)
        if response is not None and response.status_code == 405:  # a POST-only view
            response = self.send(route, caller, "POST", path, {}, "form")
        if response is None:
            return True  # a failure, recorded; the sweep adds the details
        location = response.get("Location", "")
        return response.status_code not in (401, 403, 404) and not location.startswith(LOGIN_PATHS)

    def sweep(self, route: Route) -> None:
        for kwargs in self.world.sweep_kwargs(route):
            try:
                path = reverse(route.name, kwargs=kwargs)
            except NoReverseMatch:
                continue
            self.sweep_path(route, path)

    def sweep_path(self, route: Route, path: str) -> None:
        """The first session caller and the first key caller who reach the view get the
        hostile query strings (other callers who reach it run the same parsing); the first
        of them also the hostile bodies, unless the view takes no POST."""
        bodies_sent = False
        swept: set[bool] = set()
        for caller in self.callers_for(route):
            by_key = caller.endswith("-key")
            if by_key in swept or not self.reaches_view(route, caller, path):
                continue
            swept.add(by_key)
            queries = [
                urlencode({**dict.fromkeys(QUERY_KEYS, v), "q": f"#{v}"}) for v in SWEEP_VALUES
            ]
            if route.is_api and not route.params:  # the lists
                queries += [urlencode({"cursor": c}) for c in TAMPERED_CURSORS]
            for query in queries:
                self.send(route, caller, "GET", f"{path}?{query}")
            if bodies_sent:
                continue
            bodies_sent = True
            if route.is_api:
                kind = "json"
                bodies: list[Any] = RAW_JSON_BODIES + [
                    json.dumps(dict.fromkeys(BODY_KEYS, v)) for v in JSON_SWEEP_VALUES
                ]
            else:
                kind = "form"
                bodies = [dict.fromkeys(BODY_KEYS, v) for v in SWEEP_VALUES]
            for body in bodies:
                response = self.send(route, caller, "POST", path, body, kind)
                if response is not None and response.status_code == 405:
                    break
            if route.is_api:
                self.sweep_fields(route, caller, path)

    def sweep_fields(self, route: Route, caller: str, path: str) -> None:
        """The schema's operations on this path: a valid body with one field at a time set to
        a value of its type that no validator should let through to the database."""
        for operation in self.world.api_operations:
            if not operation.path.match(path):
                continue
            base = operation.plausible_body()
            for name, spec in operation.properties.items():
                for value in FIELD_EDGES.get(spec.get("type", "string"), FIELD_EDGES["string"]):
                    body = json.dumps({**base, name: value})
                    self.send(route, caller, operation.method, path, body, "json")

    def explore(self, route: Route, examples: int) -> None:
        """Hypothesis: random callers, methods, path ids, query strings and bodies."""
        callers = self.callers_for(route)

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def check(data: st.DataObject) -> None:
            path = _path(route, data.draw, self.world)
            if path is None:
                return
            caller = data.draw(st.sampled_from(callers), label="caller")
            method = data.draw(
                st.sampled_from(["GET", "POST", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
            )
            query = data.draw(query_strings, label="query")
            url = f"{path}?{query}" if query else path
            if method in ("POST", "PUT", "PATCH"):
                kinds = ["json", "form"] if method == "POST" else ["json"]
                kind = data.draw(st.sampled_from(kinds))
                body = data.draw(json_bodies if kind == "json" else form_bodies, label="body")
                self.send(route, caller, method, url, body, kind)
            else:
                self.send(route, caller, method, url)

        check()


def _path(route: Route, draw: Any, world: World) -> str | None:
    kwargs: dict[str, Any] = {}
    for name in route.params:
        if name in route.int_params:
            kwargs[name] = draw(st.sampled_from(world.ids))
        else:
            kwargs[name] = draw(st.sampled_from(world.strings.get(name, []) + ODD_STRINGS))
    try:
        return reverse(route.name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def test_no_route_answers_a_5xx_to_hostile_input(world: World) -> None:
    walker = Walker(world)
    for route in ROUTES:
        if not route.is_admin:
            walker.sweep(route)
        walker.explore(route, examples=1 if route.is_admin else 5)
    walked = {r.pattern for r in ROUTES}
    # The walk must really cover the app: its own routes and the API's are all there.
    assert {"tickets/export.csv", "api/v1/^tickets/$", "settings/webhooks/<id:pk>/"} <= walked
    failures = walker.failures
    # One example of each distinct failure (route and error), so the report stays readable.
    distinct = {(f.route, f.outcome.split("\n")[0][:80]): f for f in failures}
    assert not failures, (
        f"{len(failures)} of {walker.requests} requests got a 5xx, {len(distinct)} distinct:"
        "\n\n" + "\n\n".join(str(f) for f in distinct.values())
    )
