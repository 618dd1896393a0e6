from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

# Users in this group get `email_verified: false` (the provider doesn't vouch for them).
UNVERIFIED_GROUP = "email-unverified"


class ClaimsValidator(OAuth2Validator):
    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "email": user.email,
            "email_verified": not user.groups.filter(name=UNVERIFIED_GROUP).exists(),
            "name": f"{user.first_name} {user.last_name}".strip(),
        }

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        # The app under test runs on a port chosen per run (live_server) or as the test
        # client's http://testserver: any loopback or testserver callback is registered.
        return redirect_uri.startswith(
            ("http://testserver/", "http://127.0.0.1:", "http://localhost:")
        )
