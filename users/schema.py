from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents the API token: `Authorization: Bearer <token>` from the login call."""

    target_class = "users.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/login/, sent as "
            "`Authorization: Bearer <token>`. It expires, and logout revokes it.",
        }
