"""Webhook pages for owners and admins: thin — parse, check permission, call a service.
Another organization's endpoint or delivery is a 404 (the base class's `get_object`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from accounts.tenancy import ManagerRequiredMixin, request_user
from common.forms import form_add_service_errors
from common.responses import render_secret_once

from . import selectors, services
from .forms import WebhookEndpointForm, WebhookEventsForm
from .models import EventType, WebhookDelivery, WebhookEndpoint

DELIVERIES_PER_PAGE = 25


class WebhookEndpointsView(ManagerRequiredMixin, View):
    """The organization's endpoints and the form to add one. A new endpoint's secret is in
    the POST's response only: it is stored encrypted and never shown again."""

    template_name = "webhooks/endpoints.html"

    def context(self, form: WebhookEndpointForm | None = None, **extra: Any) -> dict[str, Any]:
        endpoints = self.scoped(selectors.endpoints_listed())
        return {
            "endpoints": endpoints,
            "form": form or WebhookEndpointForm(),
            "event_types": EventType.choices,
            **extra,
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self.context())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = WebhookEndpointForm(request.POST)
        if form.is_valid():
            try:
                endpoint, secret = services.webhook_endpoint_create(
                    organization=self.organization,
                    actor=request_user(request),
                    url=form.cleaned_data["url"],
                    events=list(form.cleaned_data["events"]),
                    description=form.cleaned_data["description"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                return render_secret_once(
                    request,
                    self.template_name,
                    self.context(new_endpoint=endpoint, secret=secret),
                    status=201,
                )
        return render(request, self.template_name, self.context(form), status=400)


class WebhookEndpointView(ManagerRequiredMixin, View):
    """One endpoint: its events (editable) and its delivery log, newest first."""

    model = WebhookEndpoint
    template_name = "webhooks/endpoint.html"

    def context(
        self, request: HttpRequest, endpoint: WebhookEndpoint, form: WebhookEventsForm | None
    ) -> dict[str, Any]:
        deliveries = selectors.endpoint_deliveries(endpoint)
        page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
        return {
            "endpoint": endpoint,
            "page": page,
            "form": form
            or WebhookEventsForm(
                initial={"events": endpoint.events, "description": endpoint.description}
            ),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self.get_object(pk=pk)
        return render(request, self.template_name, self.context(request, endpoint, None))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self.get_object(pk=pk)
        form = WebhookEventsForm(request.POST)
        if form.is_valid():
            try:
                services.webhook_endpoint_update(
                    actor=request_user(request),
                    endpoint=endpoint,
                    events=list(form.cleaned_data["events"]),
                    description=form.cleaned_data["description"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, "The endpoint's events were saved.")
                return redirect("webhook_endpoint", pk=endpoint.pk)
        return render(
            request, self.template_name, self.context(request, endpoint, form), status=400
        )


class WebhookEndpointToggleView(ManagerRequiredMixin, View):
    model = WebhookEndpoint

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self.get_object(pk=pk)
        endpoint = services.webhook_endpoint_set_active(
            actor=request_user(request), endpoint=endpoint, active=not endpoint.is_active
        )
        messages.success(
            request,
            "The endpoint is enabled."
            if endpoint.is_active
            else "The endpoint is disabled: it receives nothing until you enable it.",
        )
        return redirect("webhook_endpoint", pk=endpoint.pk)


class WebhookEndpointTestView(ManagerRequiredMixin, View):
    model = WebhookEndpoint

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self.get_object(pk=pk)
        try:
            services.webhook_endpoint_send_test(actor=request_user(request), endpoint=endpoint)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "A test event (ping) is on its way; see the log below.")
        return redirect("webhook_endpoint", pk=endpoint.pk)


class WebhookEndpointDeleteView(ManagerRequiredMixin, View):
    model = WebhookEndpoint
    template_name = "webhooks/endpoint_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self.get_object(pk=pk)
        return render(request, self.template_name, {"endpoint": endpoint})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self.get_object(pk=pk)
        url = endpoint.url
        services.webhook_endpoint_delete(actor=request_user(request), endpoint=endpoint)
        messages.success(request, f"The endpoint {url} and its delivery log were deleted.")
        return redirect("webhooks")


class WebhookEndpointRollSecretView(ManagerRequiredMixin, View):
    """GET explains what rolling does; the POST rolls and shows the new secret, once, like
    the response that creates an endpoint."""

    model = WebhookEndpoint
    template_name = "webhooks/endpoint_roll_secret.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self.get_object(pk=pk)
        return render(
            request,
            self.template_name,
            {"endpoint": endpoint, "overlap_hours": settings.WEBHOOK_SECRET_ROLL_OVERLAP_HOURS},
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self.get_object(pk=pk)
        secret = services.webhook_endpoint_roll_secret(
            actor=request_user(request), endpoint=endpoint
        )
        endpoint.refresh_from_db()
        return render_secret_once(
            request, self.template_name, {"endpoint": endpoint, "secret": secret}
        )


class WebhookDeliveryRedeliverView(ManagerRequiredMixin, View):
    def scoped_queryset(self) -> QuerySet[WebhookDelivery]:
        return WebhookDelivery.objects.select_related("endpoint")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        delivery = self.get_object(pk=pk)
        try:
            services.webhook_delivery_redeliver(actor=request_user(request), delivery=delivery)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"The {delivery.event} message {delivery.message_id} is being redelivered.",
            )
        return redirect("webhook_endpoint", pk=delivery.endpoint_id)
